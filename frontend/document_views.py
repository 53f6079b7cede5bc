"""Documents in the chat over HTTP: a party uploads a file (the citizen with their token, the
clerk with their session, both with the CSRF token in ``X-CSRFToken``) and downloads the
files of their own consultation. The domain decides (consult/chat/documents.py); every
refusal is JSON with the code and a German (or the page's language) text, and stores nothing.

The upload is the request body itself (``application/octet-stream``), its name in
``X-Document-Name`` (percent-encoded UTF-8) and the client's id in ``X-Client-Id`` (a resend
after a lost answer stores nothing twice). The body is never read beyond the size limit.
"""

from urllib.parse import unquote

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, JsonResponse
from django.views.decorators.http import require_POST, require_safe

from consult.chat import documents
from consult.chat import selectors as chat_selectors
from consult.consultations.log import serialize_message
from consult.consultations.models import Consultation, Message
from consult.errors import DomainError

from .consultation_access import citizens, clerks

# The answer's status per refusal (anything else: 400).
STATUS = {
    "not_found": 404,
    "not_active": 409,
    "document_too_large": 413,
    "too_many_documents": 409,
    "rate_limited": 429,
    "scan_failed": 503,
}
# What a download may do in the browser: nothing (a PDF or image opened from it runs no
# script, loads nothing, and is its own opaque origin).
SANDBOX = "sandbox; default-src 'none'; img-src 'self'; object-src 'none'"


def _refusal(error: DomainError) -> JsonResponse:
    return JsonResponse(
        {"code": error.code, "message": documents.refusal_text(error.code)},
        status=STATUS.get(error.code, 400),
    )


def _read_body(request: HttpRequest) -> bytes:
    """At most one byte over the limit: a larger body is refused, never read whole."""
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > settings.DOCUMENTS_MAX_BYTES:
        raise DomainError("document_too_large", "Content-Length over the limit.")
    return request.read(settings.DOCUMENTS_MAX_BYTES + 1)


def _upload(request: HttpRequest, *, consultation: Consultation, sender: str) -> JsonResponse:
    author = request.user if request.user.is_authenticated else None
    try:
        message, created = documents.share_document(
            consultation_id=consultation.pk,
            sender=sender,
            data=_read_body(request),
            name=unquote(request.headers.get("X-Document-Name", ""), errors="replace")[:1000],
            client_id=request.headers.get("X-Client-Id", ""),
            author=author if sender == Message.Sender.CLERK else None,
        )
    except DomainError as error:
        return _refusal(error)
    return JsonResponse({"entry": serialize_message(message)}, status=201 if created else 200)


def _download(consultation: Consultation, document_id: int) -> FileResponse:
    document = chat_selectors.shared_document(
        consultation_id=consultation.pk, document_id=document_id
    )
    if document is None:
        raise Http404
    try:
        handle = documents.document_path(document).open("rb")
    except OSError:
        raise Http404 from None
    response = FileResponse(
        handle, content_type=document.content_type, as_attachment=True, filename=document.name
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = SANDBOX
    response["Cache-Control"] = "no-store"
    return response


@require_POST
def citizen_upload(request: HttpRequest, token: str) -> JsonResponse:
    return _upload(request, consultation=citizens(token), sender=Message.Sender.CITIZEN)


@require_safe
def citizen_download(request: HttpRequest, token: str, pk: int) -> FileResponse:
    return _download(citizens(token), pk)


@login_required
@require_POST
def clerk_upload(request: HttpRequest, pk: int) -> JsonResponse:
    return _upload(request, consultation=clerks(request, pk), sender=Message.Sender.CLERK)


@login_required
@require_safe
def clerk_download(request: HttpRequest, pk: int, document: int) -> FileResponse:
    return _download(clerks(request, pk), document)
