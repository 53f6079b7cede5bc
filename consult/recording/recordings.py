"""Writes for recording with consent.

The clerk asks (that is the clerk's consent), the citizen answers; only with both consents
does a recording run (a database constraint holds this too). Either party may withdraw at
any moment: the recording stops and everything recorded is deleted. Every change is sent to
both parties as ``recording.changed`` on commit. The media worker reports the finished files,
which are registered here; opening one writes an audit event.
"""

from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from consult import events
from consult.consultations.models import Consultation
from consult.errors import DomainError
from consult.recording.files import delete_recording_directory
from consult.recording.models import AuditEvent, Recording, RecordingFile

MAX_PURPOSE = 300
RUNNING = (Recording.State.REQUESTED, Recording.State.RECORDING)


def serialize_recording(recording: Recording) -> dict[str, Any]:
    return {
        "recording": recording.pk,
        "state": recording.state,
        "purpose": recording.purpose,
        "retention_days": recording.retention_days,
        "clerk_consented": recording.clerk_consented_at is not None,
        "citizen_consented": recording.citizen_consented_at is not None,
    }


def _publish(recording: Recording) -> None:
    events.publish(
        events.consultation_group(recording.consultation_id),
        events.RecordingChanged(recording=serialize_recording(recording)),
    )


def retention_days_for(consultation: Consultation) -> int | None:
    """The period the citizen is told: the topic's own, else the deployment's."""
    overrides = consultation.topic.retention_overrides
    if isinstance(overrides, dict) and isinstance(overrides.get("recordings"), int):
        return int(overrides["recordings"])
    days = settings.RETENTION_DAYS.get("recordings")
    return int(days) if days else None


def request_recording(
    *, consultation_id: int, clerk: AbstractBaseUser, purpose: str, now: datetime | None = None
) -> Recording:
    """The clerk asks to record this video call, stating the purpose."""
    purpose = purpose.strip()
    if not purpose or len(purpose) > MAX_PURPOSE:
        raise DomainError("invalid_purpose", "State the purpose in at most 300 characters.")
    now = now or timezone.now()
    with transaction.atomic():
        consultation = (
            Consultation.objects.select_for_update()
            .select_related("topic")
            .filter(pk=consultation_id, clerk_id=clerk.pk)
            .first()
        )
        if consultation is None:
            raise DomainError("not_found", "This consultation is not yours.")
        if consultation.state != Consultation.State.ACTIVE:
            raise DomainError("not_active", "The consultation is not active.")
        if consultation.channel != Consultation.Channel.VIDEO:
            raise DomainError("not_video", "Only video calls can be recorded.")
        if consultation.recordings.filter(state__in=RUNNING).exists():
            raise DomainError("recording_running", "A recording is already asked for or running.")
        recording = Recording.objects.create(
            consultation=consultation,
            purpose=purpose,
            retention_days=retention_days_for(consultation),
            requested_by_id=clerk.pk,
            created_at=now,
            clerk_consented_at=now,
        )
        _publish(recording)
    return recording


def _locked(consultation_id: int, recording_id: int) -> Recording:
    recording = (
        Recording.objects.select_for_update()
        .filter(pk=recording_id, consultation_id=consultation_id)
        .first()
    )
    if recording is None:
        raise DomainError("not_found", "No such recording in this consultation.")
    return recording


def answer_recording(
    *, consultation_id: int, recording_id: int, consent: bool, now: datetime | None = None
) -> Recording:
    """The citizen's answer: yes starts the recording, no declines it."""
    now = now or timezone.now()
    with transaction.atomic():
        recording = _locked(consultation_id, recording_id)
        if recording.state != Recording.State.REQUESTED:
            raise DomainError("not_requested", "This recording is not waiting for an answer.")
        active = Consultation.objects.filter(
            pk=consultation_id, state=Consultation.State.ACTIVE
        ).exists()
        if consent and not active:
            raise DomainError("not_active", "The consultation is not active.")
        if consent:
            recording.citizen_consented_at = recording.started_at = now
            recording.state = Recording.State.RECORDING
        else:
            recording.state = Recording.State.DECLINED
        recording.save(update_fields=["citizen_consented_at", "started_at", "state"])
        _publish(recording)
    return recording


def stop_recording(
    *, consultation_id: int, recording_id: int, clerk: AbstractBaseUser, now: datetime | None = None
) -> Recording:
    """The clerk ends a running recording and keeps it (for its retention period)."""
    with transaction.atomic():
        recording = _locked(consultation_id, recording_id)
        if recording.consultation.clerk_id != clerk.pk:
            raise DomainError("not_found", "This consultation is not yours.")
        if recording.state != Recording.State.RECORDING:
            raise DomainError("not_recording", "Nothing is being recorded.")
        recording.state = Recording.State.STOPPED
        recording.stopped_at = now or timezone.now()
        recording.save(update_fields=["state", "stopped_at"])
        _publish(recording)
    return recording


def withdraw_recording(
    *, consultation_id: int, recording_id: int, party: str, now: datetime | None = None
) -> Recording:
    """Either party withdraws consent: the recording stops and its files are deleted."""
    if party not in Recording.Party.values:
        raise DomainError("invalid_party", "Unknown party.")
    now = now or timezone.now()
    with transaction.atomic():
        recording = _locked(consultation_id, recording_id)
        if recording.state in (Recording.State.WITHDRAWN, Recording.State.DECLINED):
            return recording  # already gone: withdrawing twice changes nothing
        if recording.state == Recording.State.STOPPED and recording.stopped_at is None:
            recording.stopped_at = now
        recording.state = Recording.State.WITHDRAWN
        recording.withdrawn_at = now
        recording.withdrawn_by = party
        recording.duration_seconds = recording.size_bytes = 0
        recording.save()
        recording.files.all().delete()
        transaction.on_commit(lambda: delete_recording_directory(recording_id))
        _publish(recording)
    return recording


def register_recording_files(
    *, recording_id: int, files: list[dict[str, Any]], now: datetime | None = None
) -> Recording | None:
    """The media worker finished a recording's files. Safe to call twice; for a withdrawn
    recording the files are deleted instead (the worker may have written after the
    withdrawal)."""
    with transaction.atomic():
        recording = Recording.objects.select_for_update().filter(pk=recording_id).first()
        if recording is None or recording.state in (
            Recording.State.WITHDRAWN,
            Recording.State.DECLINED,
        ):
            transaction.on_commit(lambda: delete_recording_directory(recording_id))
            return recording
        for item in files:
            party, path = item.get("party"), item.get("path")
            if party not in Recording.Party.values or path != f"{recording_id}/{party}.webm":
                continue  # only the worker's own naming is accepted
            RecordingFile.objects.update_or_create(
                recording=recording,
                party=party,
                defaults={
                    "path": path,
                    "size_bytes": int(item.get("size_bytes", 0)),
                    "duration_seconds": float(item.get("duration_seconds", 0)),
                },
            )
        stored = list(recording.files.all())
        recording.size_bytes = sum(f.size_bytes for f in stored)
        recording.duration_seconds = max((f.duration_seconds for f in stored), default=0)
        if recording.state == Recording.State.RECORDING:  # e.g. the call ended
            recording.state = Recording.State.STOPPED
            recording.stopped_at = now or timezone.now()
        recording.save()
        _publish(recording)
    return recording


def log_recording_access(
    *, recording_file: RecordingFile, user: AbstractBaseUser, download: bool
) -> AuditEvent:
    """Every opening of a recording file is written down: who, when, which file."""
    played, downloaded = AuditEvent.Action.RECORDING_PLAYED, AuditEvent.Action.RECORDING_DOWNLOADED
    action = downloaded if download else played
    return AuditEvent.objects.create(
        actor_id=user.pk,
        actor_name=user.get_username(),
        action=action,
        object_type="recording",
        object_id=recording_file.recording_id,
        detail=f"{recording_file.party} ({recording_file.path})",
    )
