"""Reads of one consultation and its log, each checked against the party asking."""

from typing import Any

from django.contrib.auth.models import AbstractBaseUser

from consult.consultations.log import serialize_message
from consult.consultations.models import Consultation, Message


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


def log_since(*, consultation_id: int, after_seq: int) -> list[dict[str, Any]]:
    """The log entries a reconnecting client missed, in order."""
    return [
        serialize_message(m)
        for m in Message.objects.filter(consultation_id=consultation_id, seq__gt=after_seq)
        .select_related("document")
        .order_by("seq")
    ]
