"""Recordings: the list for the clerks of a consultation and for managers, and the file
itself, streamed; every opening of a file is audited. Everybody else gets 403."""

from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from consult.recording import recordings
from consult.recording import selectors as recording_selectors
from consult.recording.files import absolute_path
from consult.staff import selectors


@require_safe
def recording_list(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated or not (
        selectors.clerk_profile(request.user) or selectors.can_view_statistics(request.user)
    ):
        raise PermissionDenied
    listed = list(recording_selectors.visible_recordings(request.user))
    audit = recording_selectors.recording_audit([r.pk for r in listed])
    by_recording: dict[int, list] = {}
    for event in audit[:500]:
        by_recording.setdefault(event.object_id, []).append(event)
    rows = [(recording, by_recording.get(recording.pk, [])) for recording in listed]
    return render(request, "frontend/recordings.html", {"rows": rows})


@require_safe
def recording_file(request: HttpRequest, pk: int) -> FileResponse:
    """The webm file, inline for the player or as a download (``?download=1``)."""
    if not request.user.is_authenticated:
        raise PermissionDenied
    found = recording_selectors.recording_file_for(user=request.user, file_id=pk)
    if found is None:
        raise PermissionDenied
    try:
        handle = absolute_path(found.path).open("rb")
    except (OSError, ValueError):
        raise Http404 from None
    download = request.GET.get("download") == "1"
    recordings.log_recording_access(recording_file=found, user=request.user, download=download)
    name = f"aufzeichnung-{found.recording_id}-{found.party}.webm"
    response = FileResponse(
        handle, content_type=found.content_type, as_attachment=download, filename=name
    )
    response["Cache-Control"] = "no-store"
    return response
