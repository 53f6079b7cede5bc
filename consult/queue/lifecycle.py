"""Writes for the consultation life cycle: start, leave, end. Assignment is in queueing."""

from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from consult import events
from consult.catalogue import hours
from consult.catalogue.models import Topic
from consult.consultations.log import append_log_entry
from consult.consultations.models import Consultation, Message
from consult.errors import DomainError
from consult.queue import routing, selectors
from consult.statistics import rollup


def start_consultation(
    *, topic_slug: str, channel: str = Consultation.Channel.CHAT, now: datetime | None = None
) -> Consultation:
    """A citizen joins the waiting queue of an active topic (and routing runs); refused while
    the topic is closed or nobody is signed in for it (consult/catalogue/hours.py)."""
    if channel not in Consultation.Channel.values:
        raise DomainError("invalid_channel", "Unknown channel.")
    now = now or timezone.now()
    with transaction.atomic():
        topic = Topic.objects.filter(slug=topic_slug, active=True).first()
        if topic is None:
            raise DomainError("unknown_topic", "This topic does not exist or is closed.")
        hours.ensure_can_start(topic=topic, now=now)
        consultation = Consultation.objects.create(
            topic=topic, channel=channel, created_at=now, queued_at=now
        )
        events.publish_queue_changed(topic.pk)
    routing.dispatch(now=now)
    consultation.refresh_from_db()
    return consultation


def leave_consultation(*, public_token: str, now: datetime | None = None) -> Consultation:
    """The citizen leaves: a waiting consultation is abandoned, an active one ends."""
    now = now or timezone.now()
    clerk_id = (
        Consultation.objects.filter(public_token=public_token)
        .values_list("clerk_id", flat=True)
        .first()
    )
    with transaction.atomic():
        routing.lock_profiles(clerk_id)  # profile before consultation, as everywhere
        consultation = (
            Consultation.objects.select_for_update().filter(public_token=public_token).first()
        )
        if consultation is None:
            raise DomainError("not_found", "No such consultation.")
        if not consultation.is_open:
            return consultation
        was_waiting = consultation.state == Consultation.State.WAITING
        offered_to = consultation.offered_to_id
        consultation.state = (
            Consultation.State.ABANDONED if was_waiting else Consultation.State.ENDED
        )
        consultation.ended_at = now
        consultation.ended_by = Consultation.EndedBy.CITIZEN
        consultation.offered_to = None
        consultation.offer_expires_at = None
        consultation.save(
            update_fields=["state", "ended_at", "ended_by", "offered_to", "offer_expires_at"]
        )
        rollup.consultation_changed(consultation)
        append_log_entry(
            consultation=consultation,
            kind=Message.Kind.ABANDONED if was_waiting else Message.Kind.ENDED,
            sender=Message.Sender.SYSTEM,
            body=Consultation.EndedBy.CITIZEN,
            now=now,
        )
        if was_waiting:
            events.publish_queue_changed(consultation.topic_id)
            if offered_to is not None:
                routing.close_offers(consultation.pk, now)
        elif consultation.clerk_id is not None:
            routing.became_free(consultation.clerk_id, now)
    routing.dispatch(now=now)
    return consultation


def end_consultation(
    *, consultation_id: int, clerk: AbstractBaseUser, outcome: str, now: datetime | None = None
) -> Consultation:
    """The clerk closes their consultation with an outcome.

    If the citizen already left, this records the outcome (wrap-up) without a second end.
    """
    if outcome not in Consultation.Outcome.values:
        raise DomainError("invalid_outcome", "Choose one of the listed outcomes.")
    now = now or timezone.now()
    with transaction.atomic():
        routing.lock_profiles(clerk.pk)  # profile before consultation, as everywhere
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
        consultation.ended_at = now
        consultation.ended_by = Consultation.EndedBy.CLERK
        consultation.outcome = outcome
        consultation.save(update_fields=["state", "ended_at", "ended_by", "outcome"])
        rollup.consultation_changed(consultation)
        append_log_entry(
            consultation=consultation,
            kind=Message.Kind.ENDED,
            sender=Message.Sender.SYSTEM,
            author_id=clerk.pk,
            body=Consultation.EndedBy.CLERK,
            now=now,
        )
        routing.became_free(clerk.pk, now)
    routing.dispatch(now=now)
    return consultation


def switch_to_video(*, consultation_id: int, now: datetime | None = None) -> Consultation:
    """The citizen agreed to the clerk's invitation: the chat goes on as a video call.

    A video call takes the clerk exclusively (as in routing), so a clerk with other
    conversations open cannot switch. Idempotent: a second agreement changes nothing.
    """
    now = now or timezone.now()
    clerk_id = (
        Consultation.objects.filter(pk=consultation_id).values_list("clerk_id", flat=True).first()
    )
    with transaction.atomic():
        routing.lock_profiles(clerk_id)  # profile before consultation, as everywhere
        consultation = Consultation.objects.select_for_update().filter(pk=consultation_id).first()
        if consultation is None:
            raise DomainError("not_found", "No such consultation.")
        if consultation.state != Consultation.State.ACTIVE or consultation.clerk_id is None:
            raise DomainError("not_active", "This consultation is not active.")
        if consultation.channel == Consultation.Channel.VIDEO:
            return consultation
        if not selectors.video_possible(consultation_id=consultation.pk):
            raise DomainError("video_not_possible", "The clerk has other conversations open.")
        consultation.channel = Consultation.Channel.VIDEO
        consultation.save(update_fields=["channel"])
        rollup.consultation_changed(consultation)
        append_log_entry(
            consultation=consultation,
            kind=Message.Kind.VIDEO,
            sender=Message.Sender.SYSTEM,
            body="",
            now=now,
        )
    return consultation
