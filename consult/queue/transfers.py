"""Handing a consultation on: to another topic's queue or to a named colleague."""

from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from consult.catalogue.models import Topic
from consult.consultations.log import append_log_entry
from consult.consultations.models import Consultation, Message
from consult.errors import DomainError
from consult.queue.routing import (
    ACTIVE,
    WAITING,
    _free_to_ring,
    _publish_clerk,
    _publish_topic,
    _ring,
    became_free,
    dispatch,
    lock_profiles,
)
from consult.staff.models import StaffProfile
from consult.statistics import rollup

# --- Giving consultations back ------------------------------------------------------------


def _requeue(consultation: Consultation, now: datetime, *, kind: str, body: str) -> None:
    """Back to the head of its topic's queue (priority "requeued", original queue time)."""
    old_clerk = consultation.clerk_id
    consultation.state = WAITING
    consultation.clerk = None
    consultation.priority = max(consultation.priority, Consultation.Priority.REQUEUED)
    consultation.offered_to = None
    consultation.offer_expires_at = None
    consultation.save(
        update_fields=["state", "clerk", "priority", "offered_to", "offer_expires_at", "topic"]
    )
    rollup.consultation_changed(consultation)
    append_log_entry(
        consultation=consultation, kind=kind, sender=Message.Sender.SYSTEM, body=body, now=now
    )
    _publish_topic(consultation.topic_id)
    if old_clerk is not None:
        _publish_clerk(old_clerk)


# --- Transfers ----------------------------------------------------------------------------


def _own_active(consultation_id: int, clerk: AbstractBaseUser) -> Consultation:
    consultation = (
        Consultation.objects.select_for_update()
        .filter(pk=consultation_id, clerk_id=clerk.pk, state=ACTIVE)
        .first()
    )
    if consultation is None:
        raise DomainError("not_found", "No such active consultation of yours.")
    return consultation


def transfer_to_topic(
    *,
    consultation_id: int,
    clerk: AbstractBaseUser,
    topic_slug: str,
    now: datetime | None = None,
) -> Consultation:
    """Hand a consultation to another topic: it enters that queue at the head."""
    now = now or timezone.now()
    with transaction.atomic():
        lock_profiles(clerk.pk)
        consultation = _own_active(consultation_id, clerk)
        topic = Topic.objects.filter(slug=topic_slug, active=True).first()
        if topic is None:
            raise DomainError("unknown_topic", "This topic does not exist or is closed.")
        old_topic = consultation.topic_id
        consultation.topic = topic
        _requeue(consultation, now, kind=Message.Kind.TRANSFERRED, body=topic.name)
        _publish_topic(old_topic)
        became_free(clerk.pk, now)
    dispatch(now=now)
    return consultation


def transfer_to_clerk(
    *,
    consultation_id: int,
    clerk: AbstractBaseUser,
    target_id: int,
    now: datetime | None = None,
) -> Consultation:
    """Hand a consultation to a named available colleague who serves its topic: they get an
    offer; if they decline or let it time out, normal routing takes over."""
    now = now or timezone.now()
    with transaction.atomic():
        lock_profiles(clerk.pk, target_id)
        consultation = _own_active(consultation_id, clerk)
        target = (
            StaffProfile.objects.filter(
                user_id=target_id,
                status=StaffProfile.Status.AVAILABLE,
                topics=consultation.topic_id,
            )
            .exclude(user_id=clerk.pk)
            .first()
        )
        if target is None:
            raise DomainError("clerk_unavailable", "That colleague cannot take it now.")
        if not _free_to_ring(target, consultation.channel):
            raise DomainError("clerk_busy", "That colleague has no room at the moment.")
        _requeue(consultation, now, kind=Message.Kind.TRANSFERRED, body=target.display_name)
        _ring(consultation, target_id, now)
        became_free(clerk.pk, now)
    return consultation
