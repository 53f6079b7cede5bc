"""HTTP views: each validates input, calls one domain function or selector, renders."""

from typing import Any

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe

from consult import health
from consult.catalogue import hours
from consult.catalogue import selectors as catalogue_selectors
from consult.catalogue.models import Topic
from consult.chat import documents as chat_documents
from consult.consultations import selectors
from consult.consultations.models import Consultation
from consult.errors import DomainError, message_for
from consult.queue import lifecycle, overview
from consult.queue import selectors as queue_selectors
from consult.staff import selectors as staff_selectors
from consult.staff.models import StaffProfile
from consult.staff.names import citizen_facing_name
from consult.statistics import feedback

from . import snippet_views
from .forms import (
    FeedbackForm,
    NavigatorForm,
    StaffAuthenticationForm,
    StartConsultationForm,
    WriteInsteadForm,
)

SESSION_KEY = "consultation_tokens"
REFUSALS = {"topic_closed", "topic_unstaffed"}
# The start form's field a refusal of the domain is about (else the topic).
FIELD_OF_ERROR = {
    "unknown_service": "service",
    "concern_too_long": "concern",
    "invalid_characters": "concern",
}


def _open_consultation_in_session(request: HttpRequest) -> Consultation | None:
    for token in reversed(request.session.get(SESSION_KEY, [])):
        consultation = selectors.consultation_by_token(token)
        if consultation is not None and (
            consultation.is_open or consultation.state == Consultation.State.ASKED
        ):
            return consultation
    return None


def _start_page(
    request: HttpRequest,
    *,
    form: StartConsultationForm | None = None,
    refused: dict[str, object] | None = None,
    status: int = 200,
) -> HttpResponse:
    """The front door: navigator, catalogue link, topics with opening state and wait."""
    context = {
        "overview": overview.topic_overview(now=timezone.now()),
        "current": _open_consultation_in_session(request),
        "navigator_form": NavigatorForm(),
        "form": form,
        "refused": refused,
    }
    return render(request, "frontend/start.html", context, status=status)


@require_safe
def start(request: HttpRequest) -> HttpResponse:
    return _start_page(request)


@require_safe
def video_check(request: HttpRequest, topic: str) -> HttpResponse:
    """The device check before a video consultation; the form on it starts the consultation.
    A topic that cannot start now is refused here already, before the camera is asked for."""
    chosen = catalogue_selectors.active_topic(topic)
    if chosen is None:
        raise Http404
    try:
        hours.ensure_can_start(topic=chosen, now=timezone.now())
    except DomainError as error:
        return _refused(request, code=error.code, topic=chosen)
    # The service page the citizen came from, if it is one of the topic's (the start would
    # refuse another; the device check does not need it).
    service = catalogue_selectors.service_by_slug(request.GET.get("service", ""))
    if service is not None and service.topic_id != chosen.pk:
        service = None
    return render(request, "frontend/device_check.html", {"topic": chosen, "service": service})


def _refused(request: HttpRequest, *, code: str, topic: Topic) -> HttpResponse:
    availability = catalogue_selectors.topic_availability(topic, now=timezone.now())
    refused = {
        "code": code,
        "message": message_for(code),
        "topic": topic,
        "availability": availability,
    }
    return _start_page(request, refused=refused, status=409)


@require_POST
def start_consultation(request: HttpRequest) -> HttpResponse:
    form = StartConsultationForm(request.POST)
    if not form.is_valid():
        return _start_page(request, form=form, status=400)
    try:
        consultation = lifecycle.start_consultation(
            topic_slug=form.cleaned_data["topic"],
            channel=form.cleaned_data["channel"],
            service_slug=form.cleaned_data["service"],
            concern=form.cleaned_data["concern"],
        )
    except DomainError as error:
        if error.code in REFUSALS:
            topic = catalogue_selectors.active_topic(form.cleaned_data["topic"])
            if topic is not None:
                return _refused(request, code=error.code, topic=topic)
        field = FIELD_OF_ERROR.get(error.code, "topic")
        form.add_error(field, message_for(error.code))
        return _start_page(request, form=form, status=400)
    return to_room(request, consultation)


def to_room(request: HttpRequest, consultation: Consultation) -> HttpResponse:
    """The room of a consultation just started or asked, remembered in the session (the start
    page offers the way back)."""
    tokens = request.session.get(SESSION_KEY, [])
    request.session[SESSION_KEY] = [*tokens[-9:], consultation.public_token]
    return redirect("frontend:room", token=consultation.public_token)


def room_page(
    request: HttpRequest,
    consultation: Consultation,
    form: FeedbackForm,
    status: int = 200,
    instead: WriteInsteadForm | None = None,
) -> HttpResponse:
    """The citizen's room: waiting room, chat, end and rating, in one page."""
    room_config = {
        "ws": f"/ws/citizen/{consultation.public_token}/",
        "state": consultation.state,
        # Served before: waiting again after a requeue or a transfer (the history shows).
        "served": consultation.first_accepted_at is not None,
        "channel": consultation.channel,
        # The clerk's name as the city allows; empty: the page says "Sachbearbeitung".
        "clerk": citizen_facing_name(
            user=consultation.clerk, profile=getattr(consultation.clerk, "staff_profile", None)
        )
        if consultation.clerk
        else "",
        "documents": _documents_config(request, f"/c/{consultation.public_token}/documents/"),
    }
    documents = catalogue_selectors.room_documents(
        topic_id=consultation.topic_id, service_id=consultation.service_id
    )
    context = {
        "consultation": consultation,
        "room_config": room_config,
        "feedback_form": form,
        # Nobody can take the conversation now: the question instead (shown by the page).
        "instead_form": instead or WriteInsteadForm(initial={"question": consultation.concern}),
        "back_in_queue": consultation.state == Consultation.State.WAITING
        and consultation.first_accepted_at is not None,
        "can_rate": feedback.can_rate(consultation),
        "documents": documents,
        "document_limits": chat_documents.limits(),
    }
    return render(request, "frontend/room.html", context, status=status)


def _documents_config(request: HttpRequest, url: str) -> dict[str, Any]:
    """What the documents script needs (frontend/js/documents.js): where to upload (the
    clerk's address ends in the consultation's id), the CSRF token, the size limit."""
    limits = chat_documents.limits()
    return {
        "url": url,
        "csrf": get_token(request),
        "maxBytes": limits["max_bytes"],
        "tooLarge": limits["too_large"],
    }


@require_safe
def room(request: HttpRequest, token: str) -> HttpResponse:
    consultation = selectors.consultation_by_token(token)
    if consultation is None:
        raise Http404
    return room_page(request, consultation, FeedbackForm())


@require_POST
def rate(request: HttpRequest, token: str) -> HttpResponse:
    """The citizen's rating after the conversation; the room shows the thanks."""
    consultation = selectors.consultation_by_token(token)
    if consultation is None:
        raise Http404
    form = FeedbackForm(request.POST)
    if form.is_valid():
        try:
            feedback.rate_consultation(
                public_token=token,
                rating=form.cleaned_data["rating"],
                comment=form.cleaned_data["comment"],
            )
            return redirect("frontend:room", token=token)
        except DomainError as error:
            if error.code == "already_rated":  # e.g. a double click: the first one counted
                return redirect("frontend:room", token=token)
            form.add_error(None, message_for(error.code))
    return room_page(request, consultation, form, status=400)


@require_POST
def leave(request: HttpRequest, token: str) -> HttpResponse:
    try:
        lifecycle.leave_consultation(public_token=token)
    except DomainError:
        raise Http404 from None
    return redirect("frontend:room", token=token)


class StaffLoginView(auth_views.LoginView):
    template_name = "frontend/login.html"
    authentication_form = StaffAuthenticationForm
    redirect_authenticated_user = True


def login_username(request: HttpRequest, credentials: dict[str, Any] | None) -> str:
    """The user name django-axes records for a login attempt, cut to its column's 255
    characters (a longer name typed into /admin/login/ was a 500 on PostgreSQL)."""
    name = (credentials or {}).get("username") or request.POST.get("username", "")
    return str(name)[:255]


def login_locked_out(
    request: HttpRequest, original_response: HttpResponse | None, credentials: dict[str, Any] | None
) -> HttpResponse:
    """django-axes' answer to a locked login (console or admin): when to try again, in the
    page's language, with 429 Too Many Requests."""
    retry_at = timezone.localtime() + settings.AXES_COOLOFF_TIME
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    response = render(
        request,
        "frontend/locked_out.html",
        {"retry_at": retry_at, "minutes": minutes},
        status=429,
    )
    response["Retry-After"] = str(int(settings.AXES_COOLOFF_TIME.total_seconds()))
    return response


@login_required
@require_safe
def staff_home(request: HttpRequest) -> HttpResponse:
    """After login: clerks to their console, managers to the statistics."""
    if staff_selectors.clerk_profile(request.user) is not None:
        return redirect("frontend:console")
    if staff_selectors.can_view_statistics(request.user):
        return redirect("frontend:statistics")
    raise PermissionDenied


@login_required
@require_safe
def console(request: HttpRequest) -> HttpResponse:
    profile = staff_selectors.clerk_profile(request.user)
    if profile is None:
        raise PermissionDenied
    open_questions = queue_selectors.open_questions(request.user)
    return render(
        request,
        "frontend/console.html",
        {
            "profile": profile,
            "statuses": StaffProfile.Status.choices,
            "outcomes": Consultation.Outcome.choices,
            "topics": catalogue_selectors.active_topics(),
            "callback_requests": catalogue_selectors.open_callback_requests(request.user),
            "document_limits": chat_documents.limits(),
            "open_questions": open_questions,
            "questions_open": sum(len(group["questions"]) for group in open_questions),
            "console_notice": request.session.pop("console_notice", ""),
            "console_config": {
                "queueWs": "/ws/clerk/queue/",
                "chatWs": "/ws/clerk/consultations/",
                "missedOffersAway": settings.QUEUE_MISSED_OFFERS_AWAY,
                "documents": _documents_config(request, "/console/consultations/"),
                "snippets": snippet_views.offered_snippets(request),
            },
        },
    )


async def healthz(request: HttpRequest) -> JsonResponse:
    """200 when the database and the channel layer both answer, else 503."""
    report = await health.check()
    return JsonResponse(report, status=200 if report["status"] == "ok" else 503)
