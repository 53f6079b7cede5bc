"""Shared set-up for the appointment tests: clerks with availability, local times."""

from datetime import date, datetime, time, timedelta

from django.utils import timezone

from consult.appointments import booking
from consult.appointments.models import Appointment, Availability


def local(day: date, hh_mm: str) -> datetime:
    """An aware datetime at a local wall-clock time (Europe/Berlin)."""
    return datetime.combine(day, time.fromisoformat(hh_mm), tzinfo=timezone.get_default_timezone())


def next_weekday(weekday: int, *, after: date | None = None) -> date:
    """The first such weekday at least two days after ``after`` (default today)."""
    day = (after or timezone.localdate()) + timedelta(days=2)
    while day.weekday() != weekday:
        day += timedelta(days=1)
    return day


def available(user, weekday: int, starts: str, ends: str) -> Availability:
    return Availability.objects.create(
        clerk=user.staff_profile,
        weekday=weekday,
        starts=time.fromisoformat(starts),
        ends=time.fromisoformat(ends),
    )


def book(topic, when, **kwargs) -> Appointment:
    """Book ``when`` for Erika Mustermann (any field can be given instead)."""
    contact = {"name": "Erika Mustermann", "email": "erika@example.org", **kwargs}
    return booking.book_appointment(topic_slug=topic.slug, starts_at=when, **contact)
