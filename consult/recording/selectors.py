"""Reads for recordings: who may open which, and the lists for clerks and managers."""

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Q, QuerySet

from consult.recording.models import AuditEvent, Recording, RecordingFile
from consult.staff.selectors import can_view_statistics


def _visible(user: AbstractBaseUser | AnonymousUser) -> Q | None:
    """Managers see every recording; a clerk those of their consultations (assigned now or
    the one who asked for the recording); anybody else none."""
    if not user.is_authenticated:
        return None
    if can_view_statistics(user):
        return Q()
    return Q(consultation__clerk_id=user.pk) | Q(requested_by_id=user.pk)


def visible_recordings(user: AbstractBaseUser | AnonymousUser) -> QuerySet[Recording]:
    rule = _visible(user)
    if rule is None:
        return Recording.objects.none()
    return (
        Recording.objects.filter(rule, state=Recording.State.STOPPED)
        .select_related("consultation__topic", "requested_by")
        .prefetch_related("files")
        .order_by("-created_at")[:100]
    )


def recording_file_for(
    *, user: AbstractBaseUser | AnonymousUser, file_id: int
) -> RecordingFile | None:
    """The file if ``user`` may open it, else None."""
    rule = _visible(user)
    if rule is None:
        return None
    recordings = Recording.objects.filter(rule, state=Recording.State.STOPPED)
    return RecordingFile.objects.filter(pk=file_id, recording__in=recordings).first()


def running_recording(consultation_id: int) -> Recording | None:
    """The recording asked for or running in a consultation, if any."""
    return (
        Recording.objects.filter(
            consultation_id=consultation_id,
            state__in=[Recording.State.REQUESTED, Recording.State.RECORDING],
        )
        .order_by("-created_at")
        .first()
    )


def recording_audit(recording_ids: list[int]) -> QuerySet[AuditEvent]:
    return AuditEvent.objects.filter(object_type="recording", object_id__in=recording_ids)
