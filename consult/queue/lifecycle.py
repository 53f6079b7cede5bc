"""Writes for the consultation life cycle: start, leave, end (the switch to video is in
``video``, assignment in ``routing``); every change of state goes through ``transitions``."""

from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from consult import validators
from consult.catalogue import hours
from consult.catalogue.models import Service, Topic
from consult.catalogue.selectors import active_topic, service_by_slug
from consult.consultations.models import LIVE_CHANNELS, MAX_CONCERN, Consultation, Message
from consult.errors import DomainError
from consult.queue import routing
from consult.queue.transitions import citizen_left, lock, open_consultation, transition


def clean_concern(concern: str) -> str:
    """The citizen's short concern as stored: on one line, at most ``MAX_CONCERN``
    characters, only characters a database stores (also for a booked appointment's)."""
    concern = validators.single_line(concern)
    if len(concern) > MAX_CONCERN:
        raise DomainError("concern_too_long", f"At most {MAX_CONCERN} characters.")
    validators.ensure_storable(concern)
    return concern


def topic_and_service(topic_slug: str, service_slug: str) -> tuple[Topic, Service | None]:
    """The active topic and (if named) one of its active services, else ``unknown_topic`` or
    ``unknown_service``."""
    topic = active_topic(topic_slug)
    if topic is None:
        raise DomainError("unknown_topic", "This topic does not exist or is closed.")
    service = service_by_slug(service_slug) if service_slug else None
    if service_slug and (service is None or service.topic_id != topic.pk):
        raise DomainError("unknown_service", "No such active service of this topic.")
    return topic, service


def start_consultation(
    *,
    topic_slug: str,
    channel: str = Consultation.Channel.CHAT,
    service_slug: str = "",
    concern: str = "",
    now: datetime | None = None,
) -> Consultation:
    """A citizen joins the waiting queue of an active topic (and routing runs); refused while
    the topic is closed or nobody is signed in for it (consult/catalogue/hours.py).

    ``service_slug``: the service page the citizen came from, a service of the topic.
    ``concern``: what they want, in at most ``MAX_CONCERN`` characters (optional). Both are
    shown to the clerks in the queue and the offer; the concern is citizen content, never
    logged, and cleared by retention with the chat log.
    """
    if channel not in LIVE_CHANNELS:  # a written question: questions.ask_question
        raise DomainError("invalid_channel", "Unknown channel.")
    concern = clean_concern(concern)
    now = now or timezone.now()
    with transaction.atomic():
        topic, service = topic_and_service(topic_slug, service_slug)
        hours.ensure_can_start(topic=topic, now=now)
        consultation = open_consultation(
            topic_id=topic.pk,
            channel=channel,
            now=now,
            service_id=service.pk if service else None,
            concern=concern,
        )
    routing.dispatch(now=now)
    consultation.refresh_from_db()
    return consultation


def leave_consultation(*, public_token: str, now: datetime | None = None) -> Consultation:
    """The citizen leaves: a waiting consultation is abandoned, an active one ends."""
    now = now or timezone.now()
    with transaction.atomic():
        consultation = lock(public_token=public_token)
        if consultation is None:
            raise DomainError("not_found", "No such consultation.")
        if not consultation.is_open:
            return consultation
        citizen_left(consultation, now=now)
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
        consultation = lock(consultation_id=consultation_id, clerks=[clerk.pk])
        if consultation is None or consultation.clerk_id != clerk.pk:
            raise DomainError("not_found", "No such consultation of yours.")
        if consultation.state == Consultation.State.ENDED:
            if consultation.outcome:
                raise DomainError("already_closed", "This consultation is already closed.")
            consultation.outcome = outcome  # wrap-up: the state stays, only the outcome
            consultation.save(update_fields=["outcome"])
            return consultation
        transition(
            consultation,
            kind=Message.Kind.ENDED,
            now=now,
            author_id=clerk.pk,
            body=Consultation.EndedBy.CLERK,
            ended_at=now,
            ended_by=Consultation.EndedBy.CLERK,
            outcome=outcome,
        )
    routing.dispatch(now=now)
    return consultation
