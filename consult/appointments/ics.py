"""iCalendar (RFC 5545) building blocks shared by the citizen's ``termin.ics``
(consult/appointments/mail.py) and the clerk's subscription feed (consult/appointments/feed.py),
with the ``icalendar`` library. Times are UTC; the UID is stable per appointment (a reschedule
keeps it and raises SEQUENCE)."""

from datetime import UTC, datetime

from django.conf import settings
from icalendar import Calendar, Event

from consult.appointments.models import Appointment


def uid(appointment: Appointment) -> str:
    host = settings.SITE_URL.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0]
    return f"appointment-{appointment.pk}-{appointment.created_at:%Y%m%d%H%M%S}@{host}"


def new_calendar(*, method: str | None = None) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", "-//Sprechstunde//Termine//DE")
    calendar.add("version", "2.0")
    if method:
        calendar.add("method", method)
    return calendar


def appointment_event(
    appointment: Appointment, *, summary: str, description: str, url: str
) -> Event:
    """The appointment as a VEVENT; a cancelled one has STATUS:CANCELLED."""
    cancelled = appointment.state == Appointment.State.CANCELLED
    event = Event()
    event.add("uid", uid(appointment))
    event.add("dtstamp", datetime.now(UTC))
    event.add("dtstart", appointment.starts_at.astimezone(UTC))
    event.add("dtend", appointment.ends_at.astimezone(UTC))
    event.add("sequence", appointment.sequence)
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    event.add("summary", summary)
    event.add("url", url)
    event.add("description", description)
    return event
