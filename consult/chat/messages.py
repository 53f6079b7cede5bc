"""Writes for the chat log: every entry gets the consultation's next sequence number.

A chat message is the platform's most frequent write, so it is one SQL statement on the
common path (docs/performance.md, "The chat path"): the statement takes the next sequence
number only if the consultation is active, the sender may write to it and the ``client_id``
is new, and inserts the message with it. Only when it writes nothing does a second look at
the database say why (a resend, not active, not yours, gone).
"""

from contextlib import nullcontext
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from consult import events
from consult.chat import answers
from consult.consultations.log import serialize_message
from consult.consultations.models import Consultation, Message
from consult.errors import DomainError

MAX_CLIENT_ID_LENGTH = 64

_ACTIVE = Consultation.State.ACTIVE.value
_WAITING = Consultation.State.WAITING.value
# The guard shared by both forms below: the next number only for an active consultation (or,
# for the citizen, one back in the queue after a clerk had it: what they write while waiting
# again is kept for the next clerk), a clerk only for their own, and only for a client_id
# this sender has not used.
_GUARD = """
    id = %(consultation)s
    AND (state = %(active)s OR (
        CAST(%(clerk)s AS INTEGER) IS NULL AND state = %(waiting)s
        AND first_accepted_at IS NOT NULL
    ))
    AND (CAST(%(clerk)s AS INTEGER) IS NULL OR clerk_id = CAST(%(clerk)s AS INTEGER))
    AND NOT EXISTS (
        SELECT 1 FROM {message} WHERE consultation_id = %(consultation)s
        AND sender = %(sender)s AND client_id = %(client_id)s
    )
"""
_INSERT_COLUMNS = "(consultation_id, seq, kind, sender, author_id, body, client_id, created_at)"
_INSERT_VALUES = (
    "%(consultation)s, {seq}, %(kind)s, %(sender)s, %(clerk)s, %(body)s, %(client_id)s, %(now)s"
)


def _tables() -> dict[str, str]:
    quote = connection.ops.quote_name
    return {
        "consultation": quote(Consultation._meta.db_table),
        "message": quote(Message._meta.db_table),
    }


def _write_postgresql(params: dict[str, Any]) -> tuple[int, int, str] | None:
    """One statement in autocommit: the row lock of the ``UPDATE`` orders concurrent
    writers of a consultation. The message's id and number and the consultation's state, or
    None if the guard refused."""
    t = _tables()
    sql = (
        f"WITH next AS (UPDATE {t['consultation']} SET last_seq = last_seq + 1 "  # noqa: S608
        f"WHERE {_GUARD.format(message=t['message'])} RETURNING last_seq, state), "
        f"written AS (INSERT INTO {t['message']} {_INSERT_COLUMNS} "
        f"SELECT {_INSERT_VALUES.format(seq='next.last_seq')} FROM next RETURNING id, seq) "
        "SELECT written.id, written.seq, next.state FROM written, next"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    return None if row is None else (int(row[0]), int(row[1]), str(row[2]))


def _write_other(params: dict[str, Any]) -> tuple[int, int, str] | None:
    """The same in two statements and a transaction, for SQLite (no ``UPDATE`` in ``WITH``)."""
    t = _tables()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {t['consultation']} SET last_seq = last_seq + 1 "  # noqa: S608
            f"WHERE {_GUARD.format(message=t['message'])} RETURNING last_seq, state",
            params,
        )
        row = cursor.fetchone()
        if row is None:
            return None
        seq, state = int(row[0]), str(row[1])
        cursor.execute(
            f"INSERT INTO {t['message']} {_INSERT_COLUMNS} "  # noqa: S608
            f"VALUES ({_INSERT_VALUES.format(seq='%(seq)s')}) RETURNING id",
            {**params, "seq": seq},
        )
        return int(cursor.fetchone()[0]), seq, state


def _why_not_written(
    *, consultation_id: int, sender: str, client_id: str, clerk_id: int | None
) -> Message:
    """The stored message of a resend, else the reason nothing was written."""
    existing = Message.objects.filter(
        consultation_id=consultation_id, sender=sender, client_id=client_id
    ).first()
    if existing is not None:
        return existing
    state, owner, served = Consultation.objects.filter(pk=consultation_id).values_list(
        "state", "clerk_id", "first_accepted_at"
    ).first() or (None, None, None)
    if state is None:
        raise DomainError("not_found", "No such consultation.")
    back_in_queue = state == _WAITING and served is not None and clerk_id is None
    if state != _ACTIVE and not back_in_queue:
        raise DomainError("not_active", "Messages can be sent only during the conversation.")
    if clerk_id is not None and owner != clerk_id:
        # e.g. a clerk whose consultation was transferred or returned to the queue
        raise DomainError("not_found", "This consultation is no longer yours.")
    raise DomainError("try_again", "A temporary error; please retry.")  # e.g. just ended


def clerk_id_of(*, sender: str, author: AbstractBaseUser | None) -> int | None:
    """Who writes: None for the citizen, the clerk's id for a clerk (who must be given);
    any other sender is refused. Shared by every write to the log (text, documents)."""
    if sender not in (Message.Sender.CITIZEN, Message.Sender.CLERK):
        raise DomainError("invalid_sender", "Unknown sender.")
    if sender == Message.Sender.CITIZEN:
        return None
    if author is None:
        raise DomainError("not_found", "This consultation is no longer yours.")
    return int(author.pk)


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
    changes nothing, so clients can retry freely after a dropped connection. The new message
    is broadcast to the consultation's group once it is committed.
    """
    clerk_id = clerk_id_of(sender=sender, author=author)
    text = body.strip()
    if not text:
        raise DomainError("empty_message", "A message needs some text.")
    if len(body) > settings.CHAT_MAX_MESSAGE_CHARS:
        raise DomainError("message_too_long", "Messages are limited to 4,000 characters.")
    if not client_id or len(client_id) > MAX_CLIENT_ID_LENGTH:
        raise DomainError("invalid_field", "client_id is required (1 to 64 characters).")
    now = timezone.now()
    params: dict[str, Any] = {
        "consultation": consultation_id,
        "active": _ACTIVE,
        "waiting": _WAITING,
        "clerk": clerk_id,
        "sender": sender,
        "client_id": client_id,
        "kind": Message.Kind.TEXT.value,
        "body": text,
        "now": now,
    }
    write = _write_postgresql if connection.vendor == "postgresql" else _write_other
    try:
        # Inside a caller's transaction a savepoint keeps a lost race from breaking it.
        with transaction.atomic() if connection.in_atomic_block else nullcontext():
            written = write(params)
    except IntegrityError:  # the same client_id written at the same moment by another socket
        written = None
    if written is None:
        message = _why_not_written(
            consultation_id=consultation_id, sender=sender, client_id=client_id, clerk_id=clerk_id
        )
        return message, False
    message = Message(
        pk=written[0],
        consultation_id=consultation_id,
        seq=written[1],
        kind=Message.Kind.TEXT,
        sender=sender,
        author_id=clerk_id,
        body=text,
        client_id=client_id,
        created_at=now,
    )
    events.publish(
        events.consultation_group(consultation_id),
        events.LogEntry(message=serialize_message(message, state=written[2])),
    )
    if clerk_id is not None:  # the first answer to a written question tells the citizen
        answers.note_answer(consultation_id=consultation_id, now=now)
    return message, True


async def signal_typing(*, consultation_id: int, sender: str, active: bool) -> None:
    """Typing is ephemeral: not stored, not replayed, no sequence number."""
    await events.publish_now(
        events.consultation_group(consultation_id), events.Typing(sender=sender, active=active)
    )
