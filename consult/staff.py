"""Writes for clerks' presence."""

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from . import events
from .errors import DomainError
from .models import StaffProfile


def set_status(*, clerk: AbstractBaseUser, status: str) -> StaffProfile:
    if status not in StaffProfile.Status.values:
        raise DomainError("invalid_status", "Unknown status.")
    with transaction.atomic():
        profile = StaffProfile.objects.select_for_update().filter(user_id=clerk.pk).first()
        if profile is None:
            raise DomainError("not_clerk", "Only clerks have a status.")
        if profile.status != status:
            profile.status = status
            profile.status_changed_at = timezone.now()
            profile.save(update_fields=["status", "status_changed_at"])
        events.publish(events.clerk_group(clerk.pk), "clerk.status", status=status)
        for topic_id in profile.topics.values_list("pk", flat=True):
            events.publish(events.topic_group(topic_id), "queue.changed", topic=topic_id)
    return profile
