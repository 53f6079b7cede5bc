"""Text snippets in the console: the clerk's page for their personal snippets (list, write,
change, delete; topic snippets are the managers', in the admin), and the list the reply box
offers (rendered into the console page). consult/chat/snippets.py, docs/console.md."""

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from consult.catalogue import selectors as catalogue_selectors
from consult.catalogue.models import Service
from consult.chat import snippets
from consult.errors import DomainError, message_for
from consult.staff import selectors as staff_selectors


def service_page_url(service: Service) -> str:
    return settings.SITE_URL + reverse("frontend:service", args=[service.slug])


def offered_snippets(request: HttpRequest) -> list[dict[str, Any]]:
    """What the reply box offers the logged-in clerk: their topics' and their own."""
    return snippets.serialize_snippets(
        snippets.snippets_for_clerk(request.user),  # type: ignore[arg-type]  # logged in
        page_url=service_page_url,
    )


def _number(value: str | None) -> int | None:
    if not value:
        return None
    if not value.isascii() or not value.isdigit() or len(value) > 18:
        raise DomainError("not_found")
    return int(value)


def _write(request: HttpRequest) -> str:
    """One POST: ``action`` save (new, or ``snippet``'s) or delete; returns the notice."""
    clerk = request.user
    snippet_id = _number(request.POST.get("snippet"))
    if request.POST.get("action") == "delete":
        if snippet_id is None:
            raise DomainError("not_found")
        snippets.delete_personal_snippet(clerk=clerk, snippet_id=snippet_id)  # type: ignore[arg-type]
        return _("The snippet was deleted.")
    snippets.save_personal_snippet(
        clerk=clerk,  # type: ignore[arg-type]  # login_required
        title=request.POST.get("title", ""),
        body=request.POST.get("body", ""),
        service_id=_number(request.POST.get("service")),
        snippet_id=snippet_id,
    )
    return _("The snippet was saved.")


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def console_snippets(request: HttpRequest) -> HttpResponse:
    if staff_selectors.clerk_profile(request.user) is None:
        raise PermissionDenied
    error, status = "", 200
    if request.method == "POST":
        try:
            messages.success(request, _write(request))
        except DomainError as problem:
            error, status = message_for(problem.code), 400
        else:
            return redirect(reverse("frontend:console_snippets"))
    return render(
        request,
        "frontend/snippets.html",
        {
            "personal": snippets.personal_snippets(request.user),  # type: ignore[arg-type]
            "offered": offered_snippets(request),
            "services": catalogue_selectors.active_services(),
            "error": error,
            "posted": request.POST if error else {},
        },
        status=status,
    )
