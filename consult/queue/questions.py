"""Written questions, answered later (issue 14): a citizen who finds nobody there (the topic is
closed, or open with no clerk) writes their question; it becomes a consultation of the channel
``async`` in the state ``asked``, outside the live queue. A clerk of the topic takes it from
the console's list (oldest first) and answers in the same chat view; the first answer tells
the citizen by e-mail, if they gave an address (consult/chat/answers.py). The citizen reads
and answers in their room, whose address stays valid. docs/queueing.md, "Written questions".
"""

from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import transaction
from django.utils import timezone

from consult import validators
from consult.consultations.log import append_log_entry
from consult.consultations.models import Consultation, Message
from consult.errors import DomainError
from consult.queue.lifecycle import clean_concern, topic_and_service
from consult.queue.transitions import clerk_joins, lock, transition
from consult.staff import consoles
from consult.staff.models import StaffProfile

MAX_QUESTION = 4000  # as a chat message
ASKED = Consultation.State.ASKED


def _checked(question: str, email: str) -> tuple[str, str]:
    """The question's text and the notice address, or the reason they cannot be stored."""
    text = question.strip()
    if not text:
        raise DomainError("empty_message", "A question needs some text.")
    if len(text) > MAX_QUESTION:
        raise DomainError("message_too_long", "Messages are limited to 4,000 characters.")
    validators.ensure_storable(text)
    email = email.strip()
    if email:
        validators.ensure_email(email)
    return text, email


def ask_question(
    *,
    topic_slug: str,
    question: str,
    email: str = "",
    service_slug: str = "",
    now: datetime | None = None,
) -> Consultation:
    """Store a citizen's written question on an active topic (at any hour: nobody needs to be
    there). The question is the first entry of the consultation's log; ``email`` (optional)
    only receives the notice that the answer is there, never the content."""
    text, email = _checked(question, email)
    now = now or timezone.now()
    with transaction.atomic():
        topic, service = topic_and_service(topic_slug, service_slug)
        consultation = Consultation.objects.create(
            topic=topic,
            channel=Consultation.Channel.ASYNC,
            state=ASKED,
            created_at=now,
            queued_at=now,
            service=service,
            # what the console's list shows: the question's first words
            concern=clean_concern(validators.single_line(text)[:200]),
            notify_email=email,
        )
        append_log_entry(
            consultation=consultation,
            kind=Message.Kind.QUESTION,
            sender=Message.Sender.CITIZEN,
            body=text,
            now=now,
        )
        consoles.refresh_topic_consoles(topic_id=topic.pk)  # their list of written questions
    return consultation


def write_instead(
    *, public_token: str, question: str, email: str = "", now: datetime | None = None
) -> Consultation:
    """A waiting citizen whom nobody can take now (the topic lost its last clerk, or it is
    late) writes their question instead: the same consultation leaves the live queue and
    becomes a written question, with its room, its link and what was said so far. No second
    consultation, and nobody is offered the live one any more."""
    text, email = _checked(question, email)
    now = now or timezone.now()
    with transaction.atomic():
        consultation = lock(public_token=public_token)
        if consultation is None:
            raise DomainError("not_found", "No such consultation.")
        transition(
            consultation,
            kind=Message.Kind.QUESTION,
            now=now,
            body=text,
            sender=Message.Sender.CITIZEN,
            channel=Consultation.Channel.ASYNC,
            concern=clean_concern(validators.single_line(text)[:200]),
            notify_email=email,
        )
        consoles.refresh_topic_consoles(topic_id=consultation.topic_id)
    return consultation


def take_question(
    *, consultation_id: int, clerk: AbstractBaseUser | AnonymousUser, now: datetime | None = None
) -> Consultation:
    """A clerk of the topic takes a written question: it becomes their conversation (active),
    opened in their console's chat view; another clerk who tries too is told it is taken.
    A written question needs no free capacity and no status: nobody waits live for it."""
    if not clerk.is_authenticated:
        raise DomainError("not_clerk", "Only clerks can do this.")
    now = now or timezone.now()
    with transaction.atomic():
        consultation = lock(consultation_id=consultation_id, clerks=[clerk.pk], own_clerk=False)
        profile = StaffProfile.objects.filter(user_id=clerk.pk).first()
        if profile is None:
            raise DomainError("not_clerk", "Only clerks can do this.")
        if (
            consultation is None
            or consultation.channel != Consultation.Channel.ASYNC
            or not profile.topics.filter(pk=consultation.topic_id).exists()
        ):
            raise DomainError("not_found", "No such consultation in your topics.")
        # Not ``first_accepted_at``: that is the live wait (docs/metrics.md).
        clerk_joins(consultation, profile=profile, now=now)
        consoles.refresh_topic_consoles(topic_id=consultation.topic_id)
    return consultation
