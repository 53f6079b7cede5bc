"""Deadlines enforced by whichever process sweeps next: offers that timed out, clerks whose
console went silent (their consultations go back to the head of the queue).
"""

from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from consult import events
from consult.consultations.models import Consultation, Message
from consult.queue.models import Offer
from consult.queue.routing import (
    ACTIVE,
    WAITING,
    _alive_since,
    _end_offer,
    _publish_clerk,
    _publish_topic,
    dispatch,
    lock_profiles,
    withdraw_offers,
)
from consult.queue.transfers import _requeue
from consult.staff.models import StaffProfile
from consult.staff.presence import record_status


def _expire_offers(now: datetime) -> int:
    expired = 0
    due = Consultation.objects.filter(
        state=WAITING, offer_expires_at__lte=now, offered_to__isnull=False
    ).values_list("pk", "offered_to_id")
    for consultation_id, clerk_id in list(due[:500]):
        with transaction.atomic():
            lock_profiles(clerk_id)
            consultation = (
                Consultation.objects.select_for_update(skip_locked=True)
                .filter(
                    pk=consultation_id,
                    state=WAITING,
                    offer_expires_at__lte=now,
                    offered_to_id=clerk_id,
                )
                .first()
            )
            if consultation is None:
                continue
            _end_offer(consultation.pk, clerk_id, Offer.Outcome.EXPIRED, now)
            StaffProfile.objects.filter(user_id=clerk_id).update(
                missed_offers=F("missed_offers") + 1
            )
            missed_too_often = StaffProfile.objects.filter(
                user_id=clerk_id,
                missed_offers__gte=settings.QUEUE_MISSED_OFFERS_AWAY,
                status=StaffProfile.Status.AVAILABLE,
            )
            if missed_too_often.update(
                status=StaffProfile.Status.AWAY, status_changed_at=now, missed_offers=0
            ):
                record_status(clerk_id=clerk_id, status=StaffProfile.Status.AWAY, now=now)
                events.publish(events.clerk_group(clerk_id), "clerk.status", status="away")
            _publish_topic(consultation.topic_id)
            _publish_clerk(clerk_id)
            expired += 1
    return expired


def release_clerk(*, clerk_id: int, now: datetime | None = None) -> int:
    """Return a clerk's active consultations to the head of their queues and withdraw the
    offer ringing on their console. Returns how many consultations went back."""
    now = now or timezone.now()
    released = 0
    with transaction.atomic():
        lock_profiles(clerk_id)
        for consultation in Consultation.objects.select_for_update().filter(
            clerk_id=clerk_id, state=ACTIVE
        ):
            _requeue(consultation, now, kind=Message.Kind.REQUEUED, body="")
            released += 1
        withdraw_offers(clerk_id=clerk_id, now=now)
        if released:
            StaffProfile.objects.filter(user_id=clerk_id).update(idle_since=now)
        _publish_clerk(clerk_id)
    return released


def _release_absent_clerks(now: datetime) -> int:
    absent = (
        StaffProfile.objects.filter(
            Q(status=StaffProfile.Status.OFFLINE) | Q(last_seen_at__lt=_alive_since(now))
        )
        .filter(
            Q(user__consultations__state=ACTIVE)
            | Q(user_id__in=Consultation.objects.filter(state=WAITING).values("offered_to_id"))
        )
        .values_list("user_id", flat=True)
        .distinct()
    )
    return sum(release_clerk(clerk_id=user_id, now=now) for user_id in list(absent))


def sweep(*, now: datetime | None = None) -> None:
    """Enforce due deadlines, then dispatch. Safe to run in every process at once."""
    now = now or timezone.now()
    _expire_offers(now)
    _release_absent_clerks(now)
    dispatch(now=now)
