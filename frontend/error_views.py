"""Error pages in the site's layout and language (config/urls.py: handler400 … handler500).

400, 403 and 404 render with the request's context (the header's language switch, the
staff's own way back). 500 renders without it: no context processors, no session, no
database, only the settings, so that it cannot fail the way the page it replaces did.
"""

import logging

from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseForbidden,
    HttpResponseNotFound,
    HttpResponseServerError,
)
from django.template import loader
from django.utils.translation import get_language

from .identity import identity

logger = logging.getLogger(__name__)


def _page(request: HttpRequest, template: str, status: int) -> str:
    return loader.render_to_string(template, {"status": status}, request=request)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    return HttpResponseBadRequest(_page(request, "frontend/errors/400.html", 400))


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    return HttpResponseForbidden(_page(request, "frontend/403.html", 403))


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """settings.CSRF_FAILURE_VIEW: a form sent without a valid token (expired, or from
    another site). The reason stays in the log, not on the page."""
    body = loader.render_to_string(
        "frontend/403.html", {"status": 403, "form_expired": True}, request=request
    )
    return HttpResponseForbidden(body)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    return HttpResponseNotFound(_page(request, "frontend/errors/404.html", 404))


def server_error(request: HttpRequest) -> HttpResponse:
    context = {**identity(), "LANGUAGE_CODE": get_language() or "de", "status": 500}
    body: str
    try:
        body = loader.render_to_string("frontend/errors/500.html", context)
    except Exception:  # the layout itself failed: the bare text still says what happened
        logger.exception("the 500 page failed to render")
        body = (
            '<!doctype html><html lang="de"><title>Fehler</title>'
            '<h1>Ein Fehler ist aufgetreten</h1><p><a href="/">Zur Startseite</a></p></html>'
        )
    return HttpResponseServerError(body)
