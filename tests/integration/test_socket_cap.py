"""A citizen's token opens at most WS_SOCKETS_PER_TOKEN sockets at once, counted over every
process in Redis (issue 16): one more is closed with 4029; a closed socket frees its slot;
the slots of a process that died lapse."""

import asyncio

import pytest
from channels.db import database_sync_to_async
from django.core.cache import cache

from consult.consultations.models import Consultation
from consult.queue import lifecycle
from signaling import socket_leases

from .conftest import connect, receive, send

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]
CAP = 3


@pytest.fixture(autouse=True)
def small_cap(settings):
    settings.WS_SOCKETS_PER_TOKEN = CAP


@pytest.fixture
async def token(topic, on_duty):
    consultation = await database_sync_to_async(lifecycle.start_consultation)(
        topic_slug="hundesteuer"
    )
    return consultation.public_token


async def open_room(token):
    """A citizen socket: (communicator, None) when it works, (communicator, close code) when
    it was refused after the handshake."""
    ws, connected = await connect(f"/ws/citizen/{token}/")
    assert connected
    first = await ws.receive_output(timeout=3)
    if first["type"] == "websocket.close":
        return ws, first["code"]
    await send(ws, type="resume", last_seq=0)
    while (await receive(ws))["type"] != "ready":
        pass
    return ws, None


async def test_one_socket_more_than_the_cap_is_refused_with_4029(token):
    sockets = []
    try:
        for _ in range(CAP):
            ws, refused = await open_room(token)
            sockets.append(ws)
            assert refused is None
        _extra, refused = await open_room(token)
        assert refused == 4029
        # The sockets that hold a slot still work.
        await send(sockets[0], type="resume", last_seq=0)
        assert (await receive(sockets[0]))["type"] == "ready"
    finally:
        for ws in sockets:
            await ws.disconnect()


async def test_a_closed_socket_gives_its_slot_to_the_next(token):
    sockets = [(await open_room(token))[0] for _ in range(CAP)]
    try:
        await sockets.pop().disconnect()
        ws, refused = await open_room(token)
        sockets.append(ws)
        assert refused is None
    finally:
        for ws in sockets:
            await ws.disconnect()


async def test_the_cap_is_per_token(token, topic):
    other = await database_sync_to_async(lifecycle.start_consultation)(topic_slug="hundesteuer")
    sockets = [(await open_room(token))[0] for _ in range(CAP)]
    try:
        ws, refused = await open_room(other.public_token)
        sockets.append(ws)
        assert refused is None
    finally:
        for ws in sockets:
            await ws.disconnect()


async def test_the_slots_of_a_process_that_died_lapse(token, topic, monkeypatch):
    """Another process held every slot and died without giving them back: after the lease
    they are free again."""
    monkeypatch.setattr(socket_leases, "LEASE_SECONDS", 1.0)
    consultation_id = await database_sync_to_async(
        lambda: Consultation.objects.get(public_token=token).pk
    )()
    for n in range(CAP):
        cache.add(f"ws.socket.consultation.{consultation_id}.{n}", "dead!channel", timeout=1.0)
    ws, refused = await open_room(token)
    assert refused == 4029
    await asyncio.sleep(1.2)  # the lease itself is the thing under test
    ws, refused = await open_room(token)
    try:
        assert refused is None
    finally:
        await ws.disconnect()


async def test_a_living_socket_keeps_its_slot_past_the_lease(token, monkeypatch):
    monkeypatch.setattr(socket_leases, "LEASE_SECONDS", 1.0)
    monkeypatch.setattr(socket_leases, "RENEW_SECONDS", 0.3)
    sockets = [(await open_room(token))[0] for _ in range(CAP)]
    try:
        await asyncio.sleep(2.0)  # two leases: renewed, or they would have lapsed
        _extra, refused = await open_room(token)
        assert refused == 4029
    finally:
        for ws in sockets:
            await ws.disconnect()
