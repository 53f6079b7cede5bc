"""A queue change costs one view of the queue, not one per waiting room (issue 12)."""

import asyncio

import pytest
from channels.db import database_sync_to_async
from django.db.backends.utils import CursorWrapper
from django.utils import timezone

from consult import events
from consult.catalogue.models import Topic
from consult.consultations.models import Consultation
from consult.queue import lifecycle, rooms
from signaling import waiting_rooms
from tests.queue_helpers import left_waiting

from .conftest import connect, receive_until

pytestmark = [pytest.mark.django_db(transaction=True)]
ROOMS = 200  # every socket of one process: the hub reads one view for them all


@pytest.fixture
def counted(monkeypatch):
    """Counts views computed and SQL statements run, in every thread."""
    counts = {"views": 0, "queries": 0}
    compute, execute = rooms.compute_topic_view, CursorWrapper.execute

    def counting_compute(*args, **kwargs):
        counts["views"] += 1
        return compute(*args, **kwargs)

    def counting_execute(self, *args, **kwargs):
        counts["queries"] += 1
        return execute(self, *args, **kwargs)

    monkeypatch.setattr(rooms, "compute_topic_view", counting_compute)
    monkeypatch.setattr(CursorWrapper, "execute", counting_execute)
    return counts


async def position_with(ws, waiting, timeout=30):
    """The first position frame that counts ``waiting`` citizens (earlier views may come
    first: the hub re-sends a view it had not sent yet)."""
    while True:
        frame = await receive_until(ws, "position", timeout=timeout)
        if frame["waiting"] == waiting:
            return frame


@pytest.fixture
def picked_by_hand(topic, on_duty):
    """A clerk is there (a citizen may start); manual pick: no ring changes the queue."""
    topic.routing_mode = Topic.RoutingMode.MANUAL
    topic.save()


async def test_a_queue_change_is_one_view_for_all_waiting_rooms(
    topic, picked_by_hand, counted, monkeypatch
):
    monkeypatch.setattr(waiting_rooms, "REPAIR_SECONDS", 3600.0)  # only the change's view
    start = database_sync_to_async(lifecycle.start_consultation)
    already = database_sync_to_async(left_waiting)
    waiting = [await already(topic, now=timezone.now()) for _ in range(ROOMS)]
    sockets = []
    for consultation in waiting:
        ws, ok = await connect(f"/ws/citizen/{consultation.public_token}/")
        assert ok
        sockets.append(ws)
    for ws in sockets:
        assert (await receive_until(ws, "position"))["waiting"] == ROOMS

    counted.update(views=0, queries=0)
    newcomer = await start(topic_slug=topic.slug)  # one change of the queue
    updates = await asyncio.gather(*(position_with(ws, ROOMS + 1) for ws in sockets))

    assert [u["waiting"] for u in updates] == [ROOMS + 1] * ROOMS
    assert [u["position"] for u in updates] == list(range(1, ROOMS + 1))
    assert counted["views"] == 1  # one simulation of the queue for all the rooms
    assert counted["queries"] < 40  # the start and one view; nothing per waiting room
    assert await database_sync_to_async(Consultation.objects.count)() == ROOMS + 1
    assert newcomer.state == Consultation.State.WAITING
    await asyncio.gather(*(ws.disconnect() for ws in sockets))


async def test_a_lost_queue_event_is_repaired_by_the_next_look(topic, picked_by_hand, monkeypatch):
    """The channel layer delivers at most once: a change whose event was dropped still reaches
    the waiting rooms, at the hub's next look at the cached view."""
    monkeypatch.setattr(waiting_rooms, "REPAIR_SECONDS", 0.3)
    start = database_sync_to_async(lifecycle.start_consultation)
    first = await start(topic_slug=topic.slug)
    ws, ok = await connect(f"/ws/citizen/{first.public_token}/")
    assert ok
    try:
        assert (await receive_until(ws, "position"))["waiting"] == 1
        sent = []
        monkeypatch.setattr(events, "_send", lambda group, event: sent.append(event))
        await start(topic_slug=topic.slug)  # its queue.changed is "dropped"
        assert any(isinstance(event, events.QueueChanged) for event in sent)
        frame = await position_with(ws, 2, timeout=5)
        assert frame["position"] == 1
    finally:
        await ws.disconnect()
