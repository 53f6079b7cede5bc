"""Hand-over notes in the console: the assigned clerk lists (GET) and adds (POST, ``body``,
CSRF in ``X-CSRFToken``) the internal notes of a consultation, as JSON. No citizen route
exists for them (consult/consultations/notes.py)."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_http_methods

from consult.consultations import notes
from consult.errors import DomainError, message_for

from .consultation_access import clerks


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def consultation_notes(request: HttpRequest, pk: int) -> JsonResponse:
    consultation = clerks(request, pk)
    status = 200
    if request.method == "POST":
        try:
            notes.write_note(
                consultation_id=consultation.pk,
                clerk=request.user,  # type: ignore[arg-type]  # login_required
                body=request.POST.get("body", ""),
            )
        except DomainError as error:
            return JsonResponse(
                {"code": error.code, "message": message_for(error.code)}, status=400
            )
        status = 201
    listed = notes.serialize_notes(notes.notes_of([consultation.pk]))
    return JsonResponse({"notes": listed}, status=status)
