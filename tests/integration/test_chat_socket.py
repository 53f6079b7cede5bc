"""Chat between citizen and clerk through the websockets, as browsers use them."""

import json

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer

from consult import events
from consult.chat import messages
from consult.consultations.models import Consultation, Message
from consult.queue import lifecycle, routing

from .conftest import (
    connect,
    connect_both,
    frames_before,
    receive,
    receive_until,
    send,
    session_cookie,
)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


@pytest.fixture
async def setup(topic, make_clerk):
    clerk = await database_sync_to_async(make_clerk)("anna", [topic])
    consultation = await database_sync_to_async(lifecycle.start_consultation)(
        topic_slug="hundesteuer"
    )
    return clerk, consultation


async def accept(consultation, clerk):
    return await database_sync_to_async(routing.accept)(
        consultation_id=consultation.pk, clerk=clerk
    )


async def both_in_chat(consultation, clerk):
    """Accept, connect citizen and clerk, and resume both from the start."""
    await accept(consultation, clerk)
    citizen, clerk_ws, _ = await connect_both(consultation, clerk)
    return citizen, clerk_ws


async def test_waiting_citizen_sees_position_and_then_the_accept(setup):
    clerk, consultation = setup
    citizen, ok = await connect(f"/ws/citizen/{consultation.public_token}/")
    assert ok
    position = await receive(citizen)
    assert (position["type"], position["position"], position["waiting"]) == ("position", 1, 1)
    assert position["estimate"] == 0  # Anna is there and free
    await send(citizen, type="resume", last_seq=0)
    assert await receive(citizen) == {"type": "ready", "state": "waiting", "last_seq": 0}
    await accept(consultation, clerk)
    frame = await receive_until(citizen, "message")
    assert (frame["seq"], frame["kind"], frame["body"]) == (1, "accepted", "Anna")
    await citizen.disconnect()


async def test_position_moves_up_when_someone_ahead_leaves(setup, topic):
    _, first = setup
    second = await database_sync_to_async(lifecycle.start_consultation)(topic_slug="hundesteuer")
    citizen, _ = await connect(f"/ws/citizen/{second.public_token}/")
    assert (await receive(citizen))["position"] == 2
    await database_sync_to_async(lifecycle.leave_consultation)(public_token=first.public_token)
    moved = await receive_until(citizen, "position")
    assert (moved["position"], moved["waiting"]) == (1, 1)
    await citizen.disconnect()


async def test_chat_both_ways_with_typing(setup):
    clerk, consultation = setup
    citizen, clerk_ws = await both_in_chat(consultation, clerk)

    # Each party types, then sends. A socket's frames are handled in order and the typing
    # event reaches the group before the message's, so an echo of one's own typing would
    # arrive before the confirmation of one's own message: the next frame is the message.
    await send(citizen, type="typing", active=True)
    assert await receive(clerk_ws) == {"type": "typing", "sender": "citizen", "active": True}
    await send(citizen, type="message", client_id="c-1", body="Guten Tag, mein Hund …")
    for ws in (citizen, clerk_ws):
        frame = await receive(ws)
        assert (frame["type"], frame.get("seq"), frame.get("sender"), frame.get("body")) == (
            "message",
            2,
            "citizen",
            "Guten Tag, mein Hund …",
        )
        assert frame["client_id"] == "c-1"

    await send(clerk_ws, type="typing", active=True)
    assert await receive(citizen) == {"type": "typing", "sender": "clerk", "active": True}
    await send(clerk_ws, type="message", client_id="k-1", body="Gern, worum geht es?")
    for ws in (citizen, clerk_ws):  # for the clerk: its message, not its own typing echoed
        frame = await receive(ws)
        assert (frame["type"], frame.get("seq"), frame.get("sender")) == ("message", 3, "clerk")
    await citizen.disconnect()
    await clerk_ws.disconnect()


async def test_reconnect_replays_exactly_the_missed_messages_in_order(setup):
    clerk, consultation = setup
    await accept(consultation, clerk)
    citizen, _ = await connect(f"/ws/citizen/{consultation.public_token}/")
    await send(citizen, type="resume", last_seq=0)
    last_seen = (await receive_until(citizen, "ready"))["last_seq"]
    await citizen.disconnect()

    clerk_ws, _ = await connect(
        f"/ws/clerk/consultations/{consultation.pk}/", cookie=await session_cookie(clerk)
    )
    await send(clerk_ws, type="resume", last_seq=0)
    await receive_until(clerk_ws, "ready")
    for n in range(5):
        await send(clerk_ws, type="message", client_id=f"k{n}", body=f"Nachricht {n}")
        await receive_until(clerk_ws, "message")

    citizen, _ = await connect(f"/ws/citizen/{consultation.public_token}/")
    await send(citizen, type="resume", last_seq=last_seen)
    replay = [await receive(citizen) for _ in range(6)]
    assert [f["body"] for f in replay[:5]] == [f"Nachricht {n}" for n in range(5)]
    assert [f["seq"] for f in replay[:5]] == list(range(last_seen + 1, last_seen + 6))
    assert replay[5] == {"type": "ready", "state": "active", "last_seq": last_seen + 5}
    # Nothing replayed twice or late: the next frame is the clerk's next message.
    await send(clerk_ws, type="message", client_id="k5", body="Noch da?")
    after = await receive(citizen)
    assert (after["type"], after.get("seq"), after.get("body")) == (
        "message",
        last_seen + 6,
        "Noch da?",
    )
    await citizen.disconnect()
    await clerk_ws.disconnect()


async def test_resend_with_same_client_id_is_stored_once_and_confirmed(setup):
    clerk, consultation = setup
    await accept(consultation, clerk)
    citizen, _ = await connect(f"/ws/citizen/{consultation.public_token}/")
    await send(citizen, type="resume", last_seq=0)
    await receive_until(citizen, "ready")
    await send(citizen, type="message", client_id="dup", body="Einmal bitte")
    first = await receive_until(citizen, "message")
    await send(citizen, type="message", client_id="dup", body="Einmal bitte")
    again = await receive_until(citizen, "message")
    assert again == first
    count = await database_sync_to_async(
        Message.objects.filter(consultation=consultation, client_id="dup").count
    )()
    assert count == 1
    await citizen.disconnect()


async def test_a_clerk_may_use_an_id_the_citizen_already_used(setup):
    """Idempotence is per sender: the clerk's text is not dropped as the citizen's resend."""
    clerk, consultation = setup
    citizen, clerk_ws = await both_in_chat(consultation, clerk)
    await send(citizen, type="message", client_id="m-1", body="Frage")
    await receive_until(clerk_ws, "message")
    await send(clerk_ws, type="message", client_id="m-1", body="Antwort")
    answer = await receive_until(citizen, "message")
    if answer["sender"] == "citizen":  # the echo of the citizen's own question first
        answer = await receive_until(citizen, "message")
    assert (answer["sender"], answer["body"]) == ("clerk", "Antwort")
    bodies = await database_sync_to_async(
        lambda: list(consultation.messages.filter(client_id="m-1").values_list("body", flat=True))
    )()
    assert sorted(bodies) == ["Antwort", "Frage"]
    await citizen.disconnect()
    await clerk_ws.disconnect()


async def test_ready_tells_the_servers_last_seq_not_the_clients_claim(setup):
    clerk, consultation = setup
    await accept(consultation, clerk)  # entry 1
    citizen, _ = await connect(f"/ws/citizen/{consultation.public_token}/")
    await send(citizen, type="resume", last_seq=1_000_000)
    assert (await receive_until(citizen, "ready"))["last_seq"] == 1
    await citizen.disconnect()


async def test_ending_reaches_the_citizen_and_confirms_to_the_clerk(setup):
    clerk, consultation = setup
    citizen, clerk_ws = await both_in_chat(consultation, clerk)
    await send(clerk_ws, type="end", outcome="resolved")
    assert (await receive_until(citizen, "message"))["kind"] == "ended"
    assert await receive_until(clerk_ws, "closed") == {"type": "closed", "outcome": "resolved"}
    await send(citizen, type="message", client_id="late", body="Noch was")
    assert (await receive_until(citizen, "error"))["code"] == "not_active"
    await citizen.disconnect()
    await clerk_ws.disconnect()


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("{not json", "malformed_json"),
        (json.dumps({"type": "launch"}), "unknown_type"),
        (json.dumps({"type": "message", "body": "x"}), "missing_field"),
        (json.dumps({"type": "message", "client_id": "a", "body": "x" * 4001}), "message_too_long"),
        (json.dumps({"type": "accept", "consultation": 1}), "unknown_type"),
        ("x" * 40000, "frame_too_large"),
    ],
)
async def test_bad_frames_get_an_error_change_nothing_and_keep_the_connection(setup, raw, code):
    clerk, consultation = setup
    await accept(consultation, clerk)
    citizen, _ = await connect(f"/ws/citizen/{consultation.public_token}/")
    await citizen.send_to(text_data=raw)
    error = await receive(citizen)
    assert (error["type"], error["code"]) == ("error", code)
    count = await database_sync_to_async(Message.objects.filter(kind="text").count)()
    assert count == 0
    await send(citizen, type="message", client_id="ok", body="Jetzt richtig")
    assert (await receive_until(citizen, "message"))["body"] == "Jetzt richtig"
    await citizen.disconnect()


async def test_rate_limit_refuses_a_flood_without_storing_it(setup, settings):
    settings.WS_RATE_BURST = 5
    settings.WS_RATE_PER_SECOND = 0.01
    clerk, consultation = setup
    await accept(consultation, clerk)
    citizen, _ = await connect(f"/ws/citizen/{consultation.public_token}/")
    for n in range(8):
        await send(citizen, type="message", client_id=f"f{n}", body="spam")
    frames = [await receive(citizen) for _ in range(8)]
    assert [f["type"] for f in frames].count("message") == 5
    assert [f.get("code") for f in frames if f["type"] == "error"] == ["rate_limited"] * 3
    count = await database_sync_to_async(Message.objects.filter(kind="text").count)()
    assert count == 5
    await citizen.disconnect()


async def test_forged_origin_is_refused(setup):
    _, consultation = setup
    _, ok = await connect(
        f"/ws/citizen/{consultation.public_token}/", origin=b"https://evil.example"
    )
    assert not ok


async def test_unknown_token_is_refused(setup):
    _, ok = await connect("/ws/citizen/" + "A" * 43 + "/")
    assert not ok


async def test_a_clerk_cannot_open_someone_elses_consultation(setup, topic, make_clerk):
    clerk, consultation = setup
    await accept(consultation, clerk)
    ben = await database_sync_to_async(make_clerk)("ben", [topic])
    _, ok = await connect(
        f"/ws/clerk/consultations/{consultation.pk}/", cookie=await session_cookie(ben)
    )
    assert not ok
    _, anonymous_ok = await connect(f"/ws/clerk/consultations/{consultation.pk}/")
    assert not anonymous_ok


async def test_one_citizen_token_does_not_see_another_consultation(setup, topic, make_clerk):
    clerk, consultation = setup
    other = await database_sync_to_async(lifecycle.start_consultation)(topic_slug="hundesteuer")
    await accept(consultation, clerk)
    snoop, _ = await connect(f"/ws/citizen/{other.public_token}/")
    await receive(snoop)  # its own position
    await database_sync_to_async(messages.post_message)(
        consultation_id=consultation.pk,
        sender="clerk",
        body="vertraulich",
        client_id="v",
        author=clerk,
    )
    # Then the snoop's own consultation is accepted: that entry comes after anything the
    # other consultation's message could have sent the snoop.
    ben = await database_sync_to_async(make_clerk)("ben", [topic])
    await accept(other, ben)
    before, entry = await frames_before(snoop, "message")
    assert (entry["seq"], entry["kind"], entry["body"]) == (1, "accepted", "Ben")
    assert all(f["type"] == "position" for f in before)
    await snoop.disconnect()


async def test_citizen_cannot_send_clerk_frames(setup):
    clerk, consultation = setup
    await accept(consultation, clerk)
    citizen, _ = await connect(f"/ws/citizen/{consultation.public_token}/")
    await send(citizen, type="end", outcome="resolved")
    assert (await receive(citizen))["code"] == "unknown_type"
    state = await database_sync_to_async(
        lambda: Consultation.objects.get(pk=consultation.pk).state
    )()
    assert state == "active"
    await citizen.disconnect()


async def test_typing_is_not_relayed_while_waiting(setup):
    """Nobody may learn that a waiting citizen types. While waiting no clerk socket is open
    (and a clerk's socket shows typing only while active), so a listener of the
    consultation's group stands in for any future one."""
    _, consultation = setup
    layer = get_channel_layer()
    listener = await layer.new_channel()
    group = events.consultation_group(consultation.pk)
    await layer.group_add(group, listener)
    citizen, _ = await connect(f"/ws/citizen/{consultation.public_token}/")
    await receive(citizen)  # its position
    await send(citizen, type="typing", active=True)
    await send(citizen, type="resume", last_seq=0)
    await receive_until(citizen, "ready")  # so the typing frame has been handled
    await layer.send(listener, {"type": "sentinel"})
    assert await layer.receive(listener) == {"type": "sentinel"}  # no chat.typing before it
    await layer.group_discard(group, listener)
    await citizen.disconnect()


async def test_a_waiting_room_fetches_a_dropped_accept_from_the_log(setup, monkeypatch):
    """The channel layer drops at capacity: the queue change that follows tells the room it is
    no longer in the queue, and the room sends the missing entry from the database."""
    clerk, consultation = setup
    citizen, _ = await connect(f"/ws/citizen/{consultation.public_token}/")
    await send(citizen, type="resume", last_seq=0)
    await receive_until(citizen, "ready")
    deliver = events._send

    def drop_log_entries(group, event):
        if not isinstance(event, events.LogEntry):
            deliver(group, event)

    monkeypatch.setattr(events, "_send", drop_log_entries)
    await accept(consultation, clerk)
    frame = await receive_until(citizen, "message", timeout=5)
    assert (frame["seq"], frame["kind"], frame["state"]) == (1, "accepted", "active")
    await citizen.disconnect()


async def test_many_sockets_on_one_token_share_one_allowance(setup, settings):
    """25 sockets on one token do not get 25 times the rate (issue 16, finding 4): the frames
    of all a credential's sockets are counted together (in Redis, across processes)."""
    settings.WS_RATE_BURST, settings.WS_RATE_PER_SECOND = 20, 1  # 30 per 10-s window
    clerk, consultation = setup
    await accept(consultation, clerk)
    sockets = []
    for _ in range(4):
        ws, ok = await connect(f"/ws/citizen/{consultation.public_token}/")
        assert ok
        sockets.append(ws)
    for n, ws in enumerate(sockets):
        for i in range(20):  # each within its own connection's burst
            await send(ws, type="message", client_id=f"s{n}-{i}", body="Hallo")
    refused = 0
    for ws in sockets:  # every frame is answered: stored (broadcast) or refused (an error)
        while not await ws.receive_nothing(timeout=1):
            frame = await receive(ws)
            refused += frame["type"] == "error" and frame["code"] == "rate_limited"
    stored = await database_sync_to_async(
        Message.objects.filter(consultation=consultation, kind="text").count
    )()
    assert stored <= 60  # at most two windows' worth, never the 80 sent
    assert stored + refused == 80
    for ws in sockets:
        await ws.disconnect()
