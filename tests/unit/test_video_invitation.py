"""A chat becomes a video call only through an open invitation (consult/queue/video.py)."""

import pytest

from consult.consultations.models import Consultation, Message
from consult.errors import DomainError
from consult.queue import lifecycle, routing, video
from consult.queue.sweep import release_clerk

pytestmark = pytest.mark.django_db


def active_chat(topic, clerk, channel="chat"):
    waiting = lifecycle.start_consultation(topic_slug=topic.slug, channel=channel)
    return routing.accept(consultation_id=waiting.pk, clerk=clerk)


def code_of(call, **kwargs):
    with pytest.raises(DomainError) as error:
        call(**kwargs)
    return error.value.code


def snapshot(consultation):
    """What a refused call must leave unchanged."""
    consultation.refresh_from_db()
    return (consultation.channel, consultation.video_invited_at, consultation.last_seq)


@pytest.fixture
def clerk(topic, make_clerk):
    return make_clerk("anna", [topic])


def test_an_answer_without_an_invitation_is_refused_and_changes_nothing(topic, clerk):
    chat = active_chat(topic, clerk)
    before = snapshot(chat)
    for accept in (True, False):
        code = code_of(video.answer_video_invitation, consultation_id=chat.pk, accept=accept)
        assert code == "not_invited"
    assert snapshot(chat) == before == ("chat", None, 1)


def test_invitation_then_yes_switches_to_video_with_a_log_entry(topic, clerk):
    chat = active_chat(topic, clerk)
    invited = video.invite_to_video(consultation_id=chat.pk, clerk=clerk)
    assert invited.video_invited_at is not None and video.invitation_open(invited)
    video.answer_video_invitation(consultation_id=chat.pk, accept=True)
    chat.refresh_from_db()
    assert (chat.channel, chat.video_invited_at) == ("video", None)
    entry = Message.objects.get(consultation=chat, seq=chat.last_seq)
    assert (entry.kind, entry.sender, entry.state_after) == ("video", "system", "active")


def test_a_second_yes_is_refused_and_writes_nothing(topic, clerk):
    chat = active_chat(topic, clerk)
    video.invite_to_video(consultation_id=chat.pk, clerk=clerk)
    video.answer_video_invitation(consultation_id=chat.pk, accept=True)
    before = snapshot(chat)
    code = code_of(video.answer_video_invitation, consultation_id=chat.pk, accept=True)
    assert code == "not_invited"
    assert snapshot(chat) == before
    assert Message.objects.filter(consultation=chat, kind=Message.Kind.VIDEO).count() == 1


def test_invitation_then_no_keeps_the_chat_and_closes_the_invitation(topic, clerk):
    chat = active_chat(topic, clerk)
    video.invite_to_video(consultation_id=chat.pk, clerk=clerk)
    video.answer_video_invitation(consultation_id=chat.pk, accept=False)
    assert snapshot(chat) == ("chat", None, 1)  # no log entry either
    code = code_of(video.answer_video_invitation, consultation_id=chat.pk, accept=True)
    assert code == "not_invited"


def test_only_the_own_active_chat_can_be_invited(topic, clerk, make_clerk):
    ben = make_clerk("ben", [topic])
    chat = active_chat(topic, clerk)
    assert code_of(video.invite_to_video, consultation_id=chat.pk, clerk=ben) == "not_active"
    waiting = lifecycle.start_consultation(topic_slug=topic.slug)
    code = code_of(video.invite_to_video, consultation_id=waiting.pk, clerk=clerk)
    assert code == "not_active"
    assert code_of(video.invite_to_video, consultation_id=10**9, clerk=clerk) == "not_active"
    assert snapshot(chat) == ("chat", None, 1)


def test_a_video_consultation_cannot_be_invited(topic, clerk):
    call = active_chat(topic, clerk, channel="video")
    assert code_of(video.invite_to_video, consultation_id=call.pk, clerk=clerk) == "already_video"


def test_no_invitation_while_the_clerk_has_other_conversations(topic, clerk):
    chat = active_chat(topic, clerk)
    active_chat(topic, clerk)
    code = code_of(video.invite_to_video, consultation_id=chat.pk, clerk=clerk)
    assert code == "close_other_conversations"
    assert snapshot(chat) == ("chat", None, 1)


def test_yes_is_refused_when_the_clerk_took_another_chat_since_and_the_invitation_stays(
    topic, clerk
):
    chat = active_chat(topic, clerk)
    video.invite_to_video(consultation_id=chat.pk, clerk=clerk)
    other = active_chat(topic, clerk)
    code = code_of(video.answer_video_invitation, consultation_id=chat.pk, accept=True)
    assert code == "video_not_possible"
    chat.refresh_from_db()
    assert chat.channel == "chat" and video.invitation_open(chat)
    lifecycle.end_consultation(consultation_id=other.pk, clerk=clerk, outcome="resolved")
    video.answer_video_invitation(consultation_id=chat.pk, accept=True)
    chat.refresh_from_db()
    assert chat.channel == "video"


def test_an_invitation_from_before_a_requeue_is_stale(topic, clerk):
    chat = active_chat(topic, clerk)
    video.invite_to_video(consultation_id=chat.pk, clerk=clerk)
    release_clerk(clerk_id=clerk.pk)  # the clerk dropped: back to the queue
    chat.refresh_from_db()
    assert chat.state == Consultation.State.WAITING and not video.invitation_open(chat)
    routing.accept(consultation_id=chat.pk, clerk=clerk)  # a new conversation
    chat.refresh_from_db()
    assert not video.invitation_open(chat)
    code = code_of(video.answer_video_invitation, consultation_id=chat.pk, accept=True)
    assert code == "not_invited"


def test_a_call_may_start_only_in_an_active_video_consultation(topic, clerk):
    chat = active_chat(topic, clerk)
    assert code_of(video.ensure_call_allowed, consultation_id=chat.pk) == "not_video"
    waiting = lifecycle.start_consultation(topic_slug=topic.slug, channel="video")
    assert code_of(video.ensure_call_allowed, consultation_id=waiting.pk) == "not_active"
    assert code_of(video.ensure_call_allowed, consultation_id=10**9) == "not_found"
    lifecycle.end_consultation(consultation_id=chat.pk, clerk=clerk, outcome="resolved")
    call = active_chat(topic, clerk, channel="video")
    video.ensure_call_allowed(consultation_id=call.pk)  # no error


def test_a_moved_relay_is_told_in_the_log_of_an_active_video_call_only(
    topic, clerk, django_capture_on_commit_callbacks
):
    from consult import events

    call = active_chat(topic, clerk, channel="video")
    outbox: list = []
    with events.collecting(outbox), django_capture_on_commit_callbacks(execute=True):
        entry = video.record_relay_moved(consultation_id=call.pk)
    assert entry is not None
    assert (entry.kind, entry.sender, entry.state_after) == ("relay_moved", "system", "active")
    assert [(group, event["type"]) for group, event in outbox] == [
        (events.consultation_group(call.pk), "chat.message")
    ]
    assert outbox[0][1]["message"]["kind"] == "relay_moved"

    # Ended while its worker was dying: nothing is written (it would read "active" again).
    lifecycle.end_consultation(consultation_id=call.pk, clerk=clerk, outcome="resolved")
    before = snapshot(call)
    assert video.record_relay_moved(consultation_id=call.pk) is None
    assert snapshot(call) == before
