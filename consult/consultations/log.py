"""The consultation's log: every entry (chat text or state change) gets the consultation's
next sequence number and is broadcast on commit; clients replay gaps by that number.
"""

from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from consult import events
from consult.consultations.models import Consultation, Document, Message


def serialize_message(message: Message, *, state: str | None = None) -> dict[str, Any]:
    """A log entry's frame. ``state`` is the consultation's state once it is written: for a
    text, which changes no state, the caller says which (a citizen back in the queue writes
    while it is waiting); for every other kind it follows from the kind."""
    return {
        "seq": message.seq,
        "kind": message.kind,
        "sender": message.sender,
        "body": message.body,
        "client_id": message.client_id,
        "created": message.created_at.isoformat(),
        "state": state or message.state_after,
        # Only a document entry has one (one query unless fetched with select_related).
        "document": document_fields(message) if message.kind == Message.Kind.DOCUMENT else None,
    }


def document_fields(message: Message) -> dict[str, Any] | None:
    """What the parties see of a shared file: id (for the download), name, size, type."""
    document = getattr(message, "document", None)
    if document is None:
        return None
    return {
        "id": document.pk,
        "name": document.name,
        "size": document.size,
        "type": document.content_type,
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
    document_of: Document | None = None,
) -> Message:
    """Append to the log and broadcast on commit. The caller holds a transaction.
    ``document_of``: the unsaved row of a shared file, saved for this entry.

    The sequence number is taken with an atomic ``UPDATE ... SET last_seq = last_seq + 1
    RETURNING last_seq`` (one statement; PostgreSQL and SQLite 3.35+), whose row lock
    serialises concurrent writers of one consultation.
    """
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        raise RuntimeError("append_log_entry must run inside a transaction")
    table = connection.ops.quote_name(Consultation._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET last_seq = last_seq + 1 WHERE id = %s RETURNING last_seq",  # noqa: S608
            [consultation.pk],
        )
        row = cursor.fetchone()
    if row is None:
        raise Consultation.DoesNotExist(consultation.pk)
    seq = row[0]
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
    if document_of is not None:  # a shared file: its row belongs to this entry
        document_of.message = message
        document_of.consultation_id = consultation.pk
        document_of.save()
    events.publish(
        events.consultation_group(consultation.pk),
        events.LogEntry(message=serialize_message(message)),
    )
    return message
