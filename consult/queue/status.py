"""Writes for clerks' presence."""

from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from consult import events
from consult.errors import DomainError
from consult.queue import routing, sweep
from consult.queue.routing import dispatch
from consult.staff.models import StaffProfile
from consult.staff.presence import record_status


def console_connected(*, clerk: AbstractBaseUser, now: datetime | None = None) -> None:
    """A console came (back): the clerk is present, so routing may ring it."""
    now = now or timezone.now()
    touch_presence(clerk=clerk, now=now)
    dispatch(now=now)


def touch_presence(*, clerk: AbstractBaseUser, now: datetime | None = None) -> None:
    """The console's heartbeat."""
    StaffProfile.objects.filter(user_id=clerk.pk).update(last_seen_at=now or timezone.now())


def set_status(
    *, clerk: AbstractBaseUser, status: str, now: datetime | None = None
) -> StaffProfile:
    """Available: routing may offer consultations. Away: no new ones, current chats stay.
    Offline: current consultations go back to the head of their queues."""
    if status not in StaffProfile.Status.values:
        raise DomainError("invalid_status", "Unknown status.")
    now = now or timezone.now()
    with transaction.atomic():
        profile = StaffProfile.objects.select_for_update().filter(user_id=clerk.pk).first()
        if profile is None:
            raise DomainError("not_clerk", "Only clerks have a status.")
        if profile.status != status:
            profile.status = status
            profile.status_changed_at = now
            profile.missed_offers = 0
            fields = ["status", "status_changed_at", "missed_offers"]
            if status == StaffProfile.Status.AVAILABLE and routing.load_of(clerk.pk).active == 0:
                profile.idle_since = now
                fields.append("idle_since")
            profile.save(update_fields=fields)
            record_status(clerk_id=clerk.pk, status=status, now=now)
        if status == StaffProfile.Status.OFFLINE:
            sweep.release_clerk(clerk_id=clerk.pk, now=now)
        elif status == StaffProfile.Status.AWAY:
            routing.withdraw_offers(clerk_id=clerk.pk, now=now)
        events.publish(events.clerk_group(clerk.pk), "clerk.status", status=status)
        events.publish(events.WALLBOARD_GROUP, "wallboard.changed")
        for topic_id in profile.topics.values_list("pk", flat=True):
            events.publish_queue_changed(topic_id)
    routing.dispatch(now=now)
    return profile
