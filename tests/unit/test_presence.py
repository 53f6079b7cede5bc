"""Citizen presence (issue 14): a waiting citizen gone longer than the grace leaves the queue
as abandoned and is never offered; a reload within the grace keeps the place."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from consult.catalogue.models import Topic
from consult.consultations.models import Consultation, Message
from consult.queue import lifecycle, presence, sweep
from consult.staff.models import StaffProfile
from consult.statistics import figures
from consult.statistics.filters import Filters
from tests.queue_helpers import left_waiting

pytestmark = pytest.mark.django_db

T0 = timezone.now().replace(microsecond=0)
GRACE = settings.CITIZEN_GRACE_SECONDS


def at(seconds):
    return T0 + timedelta(seconds=seconds)


def waiting_citizen(*, seen_at=None):
    """Waiting while nobody is there (else a clerk's ring would decide before the grace)."""
    consultation = left_waiting(Topic.objects.get(slug="hundesteuer"), now=at(0))
    if seen_at is not None:
        presence.note_citizens_seen(consultation_ids=[consultation.pk], now=at(seen_at))
    return consultation


def state_of(consultation):
    consultation.refresh_from_db()
    return consultation.state


def test_a_citizen_gone_longer_than_the_grace_is_abandoned(topic):
    gone = waiting_citizen(seen_at=0)
    sweep.sweep(now=at(GRACE - 1))
    assert state_of(gone) == Consultation.State.WAITING
    sweep.sweep(now=at(GRACE + 1))
    assert state_of(gone) == Consultation.State.ABANDONED
    assert gone.ended_by == Consultation.EndedBy.CITIZEN
    assert gone.messages.filter(kind=Message.Kind.ABANDONED).count() == 1


def test_a_citizen_who_came_back_within_the_grace_keeps_the_place(topic):
    first = waiting_citizen(seen_at=0)
    second = waiting_citizen(seen_at=0)
    presence.note_citizens_seen(consultation_ids=[first.pk, second.pk], now=at(GRACE - 5))
    sweep.sweep(now=at(GRACE + 1))
    assert state_of(first) == state_of(second) == Consultation.State.WAITING


def test_a_consultation_without_any_socket_is_not_judged_by_presence(topic):
    never = waiting_citizen()
    sweep.sweep(now=at(10 * GRACE))
    assert state_of(never) == Consultation.State.WAITING


def test_a_gone_citizen_is_not_offered_to_a_clerk_who_arrives(topic, make_clerk):
    gone = waiting_citizen(seen_at=0)
    clerk = make_clerk("anna", [topic])
    StaffProfile.objects.filter(user=clerk).update(last_seen_at=at(GRACE + 1))
    sweep.sweep(now=at(GRACE + 1))
    gone.refresh_from_db()
    assert gone.offered_to is None
    assert gone.state == Consultation.State.ABANDONED


def test_an_abandoned_ghost_counts_as_abandoned_in_the_statistics(topic):
    waiting_citizen(seen_at=0)
    sweep.sweep(now=at(GRACE + 120))
    day = timezone.localdate(at(0))
    summary = figures.summary(Filters(start=day, end=day))
    assert summary["abandoned"] == 1


def test_only_open_consultations_are_noted(topic):
    left = waiting_citizen(seen_at=0)
    lifecycle.leave_consultation(public_token=left.public_token, now=at(1))
    assert presence.note_citizens_seen(consultation_ids=[left.pk], now=at(2)) == 0
    left.refresh_from_db()
    assert left.citizen_seen_at == at(0)
