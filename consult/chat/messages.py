"""Writes for the chat log: every entry gets the consultation's next sequence number."""

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from consult import events
from consult.consultations.log import append_log_entry
from consult.consultations.models import Consultation, Message
from consult.errors import DomainError

MAX_CLIENT_ID_LENGTH = 64


def post_message(
    *,
    consultation_id: int,
    sender: str,
    body: str,
    client_id: str,
    author: AbstractBaseUser | None = None,
) -> tuple[Message, bool]:
    """Store a chat message once per ``client_id``; returns ``(message, created)``.

    A resend with a ``client_id`` this sender already used returns the stored message and
    changes nothing, so clients can retry freely after a dropped connection.
    """
    if sender not in (Message.Sender.CITIZEN, Message.Sender.CLERK):
        raise DomainError("invalid_sender", "Unknown sender.")
    text = body.strip()
    if not text:
        raise DomainError("empty_message", "A message needs some text.")
    if len(body) > settings.CHAT_MAX_MESSAGE_CHARS:
        raise DomainError("message_too_long", "Messages are limited to 4,000 characters.")
    if not client_id or len(client_id) > MAX_CLIENT_ID_LENGTH:
        raise DomainError("invalid_field", "client_id is required (1 to 64 characters).")
    with transaction.atomic():
        consultation = Consultation.objects.select_for_update().filter(pk=consultation_id).first()
        if consultation is None:
            raise DomainError("not_found", "No such consultation.")
        existing = Message.objects.filter(
            consultation=consultation, sender=sender, client_id=client_id
        ).first()
        if existing is not None:
            return existing, False
        if consultation.state != Consultation.State.ACTIVE:
            raise DomainError("not_active", "Messages can be sent only during the conversation.")
        if sender == Message.Sender.CLERK and (
            author is None or consultation.clerk_id != author.pk
        ):
            # e.g. a clerk whose consultation was transferred or returned to the queue
            raise DomainError("not_found", "This consultation is no longer yours.")
        message = append_log_entry(
            consultation=consultation,
            kind=Message.Kind.TEXT,
            sender=sender,
            body=text,
            client_id=client_id,
            author_id=author.pk if author is not None else None,
        )
    return message, True


async def signal_typing(*, consultation_id: int, sender: str, active: bool) -> None:
    """Typing is ephemeral: not stored, not replayed, no sequence number."""
    await events.publish_now(
        events.consultation_group(consultation_id), events.Typing(sender=sender, active=active)
    )
