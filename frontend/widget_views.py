"""The website widget: the script a municipality embeds, and the topic entry it opens."""

from functools import cache
from pathlib import Path

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_safe

from consult.appointments import slots
from consult.queue import overview

SCRIPT = Path(__file__).resolve().parent / "static" / "frontend" / "js" / "widget.js"


@cache
def _script() -> bytes:
    return SCRIPT.read_bytes()


@require_safe
def script(request: HttpRequest) -> HttpResponse:
    """``/widget.js`` at a stable address (static files carry no version in their name)."""
    response = HttpResponse(_script(), content_type="text/javascript; charset=utf-8")
    response["Cache-Control"] = "public, max-age=3600"
    # Other sites load it with <script src>; let pages with COEP do so too.
    response["Cross-Origin-Resource-Policy"] = "cross-origin"
    return response


@require_safe
def topic(request: HttpRequest, topic: str) -> HttpResponse:
    """A preselected topic in the widget's frame: start a chat or book an appointment while
    someone is there; otherwise when it opens and what a citizen can do meanwhile."""
    chosen = slots.bookable_topic(topic)
    if chosen is None:
        raise Http404
    state = overview.topic_overview(now=timezone.now(), topics=[chosen])[0]
    context = {"topic": chosen, "availability": state.availability, "overview": state}
    return render(request, "frontend/widget_topic.html", context)
