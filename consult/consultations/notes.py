"""Hand-over notes: a clerk's internal notes on a consultation.

Only the clerk the consultation is assigned to writes and reads them (in any state while it is
theirs, also after it ended, for the history). They are no log entry: no sequence number, no
event to the citizen's socket, not in any transcript. A transfer gives the consultation to
the next clerk, who then reads every note written before. Retention deletes them with the
chat log (consult/recording/retention.py).
"""

from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import QuerySet

from consult.consultations.models import Consultation, InternalNote
from consult.errors import DomainError
from consult.staff.models import StaffProfile
from consult.validators import storable

MAX_NOTE = 2000


def write_note(*, consultation_id: int, clerk: AbstractBaseUser, body: str) -> InternalNote:
    text = body.strip()
    if not text:
        raise DomainError("empty_note", "A note needs some text.")
    if len(text) > MAX_NOTE:
        raise DomainError("note_too_long", "Notes are limited to 2,000 characters.")
    if not storable(text):
        raise DomainError("invalid_characters", "The note cannot be stored.")
    if not Consultation.objects.filter(pk=consultation_id, clerk_id=clerk.pk).exists():
        raise DomainError("not_found", "This consultation is not yours.")
    return InternalNote.objects.create(
        consultation_id=consultation_id, author_id=clerk.pk, body=text
    )


def notes_of(consultation_ids: list[int]) -> QuerySet[InternalNote]:
    return InternalNote.objects.filter(consultation_id__in=consultation_ids).order_by(
        "created_at", "pk"
    )


def serialize_notes(notes: QuerySet[InternalNote]) -> list[dict[str, Any]]:
    """Each note with its author's display name (never their user name) and time."""
    listed = list(notes)
    names = dict(
        StaffProfile.objects.filter(
            user_id__in={n.author_id for n in listed if n.author_id}
        ).values_list("user_id", "display_name")
    )
    return [
        {
            "id": note.pk,
            "author": names.get(note.author_id or 0, ""),
            "body": note.body,
            "created": note.created_at.isoformat(),
        }
        for note in listed
    ]
