"""The clerk's queue socket: live list, status, accept; races between clerks."""

import asyncio

import pytest
from channels.db import database_sync_to_async

from consult.consultations.models import Consultation, Message
from consult.errors import DomainError
from consult.queue import lifecycle, routing
from tests.concurrency import run_at_once

from .conftest import connect, receive, receive_until, send, session_cookie

pytestmark = [pytest.mark.django_db(transaction=True)]


async def open_queue(user):
    ws, ok = await connect("/ws/clerk/queue/", cookie=await session_cookie(user))
    assert ok
    return ws, await receive_until(ws, "queue")


@pytest.mark.asyncio
async def test_queue_lists_only_own_topics_and_updates_live(topic, other_topic, make_clerk):
    anna = await database_sync_to_async(make_clerk)("anna", [topic])
    await database_sync_to_async(make_clerk)("ben", [other_topic])  # Bauantrag reachable
    start = database_sync_to_async(lifecycle.start_consultation)
    await start(topic_slug="bauantrag")
    ws, snapshot = await open_queue(anna)
    assert snapshot["waiting"] == [] and snapshot["status"] == "available"
    mine = await start(topic_slug="hundesteuer")
    update = await receive_until(ws, "queue")
    assert [item["id"] for item in update["waiting"]] == [mine.pk]
    assert update["waiting"][0]["topic"] == "Hundesteuer"
    await ws.disconnect()


@pytest.mark.asyncio
async def test_the_count_of_open_callback_requests_reaches_the_console(
    topic, other_topic, make_clerk
):
    from consult.catalogue import callbacks

    anna = await database_sync_to_async(make_clerk)("anna", [topic])
    leave = database_sync_to_async(callbacks.leave_callback_request)
    await leave(topic_slug="hundesteuer", question="Frage", phone="+49 30 1234-567")
    ws, snapshot = await open_queue(anna)
    assert snapshot["callbacks_open"] == 1
    await leave(topic_slug="bauantrag", question="Nicht Annas", phone="+49 30 1234-567")
    left = await leave(topic_slug="hundesteuer", question="Noch eine", email="e@example.org")
    assert (await receive_until(ws, "queue"))["callbacks_open"] == 2
    await database_sync_to_async(callbacks.complete_callback_request)(
        request_id=left.pk, clerk=anna
    )
    assert (await receive_until(ws, "queue"))["callbacks_open"] == 1
    await ws.disconnect()


@pytest.mark.asyncio
async def test_the_count_of_written_questions_reaches_the_console_live(
    topic, other_topic, make_clerk
):
    """Issue 14: a question asked while Anna's console is open shows without a reload, and
    one a colleague takes leaves her count."""
    from consult.queue import questions

    anna = await database_sync_to_async(make_clerk)("anna", [topic])
    ben = await database_sync_to_async(make_clerk)("ben", [topic])
    ask = database_sync_to_async(questions.ask_question)
    ws, snapshot = await open_queue(anna)
    assert snapshot["questions_open"] == 0
    await ask(topic_slug="bauantrag", question="Nicht Annas Thema")
    asked = await ask(topic_slug="hundesteuer", question="Wie hoch ist die Hundesteuer?")
    assert (await receive_until(ws, "queue"))["questions_open"] == 1
    await database_sync_to_async(questions.take_question)(consultation_id=asked.pk, clerk=ben)
    assert (await receive_until(ws, "queue"))["questions_open"] == 0
    await ws.disconnect()


@pytest.mark.asyncio
async def test_status_switch_and_accept_through_the_socket(topic, on_duty, make_clerk):
    anna = await database_sync_to_async(make_clerk)("anna", [topic], status="offline")
    waiting = await database_sync_to_async(lifecycle.start_consultation)(topic_slug="hundesteuer")
    ws, _ = await open_queue(anna)
    await send(ws, type="accept", consultation=waiting.pk)
    assert (await receive_until(ws, "error"))["code"] == "not_available"
    await send(ws, type="set_status", status="available")
    assert (await receive_until(ws, "queue"))["status"] == "available"
    await send(ws, type="accept", consultation=waiting.pk)
    assert await receive_until(ws, "accepted") == {"type": "accepted", "consultation": waiting.pk}
    snapshot = await receive_until(ws, "queue")
    assert snapshot["waiting"] == []
    assert [item["id"] for item in snapshot["mine"]] == [waiting.pk]
    await send(ws, type="set_status", status="napping")
    assert (await receive_until(ws, "error"))["code"] == "invalid_status"
    await ws.disconnect()


@pytest.mark.asyncio
async def test_queue_socket_is_for_clerks_only(db, django_user_model):
    manager = await database_sync_to_async(django_user_model.objects.create_user)(
        username="maria", password="pw"
    )
    _, ok = await connect("/ws/clerk/queue/", cookie=await session_cookie(manager))
    assert not ok
    _, anonymous = await connect("/ws/clerk/queue/")
    assert not anonymous


@pytest.mark.asyncio
async def test_twenty_clerks_accepting_at_once_through_sockets_give_one_winner(topic, make_clerk):
    clerks = [await database_sync_to_async(make_clerk)(f"clerk{n}", [topic]) for n in range(20)]
    waiting = await database_sync_to_async(lifecycle.start_consultation)(topic_slug="hundesteuer")
    sockets = [(await open_queue(clerk))[0] for clerk in clerks]
    await asyncio.gather(*(send(ws, type="accept", consultation=waiting.pk) for ws in sockets))

    async def outcome(ws):
        while True:
            frame = await receive(ws, timeout=10)
            if frame["type"] in ("accepted", "error"):
                return frame["type"] if frame["type"] == "accepted" else frame["code"]

    results = await asyncio.gather(*(outcome(ws) for ws in sockets))
    assert sorted(results) == ["accepted"] + ["already_taken"] * 19
    for ws in sockets:
        await ws.disconnect()


def test_twenty_threads_accepting_at_once_give_exactly_one_winner(topic, make_clerk):
    """Real concurrency on PostgreSQL: 20 connections race for one consultation."""
    clerks = [make_clerk(f"clerk{n}", [topic]) for n in range(20)]
    waiting = lifecycle.start_consultation(topic_slug="hundesteuer")

    def accept_as(clerk):
        def race():
            try:
                routing.accept(consultation_id=waiting.pk, clerk=clerk)
                return "won"
            except DomainError as error:
                return error.code

        return race

    results = run_at_once([accept_as(clerk) for clerk in clerks])
    assert sorted(results) == ["already_taken"] * 19 + ["won"]
    waiting.refresh_from_db()
    assert waiting.state == Consultation.State.ACTIVE
    assert Message.objects.filter(consultation=waiting, kind="accepted").count() == 1
