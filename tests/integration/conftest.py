"""Websocket clients against the real ASGI application, PostgreSQL and Redis."""

import asyncio
import json
from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.test import Client

from config.asgi import application


async def connect(path: str, *, cookie: str = "", origin: bytes = b"http://127.0.0.1"):
    headers = [(b"origin", origin), (b"host", b"127.0.0.1")]
    if cookie:
        headers.append((b"cookie", cookie.encode()))
    communicator = WebsocketCommunicator(application, path, headers=headers)
    connected, _ = await communicator.connect(timeout=5)
    return communicator, connected


async def eventually(check: Any, timeout: float = 5) -> None:
    """Wait until ``check()`` holds: something a background task (the media worker) does."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not reached")
        await asyncio.sleep(0.05)


async def receive(communicator: WebsocketCommunicator, timeout: float = 3) -> dict[str, Any]:
    return json.loads(await communicator.receive_from(timeout=timeout))


async def receive_until(
    communicator: WebsocketCommunicator, frame_type: str, timeout: float = 3
) -> dict[str, Any]:
    """Skip other frames (e.g. queue snapshots) until one of ``frame_type`` arrives."""
    while True:
        frame = await receive(communicator, timeout)
        if frame["type"] == frame_type:
            return frame


async def frames_before(
    communicator: WebsocketCommunicator, frame_type: str, timeout: float = 3
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The frames that came before the first of ``frame_type``, and that frame.

    How a test shows that a frame does *not* come, without waiting for luck: make something
    happen that certainly answers with ``frame_type`` (a sentinel) and travels the same way
    as the unwanted frame would, after anything that could have sent it; a consumer handles
    its socket's frames one at a time, and the channel layer keeps one channel's events in
    the order they were sent. The unwanted frame, if sent, is then among the ones before."""
    before = []
    while (frame := await receive(communicator, timeout))["type"] != frame_type:
        before.append(frame)
    return before, frame


async def send(communicator: WebsocketCommunicator, **frame: Any) -> None:
    await communicator.send_to(text_data=json.dumps(frame))


async def connect_both(consultation: Any, clerk: Any) -> tuple[Any, Any, list[list[dict]]]:
    """Citizen and clerk sockets of one consultation, both resumed from the start; also the
    frames each got before ``ready`` (e.g. ``rtc_config``).

    The clerk connects first: a citizen connecting to an active consultation announces
    itself (``presence``), and only a clerk already in the group certainly gets that (the
    clerk's socket first says the citizen is away); this waits for it, so it cannot come
    between later frames a test expects."""
    clerk_ws, ok = await connect(
        f"/ws/clerk/consultations/{consultation.pk}/", cookie=await session_cookie(clerk)
    )
    assert ok
    citizen, _ = await connect(f"/ws/citizen/{consultation.public_token}/")
    before_ready: list[list[dict]] = [[], []]
    if await state_of(consultation) == "active":
        announced = {"type": "presence", "connected": True}
        while (frame := await receive(clerk_ws)) != announced:
            before_ready[1].append(frame)
        before_ready[1].append(frame)
    for frames, ws in zip(before_ready, (citizen, clerk_ws), strict=True):
        await send(ws, type="resume", last_seq=0)
        while (frame := await receive(ws))["type"] != "ready":
            frames.append(frame)
    return citizen, clerk_ws, before_ready


def break_the_layer_on(monkeypatch, broken: asyncio.Event) -> None:
    """The channel layer's ``receive`` fails for every consumer once ``broken`` is set, as
    when the connection to Redis is lost for good."""
    layer = get_channel_layer()
    real_receive = layer.receive

    async def receive(channel):
        message = asyncio.ensure_future(real_receive(channel))
        failure = asyncio.ensure_future(broken.wait())
        await asyncio.wait({message, failure}, return_when=asyncio.FIRST_COMPLETED)
        if message.done():
            failure.cancel()
            return message.result()
        message.cancel()
        raise ConnectionError("the channel layer is gone")

    monkeypatch.setattr(layer, "receive", receive)


@database_sync_to_async
def state_of(consultation: Any) -> str:
    return type(consultation).objects.values_list("state", flat=True).get(pk=consultation.pk)


@database_sync_to_async
def session_cookie(user: Any) -> str:
    client = Client()
    client.force_login(user)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


@pytest.fixture
def transactional(transactional_db: None) -> None:
    """Async consumers use their own connections, so data must be committed."""


@pytest.fixture(autouse=True)
def no_background_sweep(settings: Any) -> None:
    """Tests run ``queueing.sweep`` themselves, with a clock they control, and set the
    consoles' ``last_seen_at`` to that clock: a console's own heartbeat (on its first tick
    at connect, then only after an hour) must not write the real time in between."""
    settings.QUEUE_SWEEP_SECONDS = 0
    settings.QUEUE_HEARTBEAT_SECONDS = 3600


@pytest.fixture(autouse=True)
async def close_consumer_connections() -> Any:
    """Consumers' database calls run in asgiref's shared thread; close its connection after
    each test so the test database can be dropped at the end."""
    yield
    from django.db import connections

    await database_sync_to_async(connections.close_all)()
