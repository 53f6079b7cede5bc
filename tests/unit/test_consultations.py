"""The consultation life cycle as the domain functions implement it."""

from unittest.mock import ANY

import pytest
from django.utils import timezone

from consult.consultations.models import Consultation, Message
from consult.errors import DomainError
from consult.queue import lifecycle, routing
from consult.staff.models import StaffProfile

pytestmark = pytest.mark.django_db


def test_start_consultation_waits_in_topic_queue_and_tells_the_topic(
    topic, on_duty, sent_events, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        consultation = lifecycle.start_consultation(topic_slug="hundesteuer")
    assert consultation.state == Consultation.State.WAITING
    assert consultation.topic == topic
    assert len(consultation.public_token) >= 43  # 256 bits, URL-safe
    assert sent_events[:2] == [
        (f"topic.{topic.pk}", {"type": "queue.changed", "topic": topic.pk, "at": ANY}),
        ("wallboard", {"type": "wallboard.changed"}),
    ]
    # Then routing rings the clerk on duty (the topic is reachable because they are there).
    assert sent_events[2:] == [
        (f"topic.{topic.pk}", {"type": "queue.changed", "topic": topic.pk, "at": ANY}),
        ("wallboard", {"type": "wallboard.changed"}),
        (f"clerk.{on_duty.pk}", {"type": "clerk.assigned", "clerk": on_duty.pk}),
    ]


def test_tokens_are_unique(topic, on_duty):
    tokens = {
        lifecycle.start_consultation(topic_slug="hundesteuer").public_token for _ in range(20)
    }
    assert len(tokens) == 20


@pytest.mark.parametrize("slug", ["nope", ""])
def test_start_with_unknown_topic_is_refused_and_creates_nothing(topic, slug):
    with pytest.raises(DomainError) as error:
        lifecycle.start_consultation(topic_slug=slug)
    assert error.value.code == "unknown_topic"
    assert Consultation.objects.count() == 0


def test_start_on_inactive_topic_is_refused(topic):
    topic.active = False
    topic.save()
    with pytest.raises(DomainError):
        lifecycle.start_consultation(topic_slug="hundesteuer")


def test_accept_makes_it_active_logs_the_clerk_and_notifies(
    topic, make_clerk, sent_events, django_capture_on_commit_callbacks
):
    clerk = make_clerk("anna", [topic])
    waiting = lifecycle.start_consultation(topic_slug="hundesteuer")
    sent_events.clear()
    with django_capture_on_commit_callbacks(execute=True):
        active = routing.accept(consultation_id=waiting.pk, clerk=clerk)
    assert active.state == Consultation.State.ACTIVE
    assert active.clerk == clerk
    assert active.accepted_at is not None
    entry = Message.objects.get(consultation=active)
    assert (entry.seq, entry.kind, entry.body) == (1, Message.Kind.ACCEPTED, "Anna")
    groups = [group for group, _ in sent_events]
    assert groups == [
        f"consultation.{active.pk}",
        f"topic.{topic.pk}",
        "wallboard",
        f"clerk.{clerk.pk}",
    ]
    assert sent_events[0][1]["message"]["kind"] == "accepted"


def test_second_accept_loses_with_already_taken(topic, make_clerk):
    anna, ben = make_clerk("anna", [topic]), make_clerk("ben", [topic])
    waiting = lifecycle.start_consultation(topic_slug="hundesteuer")
    routing.accept(consultation_id=waiting.pk, clerk=anna)
    with pytest.raises(DomainError) as error:
        routing.accept(consultation_id=waiting.pk, clerk=ben)
    assert error.value.code == "already_taken"
    waiting.refresh_from_db()
    assert waiting.clerk == anna


def test_clerk_cannot_accept_outside_their_topics(topic, on_duty, other_topic, make_clerk):
    ben = make_clerk("ben", [other_topic])
    waiting = lifecycle.start_consultation(topic_slug="hundesteuer")
    with pytest.raises(DomainError) as error:
        routing.accept(consultation_id=waiting.pk, clerk=ben)
    assert error.value.code == "not_found"
    waiting.refresh_from_db()
    assert waiting.state == Consultation.State.WAITING


def test_clerk_must_be_available_to_accept(topic, on_duty, make_clerk):
    anna = make_clerk("anna", [topic], status=StaffProfile.Status.AWAY)
    waiting = lifecycle.start_consultation(topic_slug="hundesteuer")
    with pytest.raises(DomainError) as error:
        routing.accept(consultation_id=waiting.pk, clerk=anna)
    assert error.value.code == "not_available"


def test_user_without_profile_cannot_accept(topic, on_duty, django_user_model):
    user = django_user_model.objects.create_user(username="x", password="pw")
    waiting = lifecycle.start_consultation(topic_slug="hundesteuer")
    with pytest.raises(DomainError) as error:
        routing.accept(consultation_id=waiting.pk, clerk=user)
    assert error.value.code == "not_clerk"


def test_leaving_while_waiting_abandons(topic, on_duty):
    waiting = lifecycle.start_consultation(topic_slug="hundesteuer")
    left = lifecycle.leave_consultation(public_token=waiting.public_token)
    assert left.state == Consultation.State.ABANDONED
    assert left.ended_by == "citizen"
    assert left.ended_at is not None
    assert list(left.messages.values_list("kind", flat=True)) == ["abandoned"]


def test_leaving_an_active_conversation_ends_it_and_clerk_records_outcome_after(topic, make_clerk):
    anna = make_clerk("anna", [topic])
    consultation = lifecycle.start_consultation(topic_slug="hundesteuer")
    routing.accept(consultation_id=consultation.pk, clerk=anna)
    left = lifecycle.leave_consultation(public_token=consultation.public_token)
    assert left.state == Consultation.State.ENDED
    closed = lifecycle.end_consultation(
        consultation_id=consultation.pk, clerk=anna, outcome="resolved"
    )
    assert (closed.state, closed.outcome, closed.ended_by) == ("ended", "resolved", "citizen")
    assert list(closed.messages.values_list("kind", flat=True)) == ["accepted", "ended"]
    with pytest.raises(DomainError) as error:
        lifecycle.end_consultation(consultation_id=consultation.pk, clerk=anna, outcome="resolved")
    assert error.value.code == "already_closed"


def test_leaving_twice_changes_nothing(topic, on_duty):
    waiting = lifecycle.start_consultation(topic_slug="hundesteuer")
    lifecycle.leave_consultation(public_token=waiting.public_token)
    lifecycle.leave_consultation(public_token=waiting.public_token)
    assert waiting.messages.count() == 1


def test_end_needs_a_listed_outcome_and_the_own_clerk(topic, make_clerk):
    anna, ben = make_clerk("anna", [topic]), make_clerk("ben", [topic])
    consultation = lifecycle.start_consultation(topic_slug="hundesteuer")
    routing.accept(consultation_id=consultation.pk, clerk=anna)
    with pytest.raises(DomainError) as error:
        lifecycle.end_consultation(consultation_id=consultation.pk, clerk=anna, outcome="whatever")
    assert error.value.code == "invalid_outcome"
    with pytest.raises(DomainError) as error:
        lifecycle.end_consultation(consultation_id=consultation.pk, clerk=ben, outcome="resolved")
    assert error.value.code == "not_found"
    consultation.refresh_from_db()
    assert consultation.state == Consultation.State.ACTIVE
    ended = lifecycle.end_consultation(
        consultation_id=consultation.pk, clerk=anna, outcome="follow_up"
    )
    assert (ended.state, ended.outcome, ended.ended_by) == ("ended", "follow_up", "clerk")


@pytest.fixture
def services(topic, other_topic):
    from consult.catalogue.models import Service

    def make(slug, name, topic, **fields):
        return Service.objects.create(slug=slug, name=name, topic=topic, description="…", **fields)

    return (
        make("hund-anmelden", "Hund anmelden", topic),
        make("bauantrag-stellen", "Bauantrag stellen", other_topic),
        make("hund-abmelden", "Hund abmelden", topic, active=False),
    )


def test_start_stores_the_service_and_the_concern_on_one_line(topic, on_duty, services):
    consultation = lifecycle.start_consultation(
        topic_slug="hundesteuer",
        service_slug="hund-anmelden",
        concern="  Zweiter Hund,\r\n  was kostet das?  ",
    )
    consultation.refresh_from_db()
    assert consultation.service == services[0]
    assert consultation.concern == "Zweiter Hund, was kostet das?"
    plain = lifecycle.start_consultation(topic_slug="hundesteuer")
    assert (plain.service, plain.concern) == (None, "")


@pytest.mark.parametrize(
    ("slug", "why"),
    [
        ("bauantrag-stellen", "a service of another topic"),
        ("hund-abmelden", "an inactive service"),
        ("gibt-es-nicht", "no such service"),
    ],
)
def test_start_refuses_a_service_that_is_not_one_of_the_topic(topic, services, slug, why):
    with pytest.raises(DomainError) as error:
        lifecycle.start_consultation(topic_slug="hundesteuer", service_slug=slug)
    assert error.value.code == "unknown_service", why
    assert not Consultation.objects.exists()


@pytest.mark.parametrize(
    ("concern", "code"),
    [
        ("x" * 201, "concern_too_long"),
        ("Hund\x00steuer", "invalid_characters"),
        ("Hund \ud800 steuer", "invalid_characters"),  # a lone surrogate
    ],
)
def test_start_refuses_a_concern_no_column_takes(topic, on_duty, concern, code):
    with pytest.raises(DomainError) as error:
        lifecycle.start_consultation(topic_slug="hundesteuer", concern=concern)
    assert error.value.code == code
    assert not Consultation.objects.exists()
    fits = lifecycle.start_consultation(topic_slug="hundesteuer", concern="ä" * 200)
    assert len(fits.concern) == 200


def test_the_console_shows_service_and_concern_in_the_queue_and_the_offer(
    topic, services, make_clerk
):
    from consult.queue import selectors

    anna = make_clerk("anna", [topic], status="available")
    StaffProfile.objects.filter(user=anna).update(last_seen_at=timezone.now())
    lifecycle.start_consultation(
        topic_slug="hundesteuer", service_slug="hund-anmelden", concern="<b>Zweiter Hund</b>"
    )
    snapshot = selectors.console_snapshot(anna)
    (waiting,) = snapshot["waiting"]
    assert (waiting["service"], waiting["concern"]) == ("Hund anmelden", "<b>Zweiter Hund</b>")
    assert (snapshot["offer"]["service"], snapshot["offer"]["concern"]) == (
        "Hund anmelden",
        "<b>Zweiter Hund</b>",  # as written: the console sets it as text, never as markup
    )
