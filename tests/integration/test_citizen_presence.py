"""The clerk's chat is told when the citizen's connection drops and comes back (issue 14)."""

import asyncio

import pytest
from channels.db import database_sync_to_async

from consult.consultations.models import Consultation
from consult.queue import lifecycle, routing
from signaling.socket_leases import holders

from .conftest import (
    break_the_layer_on,
    connect,
    connect_both,
    receive,
    receive_until,
    send,
    session_cookie,
)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


@pytest.fixture
async def active(topic, make_clerk):
    clerk = await database_sync_to_async(make_clerk)("anna", [topic])
    consultation = await database_sync_to_async(lifecycle.start_consultation)(
        topic_slug="hundesteuer"
    )
    await database_sync_to_async(routing.accept)(consultation_id=consultation.pk, clerk=clerk)
    return clerk, consultation


async def seen_at(consultation):
    row = await database_sync_to_async(Consultation.objects.get)(pk=consultation.pk)
    return row.citizen_seen_at


async def test_the_clerk_sees_the_citizen_drop_and_come_back(active):
    clerk, consultation = active
    citizen, clerk_ws, before_ready = await connect_both(consultation, clerk)
    try:
        assert {"type": "presence", "connected": True} in before_ready[1]
        connected_at = await seen_at(consultation)
        assert connected_at is not None

        await citizen.disconnect()  # a closed tab, a lost network
        assert await receive_until(clerk_ws, "presence") == {
            "type": "presence",
            "connected": False,
        }
        assert await seen_at(consultation) >= connected_at  # the grace starts now

        citizen, ok = await connect(f"/ws/citizen/{consultation.public_token}/")
        assert ok
        assert (await receive_until(clerk_ws, "presence"))["connected"] is True
        # The chat goes on: the citizen's message reaches the clerk.
        await send(citizen, type="resume", last_seq=0)
        while (await receive(citizen))["type"] != "ready":
            pass
        await send(citizen, type="message", client_id="back-1", body="Wieder da")
        assert (await receive_until(clerk_ws, "message"))["body"] == "Wieder da"
    finally:
        await citizen.disconnect()
        await clerk_ws.disconnect()


async def test_one_of_two_tabs_closing_is_no_drop(active):
    clerk, consultation = active
    citizen, clerk_ws, _ = await connect_both(consultation, clerk)
    second, ok = await connect(f"/ws/citizen/{consultation.public_token}/")
    assert ok
    try:
        assert (await receive_until(clerk_ws, "presence"))["connected"] is True
        await second.disconnect()
        # The sentinel: a message from the remaining tab comes after anything the close sent.
        await send(citizen, type="message", client_id="still-1", body="Noch da")
        frames = []
        while (frame := await receive(clerk_ws))["type"] != "message":
            frames.append(frame)
        assert {"type": "presence", "connected": False} not in frames
    finally:
        await citizen.disconnect()
        await clerk_ws.disconnect()


async def test_a_clerk_who_connects_while_the_citizen_is_gone_is_told(active):
    clerk, consultation = active
    citizen, clerk_ws, _ = await connect_both(consultation, clerk)
    await citizen.disconnect()
    await clerk_ws.disconnect()
    clerk_ws, ok = await connect(
        f"/ws/clerk/consultations/{consultation.pk}/", cookie=await session_cookie(clerk)
    )
    assert ok
    try:
        assert await receive_until(clerk_ws, "presence") == {
            "type": "presence",
            "connected": False,
        }
    finally:
        await clerk_ws.disconnect()


async def test_a_citizen_socket_that_dies_of_a_channel_layer_error_is_reported_gone(
    active, monkeypatch
):
    """A consumer that dies without a disconnect (issue 13) gives its slot back and tells the
    clerk, instead of its process renewing the slot, and the citizen's presence, for ever."""
    clerk, consultation = active
    clerk_ws, ok = await connect(
        f"/ws/clerk/consultations/{consultation.pk}/", cookie=await session_cookie(clerk)
    )
    assert ok
    assert (await receive_until(clerk_ws, "presence"))["connected"] is False
    broken = asyncio.Event()
    break_the_layer_on(monkeypatch, broken)  # for the sockets that connect from now on
    citizen, ok = await connect(f"/ws/citizen/{consultation.public_token}/")
    assert ok
    try:
        assert (await receive_until(clerk_ws, "presence"))["connected"] is True
        broken.set()
        with pytest.raises(ConnectionError):
            await citizen.receive_output(timeout=5)
        assert (await receive_until(clerk_ws, "presence"))["connected"] is False
        assert await asyncio.to_thread(holders, consultation.pk) == []
    finally:
        await clerk_ws.disconnect()
