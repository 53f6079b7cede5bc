"""Writes for the consultation life cycle: start, accept, leave, end."""

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from . import events
from .chat import append_log_entry
from .errors import DomainError
from .models import Consultation, Message, StaffProfile, Topic


def start_consultation(
    *, topic_slug: str, channel: str = Consultation.Channel.CHAT
) -> Consultation:
    """A citizen joins the waiting queue of an active topic."""
    if channel not in Consultation.Channel.values:
        raise DomainError("invalid_channel", "Unknown channel.")
    with transaction.atomic():
        topic = Topic.objects.filter(slug=topic_slug, active=True).first()
        if topic is None:
            raise DomainError("unknown_topic", "This topic does not exist or is closed.")
        consultation = Consultation.objects.create(topic=topic, channel=channel)
        events.publish(events.topic_group(topic.pk), "queue.changed", topic=topic.pk)
    return consultation


def _clerk_profile(clerk: AbstractBaseUser) -> StaffProfile:
    profile = StaffProfile.objects.filter(user_id=clerk.pk).first()
    if profile is None:
        raise DomainError("not_clerk", "Only clerks can do this.")
    return profile


def accept(*, consultation_id: int, clerk: AbstractBaseUser) -> Consultation:
    """A clerk takes a waiting consultation; of several simultaneous accepts exactly one wins.

    The state change is a compare-and-set (``UPDATE ... WHERE state = 'waiting'``), which is
    atomic on every database: the loser's update matches no row.
    """
    profile = _clerk_profile(clerk)
    if profile.status != StaffProfile.Status.AVAILABLE:
        raise DomainError("not_available", "Set yourself available first.")
    with transaction.atomic():
        consultation = Consultation.objects.filter(pk=consultation_id).first()
        if consultation is None or not profile.topics.filter(pk=consultation.topic_id).exists():
            raise DomainError("not_found", "No such consultation in your topics.")
        now = timezone.now()
        won = Consultation.objects.filter(
            pk=consultation_id, state=Consultation.State.WAITING
        ).update(state=Consultation.State.ACTIVE, clerk_id=clerk.pk, accepted_at=now)
        if won != 1:
            raise DomainError("already_taken", "Another clerk has already taken this consultation.")
        consultation.refresh_from_db()
        append_log_entry(
            consultation=consultation,
            kind=Message.Kind.ACCEPTED,
            sender=Message.Sender.SYSTEM,
            author_id=clerk.pk,
            body=profile.display_name,
        )
        events.publish(
            events.topic_group(consultation.topic_id), "queue.changed", topic=consultation.topic_id
        )
        events.publish(events.clerk_group(clerk.pk), "clerk.assigned", consultation=consultation.pk)
    return consultation


def leave_consultation(*, public_token: str) -> Consultation:
    """The citizen leaves: a waiting consultation is abandoned, an active one ends."""
    with transaction.atomic():
        consultation = (
            Consultation.objects.select_for_update().filter(public_token=public_token).first()
        )
        if consultation is None:
            raise DomainError("not_found", "No such consultation.")
        if not consultation.is_open:
            return consultation
        was_waiting = consultation.state == Consultation.State.WAITING
        consultation.state = (
            Consultation.State.ABANDONED if was_waiting else Consultation.State.ENDED
        )
        consultation.ended_at = timezone.now()
        consultation.ended_by = Consultation.EndedBy.CITIZEN
        consultation.save(update_fields=["state", "ended_at", "ended_by"])
        append_log_entry(
            consultation=consultation,
            kind=Message.Kind.ABANDONED if was_waiting else Message.Kind.ENDED,
            sender=Message.Sender.SYSTEM,
            body=Consultation.EndedBy.CITIZEN,
        )
        if was_waiting:
            events.publish(
                events.topic_group(consultation.topic_id),
                "queue.changed",
                topic=consultation.topic_id,
            )
    return consultation


def end_consultation(
    *, consultation_id: int, clerk: AbstractBaseUser, outcome: str
) -> Consultation:
    """The clerk closes their consultation with an outcome.

    If the citizen already left, this records the outcome (wrap-up) without a second end.
    """
    if outcome not in Consultation.Outcome.values:
        raise DomainError("invalid_outcome", "Choose one of the listed outcomes.")
    with transaction.atomic():
        consultation = (
            Consultation.objects.select_for_update()
            .filter(pk=consultation_id, clerk_id=clerk.pk)
            .first()
        )
        if consultation is None:
            raise DomainError("not_found", "No such consultation of yours.")
        if consultation.state == Consultation.State.ENDED:
            if consultation.outcome:
                raise DomainError("already_closed", "This consultation is already closed.")
            consultation.outcome = outcome
            consultation.save(update_fields=["outcome"])
            return consultation
        if consultation.state != Consultation.State.ACTIVE:
            raise DomainError("not_active", "This consultation is not active.")
        consultation.state = Consultation.State.ENDED
        consultation.ended_at = timezone.now()
        consultation.ended_by = Consultation.EndedBy.CLERK
        consultation.outcome = outcome
        consultation.save(update_fields=["state", "ended_at", "ended_by", "outcome"])
        append_log_entry(
            consultation=consultation,
            kind=Message.Kind.ENDED,
            sender=Message.Sender.SYSTEM,
            author_id=clerk.pk,
            body=Consultation.EndedBy.CLERK,
        )
    return consultation
