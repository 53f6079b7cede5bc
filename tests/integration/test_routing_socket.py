"""Routing through the websockets: the ring, the timeout, a vanished console, transfers."""

import asyncio
from datetime import timedelta

import pytest
from channels.db import database_sync_to_async
from django.utils import timezone

from consult.catalogue.models import Topic
from consult.consultations.models import Consultation
from consult.queue import lifecycle, routing, sweep
from consult.staff.models import StaffProfile

from .conftest import break_the_layer_on, connect, receive_until, send, session_cookie, state_of

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


async def console(user):
    ws, ok = await connect("/ws/clerk/queue/", cookie=await session_cookie(user))
    assert ok
    return ws


async def next_snapshot(ws, predicate, attempts=10):
    """Queue snapshots until one satisfies ``predicate`` (each change sends one)."""
    for _ in range(attempts):
        snapshot = await receive_until(ws, "queue")
        if predicate(snapshot):
            return snapshot
    raise AssertionError("no matching snapshot")


@database_sync_to_async
def clerks(topic, make_clerk):
    anna = make_clerk("anna", [topic])
    ben = make_clerk("ben", [topic])
    StaffProfile.objects.filter(user=anna).update(idle_since=timezone.now() - timedelta(hours=1))
    return anna, ben


@pytest.fixture
async def two_consoles(topic, make_clerk):
    anna, ben = await clerks(topic, make_clerk)
    anna_ws, ben_ws = await console(anna), await console(ben)
    yield anna, ben, anna_ws, ben_ws
    await anna_ws.disconnect()
    await ben_ws.disconnect()


start = database_sync_to_async(lifecycle.start_consultation)
sweep = database_sync_to_async(sweep.sweep)


async def test_the_offer_rings_the_console_of_the_clerk_idle_longest(two_consoles):
    _anna, _ben, anna_ws, ben_ws = two_consoles
    consultation = await start(topic_slug="hundesteuer")
    ring = await next_snapshot(anna_ws, lambda s: s["offer"])
    assert ring["offer"]["id"] == consultation.pk
    assert ring["offer"]["topic"] == "Hundesteuer"
    snapshot = await next_snapshot(ben_ws, lambda s: s["waiting"])
    assert snapshot["offer"] is None and snapshot["waiting"][0]["offered"] is True
    await send(anna_ws, type="accept", consultation=consultation.pk)
    assert (await receive_until(anna_ws, "accepted"))["consultation"] == consultation.pk


async def test_a_timed_out_offer_moves_on_to_the_next_clerk(two_consoles):
    _anna, _ben, anna_ws, ben_ws = two_consoles
    consultation = await start(topic_slug="hundesteuer")
    await next_snapshot(anna_ws, lambda s: s["offer"])
    later = timezone.now() + timedelta(seconds=21)
    await database_sync_to_async(StaffProfile.objects.update)(last_seen_at=later)
    await sweep(now=later)
    assert (await next_snapshot(anna_ws, lambda s: s["offer"] is None))["offer"] is None
    ring = await next_snapshot(ben_ws, lambda s: s["offer"])
    assert ring["offer"]["id"] == consultation.pk


async def test_decline_through_the_socket_rings_the_next(two_consoles):
    _anna, _ben, anna_ws, ben_ws = two_consoles
    consultation = await start(topic_slug="hundesteuer")
    await next_snapshot(anna_ws, lambda s: s["offer"])
    await send(anna_ws, type="decline", consultation=consultation.pk)
    ring = await next_snapshot(ben_ws, lambda s: s["offer"])
    assert ring["offer"]["id"] == consultation.pk
    await send(anna_ws, type="decline", consultation=consultation.pk)
    assert (await receive_until(anna_ws, "error"))["code"] == "not_offered"


async def test_a_closed_console_gives_the_citizen_back_at_the_head(topic, make_clerk, settings):
    topic.routing_mode = Topic.RoutingMode.MANUAL
    await database_sync_to_async(topic.save)()
    anna, ben = await clerks(topic, make_clerk)
    anna_ws = await console(anna)
    consultation = await start(topic_slug="hundesteuer")
    await send(anna_ws, type="accept", consultation=consultation.pk)
    await receive_until(anna_ws, "accepted")
    later_arrival = await start(topic_slug="hundesteuer")
    citizen, _ = await connect(f"/ws/citizen/{consultation.public_token}/")
    await send(citizen, type="resume", last_seq=0)
    assert (await receive_until(citizen, "ready"))["state"] == "active"
    await anna_ws.disconnect()  # the console is gone; the heartbeat stops

    soon = timezone.now() + timedelta(seconds=settings.QUEUE_GRACE_SECONDS - 5)
    await sweep(now=soon)
    state = await database_sync_to_async(
        lambda: Consultation.objects.get(pk=consultation.pk).state
    )()
    assert state == "active"  # a reload within the grace period keeps the conversation

    late = timezone.now() + timedelta(seconds=settings.QUEUE_GRACE_SECONDS + 6)
    await sweep(now=late)
    entry = await receive_until(citizen, "message")
    assert entry["kind"] == "requeued"
    position = await receive_until(citizen, "position")
    assert (position["position"], position["waiting"]) == (1, 2)
    ben_ws = await console(ben)
    snapshot = await receive_until(ben_ws, "queue")
    assert [item["id"] for item in snapshot["waiting"]] == [consultation.pk, later_arrival.pk]
    assert snapshot["waiting"][0]["requeued"] is True
    await citizen.disconnect()
    await ben_ws.disconnect()


async def test_a_console_that_dies_of_a_channel_layer_error_no_longer_keeps_the_clerk(
    topic, make_clerk, settings, monkeypatch
):
    """Issue 13's ghost clerk: a console that dies without a disconnect (its channel layer
    failed) must not go on proving the clerk present; the grace rule gives the citizen back."""
    settings.QUEUE_HEARTBEAT_SECONDS = 0.05
    settings.QUEUE_GRACE_SECONDS = 1
    topic.routing_mode = Topic.RoutingMode.MANUAL
    await database_sync_to_async(topic.save)()
    anna, _ben = await clerks(topic, make_clerk)
    broken = asyncio.Event()
    break_the_layer_on(monkeypatch, broken)
    anna_ws = await console(anna)
    consultation = await start(topic_slug="hundesteuer")
    await send(anna_ws, type="accept", consultation=consultation.pk)
    await receive_until(anna_ws, "accepted")

    broken.set()
    with pytest.raises(ConnectionError):
        await anna_ws.receive_output(timeout=5)  # the console's consumer died of it

    deadline = asyncio.get_running_loop().time() + 15
    while await state_of(consultation) != "waiting":
        assert asyncio.get_running_loop().time() < deadline, "the ghost clerk kept the citizen"
        await sweep()
        await asyncio.sleep(0.2)


async def test_transfer_to_another_topic_through_the_chat_socket(topic, other_topic, make_clerk):
    anna = await database_sync_to_async(make_clerk)("anna", [topic])
    carl = await database_sync_to_async(make_clerk)("carl", [other_topic])
    consultation = await start(topic_slug="hundesteuer")
    await database_sync_to_async(routing.accept)(consultation_id=consultation.pk, clerk=anna)
    citizen, _ = await connect(f"/ws/citizen/{consultation.public_token}/")
    anna_chat, _ = await connect(
        f"/ws/clerk/consultations/{consultation.pk}/", cookie=await session_cookie(anna)
    )
    carl_ws = await console(carl)
    assert (await receive_until(carl_ws, "queue"))["waiting"] == []

    await send(anna_chat, type="transfer_topic", topic="bauantrag")
    assert await receive_until(anna_chat, "closed") == {"type": "closed", "outcome": "transferred"}
    entry = await receive_until(citizen, "message")
    assert (entry["kind"], entry["body"]) == ("transferred", "Bauantrag")
    position = await receive_until(citizen, "position")
    assert position["position"] == 1
    snapshot = await next_snapshot(carl_ws, lambda s: s["waiting"] or s["offer"])
    assert consultation.pk in [item["id"] for item in snapshot["waiting"]]
    # Anna's chat socket is closed: the conversation is no longer hers.
    assert (await receive_until(anna_chat, "message"))["kind"] == "transferred"
    assert (await anna_chat.receive_output(timeout=3))["type"] == "websocket.close"
    for ws in (citizen, anna_chat, carl_ws):
        await ws.disconnect()


async def test_the_old_clerk_socket_closes_after_a_transfer(topic, make_clerk):
    anna, ben = await clerks(topic, make_clerk)
    consultation = await start(topic_slug="hundesteuer")
    await database_sync_to_async(routing.accept)(consultation_id=consultation.pk, clerk=anna)
    anna_chat, _ = await connect(
        f"/ws/clerk/consultations/{consultation.pk}/", cookie=await session_cookie(anna)
    )
    await send(anna_chat, type="transfer_clerk", clerk=ben.pk)
    assert (await receive_until(anna_chat, "message"))["kind"] == "transferred"
    assert (await anna_chat.receive_output(timeout=3))["type"] == "websocket.close"
