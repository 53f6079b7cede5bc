"""Writes for the chat log: every entry gets the consultation's next sequence number."""

from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from . import events
from .errors import DomainError
from .models import Consultation, Message

MAX_CLIENT_ID_LENGTH = 64


def serialize_message(message: Message) -> dict[str, Any]:
    return {
        "seq": message.seq,
        "kind": message.kind,
        "sender": message.sender,
        "body": message.body,
        "client_id": message.client_id,
        "created": message.created_at.isoformat(),
    }


def append_log_entry(
    *,
    consultation: Consultation,
    kind: str,
    sender: str,
    body: str,
    client_id: str = "",
    author_id: int | None = None,
    now: datetime | None = None,
) -> Message:
    """Append to the log and broadcast on commit. The caller holds a transaction.

    The sequence number is taken with an atomic ``UPDATE ... SET last_seq = last_seq + 1``,
    whose row lock serialises concurrent writers of one consultation.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("append_log_entry must run inside a transaction")
    Consultation.objects.filter(pk=consultation.pk).update(last_seq=F("last_seq") + 1)
    seq = Consultation.objects.values_list("last_seq", flat=True).get(pk=consultation.pk)
    consultation.last_seq = seq
    message = Message.objects.create(
        consultation=consultation,
        seq=seq,
        kind=kind,
        sender=sender,
        author_id=author_id,
        body=body,
        client_id=client_id,
        created_at=now or timezone.now(),
    )
    events.publish(
        events.consultation_group(consultation.pk),
        "chat.message",
        message=serialize_message(message),
    )
    return message


def post_message(
    *,
    consultation_id: int,
    sender: str,
    body: str,
    client_id: str,
    author: AbstractBaseUser | None = None,
) -> tuple[Message, bool]:
    """Store a chat message once per ``client_id``; returns ``(message, created)``.

    A resend with a known ``client_id`` returns the stored message and changes nothing,
    so clients can retry freely after a dropped connection.
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
        existing = Message.objects.filter(consultation=consultation, client_id=client_id).first()
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
        events.consultation_group(consultation_id), "chat.typing", sender=sender, active=active
    )
