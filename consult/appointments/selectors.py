"""Reads for the clerk's side of appointments: the calendar of the console."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.utils import timezone

from consult.appointments import slots
from consult.appointments.models import Appointment
from consult.clock import day_bounds, local_day, local_time
from consult.consultations.models import Consultation
from consult.staff.models import StaffProfile


@dataclass(frozen=True)
class CalendarEntry:
    """One appointment as the clerk's calendar shows it. ``stage``: ``upcoming`` (booked, not
    yet joined), ``waiting`` (the citizen is in the queue: begin the conversation),
    ``talking`` (a conversation of this clerk runs), ``done``, ``missed``."""

    appointment: Appointment
    starts: datetime  # local
    ends: datetime
    stage: str
    concern: str

    @property
    def can_begin(self) -> bool:
        return self.stage == "waiting"


@dataclass(frozen=True)
class CalendarDay:
    day: date
    entries: list[CalendarEntry]


def _stage(appointment: Appointment, user_id: int, now: datetime) -> str:
    consultation = appointment.consultation
    if appointment.state == Appointment.State.JOINED and consultation is not None:
        if consultation.state == Consultation.State.WAITING:
            return "waiting"
        if consultation.state == Consultation.State.ACTIVE and consultation.clerk_id == user_id:
            return "talking"
        return "done"
    if appointment.state == Appointment.State.NO_SHOW or slots.is_missed(appointment, now):
        return "missed"
    return "upcoming"


def week_of(day: date) -> tuple[date, date]:
    """Monday and Sunday of the week a day is in."""
    monday = day - timedelta(days=day.weekday())
    return monday, monday + timedelta(days=6)


def clerk_calendar(
    *, profile: StaffProfile, first: date, last: date, now: datetime | None = None
) -> list[CalendarDay]:
    """The clerk's appointments that hold (or held) their time, day by day from ``first`` to
    ``last`` (local days), each day listed even when empty. Cancelled ones are left out.
    One query."""
    now = now or timezone.now()
    start, end = day_bounds(first, last)
    rows = (
        Appointment.objects.filter(clerk=profile, starts_at__gte=start, starts_at__lt=end)
        .exclude(state=Appointment.State.CANCELLED)
        .select_related("topic", "consultation")
        .order_by("starts_at", "pk")
    )
    by_day: dict[date, list[CalendarEntry]] = {}
    for appointment in rows:
        consultation = appointment.consultation
        by_day.setdefault(local_day(appointment.starts_at), []).append(
            CalendarEntry(
                appointment=appointment,
                starts=local_time(appointment.starts_at),
                ends=local_time(appointment.ends_at),
                stage=_stage(appointment, profile.user_id, now),
                concern=appointment.concern or (consultation.concern if consultation else ""),
            )
        )
    days = []
    day = first
    while day <= last:
        days.append(CalendarDay(day=day, entries=by_day.get(day, [])))
        day += timedelta(days=1)
    return days


def has_calendar_feed(profile: StaffProfile) -> bool:
    return bool(profile.calendar_feed_hash)
