"""Writes for clerks' status and presence. Every change of a clerk's status goes through
``change_status``: it records the status period (occupancy statistics) and tells the console,
the wallboard and the queues of the clerk's topics."""

from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from consult import events
from consult.consultations.models import Consultation
from consult.errors import DomainError
from consult.queue import routing
from consult.queue.transfers import release_clerk
from consult.queue.transitions import lock_profiles
from consult.staff.models import StaffProfile
from consult.staff.presence import record_status


def console_connected(*, clerk: AbstractBaseUser, now: datetime | None = None) -> None:
    """A console came (back): the clerk is present, so routing may ring it."""
    now = now or timezone.now()
    touch_presence(clerk=clerk, now=now)
    routing.dispatch(now=now)


def touch_presence(*, clerk: AbstractBaseUser, now: datetime | None = None) -> None:
    """The console's heartbeat."""
    StaffProfile.objects.filter(user_id=clerk.pk).update(last_seen_at=now or timezone.now())


def change_status(profile: StaffProfile, *, status: str, now: datetime) -> None:
    """Set a locked profile's status, record the period (if it changed) and publish."""
    if status not in StaffProfile.Status.values:
        raise DomainError("invalid_status", "Unknown status.")
    if profile.status != status:
        _save_status(profile, status=status, now=now)
    events.publish(events.clerk_group(profile.user_id), events.ClerkStatus(status=status))
    events.publish_wallboard_changed()
    for topic_id in profile.topics.values_list("pk", flat=True):
        events.publish_queue_changed(topic_id)


def _save_status(profile: StaffProfile, *, status: str, now: datetime) -> None:
    profile.status = status
    profile.status_changed_at = now
    fields = ["status", "status_changed_at"]
    if status == StaffProfile.Status.AVAILABLE:
        # Back at the desk: a new run of offers. Away (set by the sweep after missed offers,
        # or by the clerk) and offline keep the count, so the console can say why.
        profile.missed_offers = 0
        fields.append("missed_offers")
        if not Consultation.objects.filter(
            clerk_id=profile.user_id, state=Consultation.State.ACTIVE
        ).exists():
            profile.idle_since = now
            fields.append("idle_since")
    profile.save(update_fields=fields)
    record_status(clerk_id=profile.user_id, status=status, now=now)


def set_status(
    *, clerk: AbstractBaseUser, status: str, now: datetime | None = None
) -> StaffProfile:
    """Available: routing may offer consultations. Away: no new ones, current chats stay.
    Offline: current consultations go back to the head of their queues."""
    if status not in StaffProfile.Status.values:
        raise DomainError("invalid_status", "Unknown status.")
    now = now or timezone.now()
    with transaction.atomic():
        profile = lock_profiles(clerk.pk).get(clerk.pk)
        if profile is None:
            raise DomainError("not_clerk", "Only clerks have a status.")
        change_status(profile, status=status, now=now)
        if status == StaffProfile.Status.OFFLINE:
            release_clerk(clerk_id=clerk.pk, now=now)
        elif status == StaffProfile.Status.AWAY:
            routing.withdraw_offers(clerk_id=clerk.pk, now=now)
    routing.dispatch(now=now)
    return profile
