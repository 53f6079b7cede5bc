"""Reads of one consultation and its log, each checked against the party asking."""

from typing import Any

from django.contrib.auth.models import AbstractBaseUser

from consult.consultations.log import serialize_message
from consult.consultations.models import STATE_AFTER, Consultation, Message


def consultation_by_token(public_token: str) -> Consultation | None:
    if not public_token or len(public_token) > 64:
        return None
    return (
        Consultation.objects.select_related("topic", "clerk__staff_profile")
        .filter(public_token=public_token)
        .first()
    )


def clerk_consultation(*, consultation_id: int, clerk: AbstractBaseUser) -> Consultation | None:
    """A consultation the clerk is assigned to, in any state."""
    return (
        Consultation.objects.select_related("topic")
        .filter(pk=consultation_id, clerk_id=clerk.pk)
        .first()
    )


def topic_of(consultation_id: int) -> int | None:
    """The topic a consultation is in now (it changes on transfer)."""
    return (
        Consultation.objects.filter(pk=consultation_id).values_list("topic_id", flat=True).first()
    )


def last_seq(consultation_id: int) -> int:
    """The sequence number of the consultation's newest log entry (0: none)."""
    found = Consultation.objects.filter(pk=consultation_id).values_list("last_seq", flat=True)
    return next(iter(found), 0)


# Entries that change no state: they carry the state the entry before them left.
_STATELESS = (Message.Kind.TEXT, Message.Kind.DOCUMENT)


def log_since(*, consultation_id: int, after_seq: int) -> list[dict[str, Any]]:
    """The log entries a reconnecting client missed, in order, each with the state the
    consultation was in once it was written."""
    entries = list(
        Message.objects.filter(consultation_id=consultation_id, seq__gt=after_seq)
        .select_related("document")
        .order_by("seq")
    )
    state = None
    if entries and entries[0].kind in _STATELESS:  # the state before the gap
        before = (
            Message.objects.filter(consultation_id=consultation_id, seq__lte=after_seq)
            .exclude(kind__in=_STATELESS)
            .order_by("-seq")
            .values_list("kind", flat=True)
            .first()
        )
        state = STATE_AFTER[before] if before is not None else None
    frames = []
    for entry in entries:
        if entry.kind not in _STATELESS or state is None:
            state = entry.state_after
        frames.append(serialize_message(entry, state=state))
    return frames
