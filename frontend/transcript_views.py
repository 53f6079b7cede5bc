"""Transcript downloads: the citizen through their token, the clerk for their own
consultations, and the clerk's history of ended consultations."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from consult.consultations import notes, selectors
from consult.consultations.models import Consultation, InternalNote
from consult.recording import transcripts
from consult.staff import selectors as staff_selectors

FORMATS = {"txt": "text/plain; charset=utf-8", "pdf": "application/pdf"}


def _download(consultation: Consultation, extension: str) -> HttpResponse:
    if extension not in FORMATS:
        raise Http404
    if extension == "pdf":
        body: bytes | str = transcripts.transcript_pdf(consultation)
    else:
        body = transcripts.transcript_text(consultation)
    response = HttpResponse(body, content_type=FORMATS[extension])
    filename = transcripts.transcript_filename(consultation, extension)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


@require_safe
def citizen_transcript(request: HttpRequest, token: str, extension: str) -> HttpResponse:
    consultation = selectors.consultation_by_token(token)
    if consultation is None:
        raise Http404
    return _download(consultation, extension)


@login_required
@require_safe
def clerk_transcript(request: HttpRequest, pk: int, extension: str) -> HttpResponse:
    if not request.user.is_authenticated:
        raise Http404
    consultation = selectors.clerk_consultation(consultation_id=pk, clerk=request.user)
    if consultation is None:
        raise Http404
    return _download(consultation, extension)


@login_required
@require_safe
def history(request: HttpRequest) -> HttpResponse:
    if staff_selectors.clerk_profile(request.user) is None:
        raise PermissionDenied
    consultations = list(transcripts.clerk_history(request.user))
    # The internal notes of each (never in the transcripts, which the citizen gets too).
    by_consultation: dict[int, list[InternalNote]] = {}
    for note in notes.notes_of([c.pk for c in consultations]):
        by_consultation.setdefault(note.consultation_id, []).append(note)
    rows = [(c, by_consultation.get(c.pk, [])) for c in consultations]
    return render(request, "frontend/history.html", {"rows": rows})
