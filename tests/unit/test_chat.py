"""Chat messages: sequence numbers, idempotent resends, limits, replay selector."""

import pytest

from consult import events
from consult.chat import messages
from consult.consultations import selectors
from consult.consultations.models import Message
from consult.errors import DomainError
from consult.queue import lifecycle, routing, transfers
from consult.queue import selectors as queue_selectors

pytestmark = pytest.mark.django_db


@pytest.fixture
def active(chat):
    return chat


def post(consultation, body="Hallo", client_id="c1", sender="citizen"):
    author = consultation.clerk if sender == "clerk" else None
    return messages.post_message(
        consultation_id=consultation.pk,
        sender=sender,
        body=body,
        client_id=client_id,
        author=author,
    )


def test_messages_get_consecutive_sequence_numbers_after_the_accept(active):
    first, _ = post(active, "Guten Tag", "a")
    second, _ = post(active, "Ich habe eine Frage", "b", sender="clerk")
    assert (first.seq, second.seq) == (2, 3)  # 1 is the accept entry
    active.refresh_from_db()
    assert active.last_seq == 3


def test_a_resend_with_the_same_client_id_is_stored_once(active):
    first, created = post(active, "Hallo", "same")
    again, created_again = post(active, "Hallo", "same")
    assert created and not created_again
    assert again.pk == first.pk
    assert Message.objects.filter(consultation=active, kind="text").count() == 1


def test_message_is_broadcast_after_commit(active, sent_events, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        message, _ = post(active, "<b>fett</b>", "x")
    group, event = sent_events[-1]
    assert group == f"consultation.{active.pk}"
    assert event["type"] == "chat.message"
    assert event["message"]["body"] == "<b>fett</b>"  # stored and sent verbatim, shown as text
    assert event["message"]["seq"] == message.seq


def test_limits_refuse_and_store_nothing(active):
    with pytest.raises(DomainError) as too_long:
        post(active, "x" * 4001, "long")
    with pytest.raises(DomainError) as empty:
        post(active, "   ", "empty")
    assert (too_long.value.code, empty.value.code) == ("message_too_long", "empty_message")
    assert Message.objects.filter(kind="text").count() == 0
    post(active, "x" * 4000, "max")  # the limit itself is allowed


def test_no_messages_while_waiting_or_after_the_end(topic, on_duty):
    waiting = lifecycle.start_consultation(topic_slug="hundesteuer")
    with pytest.raises(DomainError) as error:
        post(waiting)
    assert error.value.code == "not_active"
    lifecycle.leave_consultation(public_token=waiting.public_token)
    with pytest.raises(DomainError):
        post(waiting, client_id="later")


def test_what_a_citizen_writes_while_back_in_the_queue_is_kept_for_the_next_clerk(
    active, make_clerk, topic, django_capture_on_commit_callbacks
):
    """Issue 13: the clerk's console vanished, the chat went back to the queue; what the
    citizen typed then is stored (not refused and left "sending" in the page), the clerk who
    lost it cannot write any more, and the next clerk reads it."""
    anna = active.clerk
    transfers.release_clerk(clerk_id=anna.pk)
    sent: list = []
    with events.collecting(sent), django_capture_on_commit_callbacks(execute=True):
        message, created = post(active, "Sind Sie noch da?", "while-waiting")
    assert created and message.seq == active.last_seq + 2  # after the "requeued" entry
    # The entry changes no state: the citizen's page and socket go on waiting.
    assert [m["message"]["state"] for _group, m in sent] == ["waiting"]
    replay = selectors.log_since(consultation_id=active.pk, after_seq=message.seq - 1)
    assert [(e["kind"], e["state"]) for e in replay] == [("text", "waiting")]
    with pytest.raises(DomainError) as gone:
        messages.post_message(
            consultation_id=active.pk, sender="clerk", body="Ja", client_id="x", author=anna
        )
    assert gone.value.code == "not_active"
    ben = make_clerk("ben", [topic])
    routing.accept(consultation_id=active.pk, clerk=ben)
    log = selectors.log_since(consultation_id=active.pk, after_seq=0)
    assert [(e["kind"], e["state"]) for e in log] == [
        ("accepted", "active"),
        ("requeued", "waiting"),
        ("text", "waiting"),
        ("accepted", "active"),
    ]
    assert log[2]["body"] == "Sind Sie noch da?"


def test_a_refused_message_changes_nothing_and_says_why(active, make_clerk, topic):
    """Another clerk, an unknown consultation, a resend after the end: the sequence number
    stays, nothing is stored, and the error names the reason."""
    post(active, "Erste", "first")
    active.refresh_from_db()
    seq_before = active.last_seq
    other = make_clerk("bert", [topic])
    with pytest.raises(DomainError) as not_yours:
        messages.post_message(
            consultation_id=active.pk, sender="clerk", body="Hallo", client_id="b", author=other
        )
    with pytest.raises(DomainError) as no_author:
        messages.post_message(consultation_id=active.pk, sender="clerk", body="x", client_id="c")
    with pytest.raises(DomainError) as gone:
        messages.post_message(consultation_id=0, sender="citizen", body="Hallo", client_id="d")
    assert (not_yours.value.code, no_author.value.code, gone.value.code) == ("not_found",) * 3
    active.refresh_from_db()
    assert active.last_seq == seq_before
    assert Message.objects.filter(kind="text").count() == 1
    lifecycle.end_consultation(consultation_id=active.pk, clerk=active.clerk, outcome="resolved")
    again, created = post(active, "Erste", "first")  # the resend of a stored message ...
    assert not created and again.body == "Erste"  # ... still confirms it after the end
    with pytest.raises(DomainError) as ended:
        post(active, "Noch eine", "new")
    assert ended.value.code == "not_active"


def test_log_since_returns_exactly_the_gap_in_order(active):
    for n in range(5):
        post(active, f"m{n}", f"id{n}")
    entries = selectors.log_since(consultation_id=active.pk, after_seq=3)
    assert [e["seq"] for e in entries] == [4, 5, 6]
    assert [e["body"] for e in entries] == ["m2", "m3", "m4"]


def test_queue_position_counts_earlier_waiting_consultations_of_the_topic(
    topic, other_topic, make_clerk
):
    make_clerk("desk", [topic, other_topic])  # signed in: both topics reachable
    first = lifecycle.start_consultation(topic_slug="hundesteuer")
    lifecycle.start_consultation(topic_slug="bauantrag")
    second = lifecycle.start_consultation(topic_slug="hundesteuer")
    third = lifecycle.start_consultation(topic_slug="hundesteuer")
    assert queue_selectors.queue_position(third) == {"position": 3, "waiting": 3}
    lifecycle.leave_consultation(public_token=first.public_token)
    assert queue_selectors.queue_position(third) == {"position": 2, "waiting": 2}
    second.refresh_from_db()
    assert queue_selectors.queue_position(second) == {"position": 1, "waiting": 2}
