"""/metrics counts this process's open websockets by endpoint, from the accept until the
consumer ends, however it ends."""

import os

import pytest

from signaling import open_sockets

from .conftest import connect, receive_until, send, session_cookie
from .test_chat_socket import both_in_chat, setup  # noqa: F401

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


def open_now(endpoint: str) -> float:
    return open_sockets.OPEN.labels(pid=str(os.getpid()), endpoint=endpoint)._value.get()


async def test_sockets_count_while_open(setup):  # noqa: F811
    clerk, consultation = setup
    before = open_now("citizen_chat"), open_now("clerk_chat")
    citizen, clerk_ws = await both_in_chat(consultation, clerk)
    assert (open_now("citizen_chat"), open_now("clerk_chat")) == (before[0] + 1, before[1] + 1)
    await citizen.disconnect()
    await clerk_ws.disconnect()
    assert (open_now("citizen_chat"), open_now("clerk_chat")) == before


async def test_a_refused_socket_is_not_counted(setup):  # noqa: F811
    before = open_now("citizen_chat")
    _refused, connected = await connect("/ws/citizen/no-such-token-at-all/")
    assert not connected
    assert open_now("citizen_chat") == before


async def test_a_consumer_that_dies_of_an_error_is_uncounted(setup, monkeypatch):  # noqa: F811
    clerk, _consultation = setup
    queue, connected = await connect("/ws/clerk/queue/", cookie=await session_cookie(clerk))
    assert connected
    await receive_until(queue, "queue")
    before = open_now("clerk_queue")
    assert before >= 1

    from signaling import protocol

    def broken(*args, **kwargs):
        raise RuntimeError("the channel layer went away")

    monkeypatch.setattr(protocol, "decode", broken)
    await send(queue, type="set_status", status="away")
    with pytest.raises(RuntimeError):
        await queue.wait(timeout=5)
    assert open_now("clerk_queue") == before - 1
