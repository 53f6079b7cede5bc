"""The city's legal pages: Impressum, Datenschutzerklärung, Erklärung zur Barrierefreiheit.

The texts are templates (frontend/legal/*.html, replaceable through LEGAL_TEMPLATES_DIR);
the privacy page takes its periods and the recording purpose from the settings.
"""

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from consult.catalogue import selectors as catalogue_selectors
from consult.chat import documents as chat_documents
from consult.chat import scanner


def _contacts() -> dict[str, str]:
    return {
        "city_address": settings.CITY_ADDRESS,
        "city_phone": settings.CITY_PHONE,
        "city_email": settings.CITY_EMAIL,
        "privacy_email": settings.PRIVACY_CONTACT_EMAIL,
        "accessibility_email": settings.ACCESSIBILITY_CONTACT_EMAIL,
    }


@require_safe
def imprint(request: HttpRequest) -> HttpResponse:
    return render(request, "frontend/legal/imprint.html", _contacts())


@require_safe
def privacy(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "frontend/legal/privacy.html",
        {
            **_contacts(),
            "retention": settings.RETENTION_DAYS,
            "topic_retention": catalogue_selectors.topics_with_own_retention(),
            "recording_purpose": settings.RECORDING_PURPOSE or "Dokumentation der Beratung",
            "media_mode": settings.RTC_MEDIA_MODE,
            "documents": chat_documents.limits(),
            "virus_scan": scanner.scanner_configured(),
        },
    )


@require_safe
def accessibility(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "frontend/legal/accessibility.html",
        {**_contacts(), "statement_date": settings.ACCESSIBILITY_STATEMENT_DATE},
    )
