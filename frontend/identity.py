"""The city's identity on every page: its name, logo and the links to the legal pages.

``identity()`` needs no request, so the 500 page can use it when nothing else is safe.
"""

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.templatetags.static import static

DEMO_CITY = "Beispielstadt"


def logo_url() -> str:
    """The logo's address on this origin: a static file, or an absolute path as configured."""
    logo: str = settings.CITY_LOGO
    if not logo:
        return ""
    return logo if logo.startswith("/") else static(logo)


def identity() -> dict[str, Any]:
    return {
        "CITY_NAME": settings.CITY_NAME,
        "CITY_LOGO_URL": logo_url(),
        "CITY_IS_EXAMPLE": settings.CITY_NAME == DEMO_CITY,
    }


def identity_context(request: HttpRequest) -> dict[str, Any]:
    """Context processor (settings.TEMPLATES); also the default purpose of a recording."""
    return {**identity(), "RECORDING_PURPOSE": settings.RECORDING_PURPOSE}
