"""Retention: delete what is past its period (``manage.py purge_expired``).

Periods come from ``settings.RETENTION_DAYS`` (kind -> days, None keeps for ever) and may be
overridden per topic (``Topic.retention_overrides``). Each kind has one purge function in
``KINDS``; it receives a ``Cutoff`` and returns how many items it deleted. Every purge is
idempotent: a second run right after the first deletes nothing.

Adding a kind is one line in ``KINDS`` plus its key in
``settings.RETENTION_DAYS``, e.g. with the generic row deleter::

    "callback_requests": delete_rows("consult.CallbackRequest", date_field="done_at"),
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.apps import apps
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from consult.catalogue.models import CallbackRequest, Topic
from consult.chat.documents import consultations_with_files, delete_document_files
from consult.consultations.models import Consultation, InternalNote, Message
from consult.recording.files import delete_recording_directory
from consult.recording.models import Recording


@dataclass(frozen=True)
class Cutoff:
    """Everything dated before ``default`` is expired, except in topics with their own
    period, where ``per_topic[topic_id]`` applies. ``default`` None: keep (no override)."""

    default: datetime | None
    per_topic: dict[int, datetime]

    def q(self, date_field: str, topic_field: str = "topic") -> Q | None:
        """A filter for the expired rows; None when nothing can be expired."""
        parts = [
            Q(**{topic_field: topic_id, f"{date_field}__lt": cutoff})
            for topic_id, cutoff in self.per_topic.items()
        ]
        if self.default is not None:
            parts.append(
                ~Q(**{f"{topic_field}__in": list(self.per_topic)})
                & Q(**{f"{date_field}__lt": self.default})
            )
        if not parts:
            return None
        combined = parts[0]
        for part in parts[1:]:
            combined |= part
        return combined


def cutoff_for(kind: str, *, now: datetime) -> Cutoff:
    days = settings.RETENTION_DAYS.get(kind)
    overrides = {
        topic_id: now - timedelta(days=value[kind])
        for topic_id, value in Topic.objects.values_list("pk", "retention_overrides")
        if isinstance(value, dict) and isinstance(value.get(kind), int)
    }
    return Cutoff(default=now - timedelta(days=days) if days else None, per_topic=overrides)


ENDED = [Consultation.State.ENDED, Consultation.State.ABANDONED]


def purge_messages(cutoff: Cutoff) -> int:
    """The chat log of consultations that ended before the cutoff with the documents shared
    in it (rows and files) and the clerks' internal notes, and what else the citizen wrote:
    the concern given with the start, the free-text comment of their rating and a written
    question's e-mail address (the consultation row stays for the statistics)."""
    expired = cutoff.q("ended_at")
    if expired is None:
        return 0
    consultations = Consultation.objects.filter(expired, state__in=ENDED)
    # The shared files first (a crash in between leaves rows without files, which the next
    # run deletes; never files past their period). Directories on disk, not rows, are
    # looked at: a file whose row was never written goes too.
    on_disk = consultations_with_files()
    expired_ids = set(consultations.filter(pk__in=on_disk).values_list("pk", flat=True))
    known = set(Consultation.objects.filter(pk__in=on_disk).values_list("pk", flat=True))
    delete_document_files(sorted(expired_ids | (set(on_disk) - known)))
    with transaction.atomic():
        deleted, _ = Message.objects.filter(consultation__in=consultations).delete()
        deleted += InternalNote.objects.filter(consultation__in=consultations).delete()[0]
        consultations.exclude(rating_comment="").update(rating_comment="")
        consultations.exclude(concern="").update(concern="")
        # a written question's address for the answer notice
        consultations.exclude(notify_email="").update(notify_email="")
    return deleted


def purge_recordings(cutoff: Cutoff) -> int:
    """Recordings of consultations that ended before the cutoff: files first, then rows (a
    crash in between leaves rows whose files are gone, which the next run deletes)."""
    expired = cutoff.q("consultation__ended_at", topic_field="consultation__topic")
    if expired is None:
        return 0
    recordings = Recording.objects.filter(expired, consultation__state__in=ENDED)
    count = 0
    for recording_id in recordings.values_list("pk", flat=True):
        delete_recording_directory(recording_id)
        count += Recording.objects.filter(pk=recording_id).delete()[1].get("consult.Recording", 0)
    return count


def purge_callback_requests(cutoff: Cutoff) -> int:
    """Done requests (question and contact data) once their period after being done ended;
    open requests stay whatever their age."""
    expired = cutoff.q("done_at")
    if expired is None:
        return 0
    return CallbackRequest.objects.filter(expired, state=CallbackRequest.State.DONE).delete()[0]


def delete_rows(model_label: str, *, date_field: str, **filters: object) -> Callable[[Cutoff], int]:
    """A purge function that deletes the rows of a model with a ``topic`` whose
    ``date_field`` is before the cutoff (and that match ``filters``)."""

    def purge(cutoff: Cutoff) -> int:
        expired = cutoff.q(date_field)
        if expired is None:
            return 0
        model = apps.get_model(model_label)
        return int(model._default_manager.filter(expired, **filters).delete()[0])

    return purge


KINDS: dict[str, Callable[[Cutoff], int]] = {
    "messages": purge_messages,
    "recordings": purge_recordings,
    "callback_requests": purge_callback_requests,
    # Name, e-mail and phone of past appointments; the consultation stays for the statistics.
    "appointments": delete_rows("consult.Appointment", date_field="ends_at"),
}


def purge_expired(*, now: datetime | None = None) -> dict[str, int]:
    """Delete everything past its period; returns the count per kind."""
    now = now or timezone.now()
    return {kind: purge(cutoff_for(kind, now=now)) for kind, purge in KINDS.items()}
