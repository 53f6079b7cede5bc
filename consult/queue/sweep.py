"""Deadlines enforced by whichever process sweeps next: offers that timed out, clerks whose
console went silent (their consultations go back to the head of the queue), waiting citizens
who have been gone longer than the grace (consult/queue/presence.py).
"""

from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from consult import events
from consult.consultations.models import Consultation
from consult.queue.models import Offer
from consult.queue.presence import abandon_gone_citizens
from consult.queue.routing import alive_since, dispatch, end_offer
from consult.queue.status import change_status
from consult.queue.transfers import release_clerk
from consult.queue.transitions import lock_profiles
from consult.staff.models import StaffProfile

WAITING = Consultation.State.WAITING


def _expire_offers(now: datetime) -> int:
    """End the offers whose deadline passed; a clerk who missed too many in a row is set
    away, so routing stops ringing an unattended console."""
    expired = 0
    due = Consultation.objects.filter(
        state=WAITING, offer_expires_at__lte=now, offered_to__isnull=False
    ).values_list("pk", "offered_to_id")
    for consultation_id, clerk_id in list(due[:500]):
        with transaction.atomic():
            profile = lock_profiles(clerk_id).get(clerk_id)
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
            if consultation is None or profile is None:
                continue
            end_offer(consultation.pk, clerk_id, Offer.Outcome.EXPIRED, now)
            StaffProfile.objects.filter(pk=profile.pk).update(missed_offers=F("missed_offers") + 1)
            profile.refresh_from_db(fields=["missed_offers"])
            if (
                profile.status == StaffProfile.Status.AVAILABLE
                and profile.missed_offers >= settings.QUEUE_MISSED_OFFERS_AWAY
            ):
                change_status(profile, status=StaffProfile.Status.AWAY, now=now)
            events.publish_queue_changed(consultation.topic_id)
            events.publish_clerk_changed(clerk_id)
            expired += 1
    return expired


def _release_absent_clerks(now: datetime) -> int:
    absent = (
        StaffProfile.objects.filter(
            Q(status=StaffProfile.Status.OFFLINE) | Q(last_seen_at__lt=alive_since(now))
        )
        .filter(
            Q(user__consultations__state=Consultation.State.ACTIVE)
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
    abandon_gone_citizens(now=now)
    dispatch(now=now)
