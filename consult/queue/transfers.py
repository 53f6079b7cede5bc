"""Handing a consultation on: back to the queue, to another topic's queue, or to a named
colleague."""

from datetime import datetime
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from consult.catalogue.selectors import active_topic
from consult.consultations.models import Consultation, Message
from consult.errors import DomainError
from consult.queue.routing import dispatch, free_to_ring, ring, withdraw_offers
from consult.queue.transitions import lock, lock_profiles, transition
from consult.staff.models import StaffProfile
from consult.staff.names import citizen_facing_name


def requeue(
    consultation: Consultation, *, kind: str, now: datetime, body: str = "", topic_id: int = 0
) -> None:
    """Back to the head of its topic's queue, or of ``topic_id``'s (priority "requeued",
    original queue time). The caller holds the locks (``transitions.lock``). A transfer is a
    hand-off: the consultation no longer waits for its booked clerk (``preferred_clerk``);
    after a clerk dropped it still does."""
    handed_off: dict[str, Any] = {} if kind == Message.Kind.REQUEUED else {"preferred_clerk": None}
    transition(
        consultation,
        kind=kind,
        now=now,
        body=body,
        clerk_id=None,
        priority=max(consultation.priority, Consultation.Priority.REQUEUED),
        topic_id=topic_id or consultation.topic_id,
        **handed_off,
    )


def _own_active(consultation_id: int, clerk: AbstractBaseUser, *others: int) -> Consultation:
    """The clerk's active live consultation, locked. A written question is refused: a
    transfer puts a conversation in a live queue, where nobody waits for it."""
    consultation = lock(consultation_id=consultation_id, clerks=[clerk.pk, *others])
    if (
        consultation is None
        or consultation.clerk_id != clerk.pk
        or consultation.state != Consultation.State.ACTIVE
    ):
        raise DomainError("not_found", "No such active consultation of yours.")
    if consultation.channel == Consultation.Channel.ASYNC:
        raise DomainError("written_question", "A written question cannot be transferred.")
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
        consultation = _own_active(consultation_id, clerk)
        topic = active_topic(topic_slug)
        if topic is None:
            raise DomainError("unknown_topic", "This topic does not exist or is closed.")
        requeue(
            consultation, kind=Message.Kind.TRANSFERRED, now=now, body=topic.name, topic_id=topic.pk
        )
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
        consultation = _own_active(consultation_id, clerk, target_id)
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
        if not free_to_ring(target, consultation.channel):
            raise DomainError("clerk_busy", "That colleague has no room at the moment.")
        requeue(
            consultation,
            kind=Message.Kind.TRANSFERRED,
            now=now,
            body=citizen_facing_name(user=target.user, profile=target),
        )
        ring(consultation, target_id, now)
    return consultation


def release_clerk(*, clerk_id: int, now: datetime | None = None) -> int:
    """Return a clerk's active consultations to the head of their queues and withdraw the
    offer ringing on their console. Returns how many consultations went back."""
    now = now or timezone.now()
    released = 0
    with transaction.atomic():
        lock_profiles(clerk_id)
        # A written question stays with its clerk: nobody waits live for it.
        for consultation in (
            Consultation.objects.select_for_update()
            .filter(clerk_id=clerk_id, state=Consultation.State.ACTIVE)
            .exclude(channel=Consultation.Channel.ASYNC)
        ):
            requeue(consultation, kind=Message.Kind.REQUEUED, now=now)
            released += 1
        withdraw_offers(clerk_id=clerk_id, now=now)
    return released
