"""Small HTTP middlewares that no kept library covers for us."""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation


class PermissionsPolicyMiddleware:
    """Adds the ``Permissions-Policy`` header (camera and microphone for our own origin)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        return response


class GermanFirstLocaleMiddleware:
    """German unless the visitor chose another language with the language switch.

    Django's LocaleMiddleware follows the browser's Accept-Language header; a municipal
    service is German first, so only an explicit choice (the language cookie) counts.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        supported = {code for code, _name in settings.LANGUAGES}
        language = chosen if chosen in supported else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language  # type: ignore[attr-defined]
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        response.headers.setdefault("Vary", "Cookie")
        translation.deactivate()
        return response


class EmbeddingMiddleware:
    """Lets the widget's origins frame the embeddable pages (``EMBEDDABLE_VIEWS``).

    Every other page keeps ``frame-ancestors 'none'`` and ``X-Frame-Options: DENY``. An
    embeddable page gets ``frame-ancestors 'self' <WIDGET_ALLOWED_ORIGINS>``; X-Frame-Options
    cannot name several origins, so it becomes SAMEORIGIN without configured origins and is
    left out with them (every browser that frames cross-origin honours frame-ancestors). The
    Permissions-Policy names the same origins for camera and microphone. Last in MIDDLEWARE,
    so it runs before the CSP, frame and permissions middlewares see the response.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if is_embeddable(request):
            origins = list(settings.WIDGET_ALLOWED_ORIGINS)
            # django-csp's per-response override (what its csp_replace decorator sets).
            response._csp_replace = {  # type: ignore[attr-defined]
                "frame-ancestors": ["'self'", *origins]
            }
            if origins:
                response.xframe_options_exempt = True  # type: ignore[attr-defined]
            else:
                response.headers["X-Frame-Options"] = "SAMEORIGIN"
            allow = " ".join(["self", *(f'"{origin}"' for origin in origins)])
            response.headers["Permissions-Policy"] = settings.PERMISSIONS_POLICY.replace(
                "camera=(self)", f"camera=({allow})"
            ).replace("microphone=(self)", f"microphone=({allow})")
        return response


def is_embeddable(request: HttpRequest) -> bool:
    match = getattr(request, "resolver_match", None)
    if match is None:
        return False
    allowed = set(settings.EMBEDDABLE_VIEWS)
    return match.view_name in allowed or any(ns in allowed for ns in match.namespaces)
