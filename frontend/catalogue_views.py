"""The front door's pages: catalogue, service pages, navigator, out-of-hours requests, and the
console's callback queue. Each view validates input and calls one domain function or selector."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from consult.catalogue import callbacks, navigator
from consult.catalogue import selectors as catalogue_selectors
from consult.errors import DomainError, message_for
from consult.queue.overview import topic_overview
from consult.staff import selectors

from .forms import CallbackDoneForm, CallbackRequestForm, NavigatorForm

REQUEST_KEY = "callback_request"  # the last request left in this session, for the thanks page


@require_safe
def catalogue(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "frontend/catalogue.html",
        {
            "by_topic": catalogue_selectors.services_by_topic(),
            "a_to_z": catalogue_selectors.services_a_to_z(),
            "navigator_form": NavigatorForm(),
        },
    )


@require_safe
def service(request: HttpRequest, slug: str) -> HttpResponse:
    found = catalogue_selectors.service_by_slug(slug)
    if found is None:
        raise Http404
    state = topic_overview(now=timezone.now(), topics=[found.topic])[0]
    return render(
        request,
        "frontend/service.html",
        {"service": found, "availability": state.availability, "overview": state},
    )


@require_safe
def navigate(request: HttpRequest) -> HttpResponse:
    """The navigator's answer: the services matching the question and, when it is confident,
    the topic to consult; when not, it says so and offers the general enquiry topic, the
    catalogue and a written request (docs/catalogue.md, "Confidence")."""
    searched = "q" in request.GET
    form = NavigatorForm(request.GET if searched else None)
    found = navigator.Answer(hits=[], confidence=0.0)
    if searched and form.is_valid():
        found = navigator.answer(form.cleaned_data["q"], limit=5)
    best = general = None
    if found.confident:
        topic = found.hits[0].service.topic
        best = topic_overview(now=timezone.now(), topics=[topic])[0]
    elif searched and form.is_valid():
        fallback = catalogue_selectors.general_topic()
        if fallback is not None:
            general = topic_overview(now=timezone.now(), topics=[fallback])[0]
    return render(
        request,
        "frontend/navigator.html",
        {
            "form": form,
            "searched": searched,
            "hits": found.hits,
            "confident": found.confident,
            "best": best,
            "general": general,
        },
        status=400 if searched and not form.is_valid() else 200,
    )


@require_http_methods(["GET", "HEAD", "POST"])
def leave_request(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        initial = {
            "topic": request.GET.get("topic", ""),
            # The navigator's question goes along when it found no fitting service.
            "question": request.GET.get("question", "")[: callbacks.MAX_QUESTION],
        }
        return _request_form(request, CallbackRequestForm(initial=initial))
    form = CallbackRequestForm(request.POST)
    if form.is_valid():
        try:
            left = callbacks.leave_callback_request(
                topic_slug=form.cleaned_data["topic"],
                question=form.cleaned_data["question"],
                name=form.cleaned_data["name"],
                email=form.cleaned_data["email"],
                phone=form.cleaned_data["phone"],
                language=request.LANGUAGE_CODE,
            )
        except DomainError as error:
            form.add_error(None, message_for(error.code))
        else:
            request.session[REQUEST_KEY] = left.pk
            return redirect("frontend:request_thanks")
    return _request_form(request, form, status=400)


def _request_form(
    request: HttpRequest, form: CallbackRequestForm, status: int = 200
) -> HttpResponse:
    """The form, with how long a done request is kept (the deployment's period; a topic's own
    is on the privacy page)."""
    days = settings.RETENTION_DAYS.get("callback_requests")
    return render(
        request, "frontend/request_form.html", {"form": form, "keep_days": days}, status=status
    )


@require_safe
def request_thanks(request: HttpRequest) -> HttpResponse:
    left = catalogue_selectors.callback_request(request.session.get(REQUEST_KEY))
    if left is None:
        return redirect("frontend:leave_request")
    return render(request, "frontend/request_thanks.html", {"left": left})


def _clerk_or_403(request: HttpRequest) -> None:
    if selectors.clerk_profile(request.user) is None:
        raise PermissionDenied


@login_required
@require_safe
def console_requests(request: HttpRequest) -> HttpResponse:
    """The console's callback queue as an HTML fragment (console.html includes it too)."""
    _clerk_or_403(request)
    return _requests_fragment(request)


def _requests_fragment(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "frontend/includes/callback_requests.html",
        {"callback_requests": catalogue_selectors.open_callback_requests(request.user)},
    )


@login_required
@require_POST
def complete_request(request: HttpRequest, pk: int) -> HttpResponse:
    _clerk_or_403(request)
    form = CallbackDoneForm(request.POST)
    if not form.is_valid():
        return HttpResponse(status=400)
    try:
        callbacks.complete_callback_request(
            request_id=pk, clerk=request.user, note=form.cleaned_data["note"]
        )
    except DomainError as error:
        if error.code != "already_done":
            raise Http404 from None
    if request.headers.get("X-Requested-With") == "fetch":
        return _requests_fragment(request)
    return redirect("/console/#callbacks-heading")
