"""Booking pages: choose a day and a time, give a name and e-mail, then manage the
appointment through the personal link (join, reschedule, cancel). No JavaScript needed."""

from datetime import date
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from consult.appointments import booking, mail, slots
from consult.appointments.models import Appointment
from consult.catalogue.models import Topic
from consult.errors import DomainError, message_for

from .appointment_forms import BookingForm, SlotForm, slot_value
from .views import SESSION_KEY


def _appointment(token: str) -> Appointment:
    appointment = slots.appointment_by_token(token)
    if appointment is None:
        raise Http404
    return appointment


def _chosen_day(request: HttpRequest, days: dict[date, int]) -> date | None:
    raw = request.POST.get("day") or request.GET.get("day") or ""
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        day = None
    if day in days:
        return day
    return min(days) if days else None


def _slot_page(
    request: HttpRequest,
    *,
    topic: Topic,
    form_class: type[SlotForm],
    appointment: Appointment | None = None,
) -> tuple[SlotForm, dict[str, object]]:
    """The day list, the chosen day's free times and the form bound to them."""
    ignore = appointment.pk if appointment else None
    days = slots.bookable_days(topic=topic)
    if appointment is not None:  # its own time counts as free while rescheduling
        own_day = timezone.localdate(appointment.starts_at)
        own = slots.slots_on(topic=topic, day=own_day, ignore=ignore)
        if own:
            days[own_day] = len(own)
    day = _chosen_day(request, days)
    day_slots = slots.slots_on(topic=topic, day=day, ignore=ignore) if day else []
    data = request.POST if request.method == "POST" else None
    form = form_class(data, slots=day_slots)
    context: dict[str, object] = {
        "topic": topic,
        "days": sorted(days.items()),
        "day": day,
        "choices": [(slot_value(s.starts_at), s) for s in day_slots],
        "form": form,
        "appointment": appointment,
    }
    return form, context


@require_http_methods(["GET", "HEAD", "POST"])
def book(request: HttpRequest, topic: str) -> HttpResponse:
    bookable = slots.bookable_topic(topic)
    if bookable is None:
        raise Http404
    template = "frontend/appointments/book.html"
    form, context = _slot_page(request, topic=bookable, form_class=BookingForm)
    if request.method != "POST":
        return render(request, template, context)
    if form.is_valid():
        try:
            appointment = booking.book_appointment(
                topic_slug=bookable.slug,
                starts_at=form.cleaned_data["slot"],
                name=form.cleaned_data["name"],
                email=form.cleaned_data["email"],
                phone=form.cleaned_data["phone"],
                concern=form.cleaned_data["concern"],
                language=getattr(request, "LANGUAGE_CODE", "de"),
            )
            return redirect("appointments:confirmed", token=appointment.token)
        except DomainError as error:
            return _refused(request, template, error, topic=bookable, form_class=BookingForm)
    return render(request, template, context)  # the form shows what to correct


def _refused(
    request: HttpRequest, template: str, error: DomainError, **slot_page: Any
) -> HttpResponse:
    """The slot page again, with the day's times as they are now and the reason."""
    form, context = _slot_page(request, **slot_page)
    form.is_valid()
    form.errors.pop("slot", None)
    form.add_error("slot" if error.code == "slot_taken" else None, message_for(error.code))
    return render(request, template, context, status=409)


@require_safe
def confirmed(request: HttpRequest, token: str) -> HttpResponse:
    """After booking, and (``?moved=1``) after rescheduling: the time and the personal link."""
    appointment = _appointment(token)
    context = {
        "appointment": appointment,
        "link": mail.personal_link(appointment),
        "moved": request.GET.get("moved") == "1",
    }
    return render(request, "frontend/appointments/confirmed.html", context)


def _manage(
    request: HttpRequest, appointment: Appointment, error: str = "", status: int = 200
) -> HttpResponse:
    now = timezone.now()
    context = {
        "appointment": appointment,
        "can_join": slots.can_join(appointment, now),
        "join_from": slots.joinable_from(appointment),
        "changeable": slots.is_changeable(appointment, now),
        "missed": slots.is_missed(appointment, now),
        "error": error,
    }
    return render(request, "frontend/appointments/manage.html", context, status=status)


@require_safe
def manage(request: HttpRequest, token: str) -> HttpResponse:
    return _manage(request, _appointment(token))


@require_safe
def calendar(request: HttpRequest, token: str) -> HttpResponse:
    appointment = _appointment(token)
    response = HttpResponse(
        mail.calendar_file(appointment), content_type="text/calendar; charset=utf-8"
    )
    response["Content-Disposition"] = 'attachment; filename="termin.ics"'
    return response


@require_http_methods(["GET", "HEAD", "POST"])
def cancel(request: HttpRequest, token: str) -> HttpResponse:
    """Asks once (GET: the appointment and a button), cancels on the POST."""
    appointment = _appointment(token)
    if request.method != "POST":
        if not slots.is_changeable(appointment):
            return _manage(request, appointment, message_for("not_changeable"), status=409)
        return render(request, "frontend/appointments/cancel.html", {"appointment": appointment})
    try:
        booking.cancel_appointment(token=token)
    except DomainError as error:
        return _manage(request, appointment, message_for(error.code), status=409)
    return redirect("appointments:manage", token=token)


@require_http_methods(["GET", "HEAD", "POST"])
def reschedule(request: HttpRequest, token: str) -> HttpResponse:
    appointment = _appointment(token)
    if not slots.is_changeable(appointment):
        return _manage(request, appointment, message_for("not_changeable"), status=409)
    template = "frontend/appointments/reschedule.html"
    form, context = _slot_page(
        request, topic=appointment.topic, form_class=SlotForm, appointment=appointment
    )
    if request.method != "POST":
        return render(request, template, context)
    if form.is_valid():
        try:
            booking.reschedule_appointment(token=token, starts_at=form.cleaned_data["slot"])
            return redirect(reverse("appointments:confirmed", args=[token]) + "?moved=1")
        except DomainError as error:
            return _refused(
                request,
                template,
                error,
                topic=appointment.topic,
                form_class=SlotForm,
                appointment=appointment,
            )
    return render(request, template, context)  # the form shows what to correct


@require_POST
def join(request: HttpRequest, token: str) -> HttpResponse:
    _appointment(token)  # 404 for an unknown link
    try:
        consultation = booking.join_appointment(token=token)
    except DomainError as error:
        return _manage(request, _appointment(token), message_for(error.code), status=409)
    tokens = request.session.get(SESSION_KEY, [])
    request.session[SESSION_KEY] = [*tokens[-9:], consultation.public_token]
    return redirect("frontend:room", token=consultation.public_token)
