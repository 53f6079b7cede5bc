"""E-mails about appointments (Django's e-mail framework) and their calendar files.

Sent after the booking's transaction committed; a failure is logged (by type only) and never
undoes the booking: the confirmation page shows the personal link as well. Each e-mail is in
the language the citizen booked in.
"""

from django.conf import settings
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from consult import mail
from consult.appointments import ics
from consult.appointments.models import Appointment


def personal_link(appointment: Appointment) -> str:
    return settings.SITE_URL + reverse("appointments:manage", kwargs={"token": appointment.token})


def when(appointment: Appointment) -> str:
    """ "Dienstag, 3. März 2026, 10:15 Uhr" in the active language, local time."""
    local = timezone.localtime(appointment.starts_at)
    return formats.date_format(local, _("l, j F Y, H:i"))


def calendar_file(appointment: Appointment) -> bytes:
    """An iCalendar (RFC 5545) event; a cancelled appointment gives METHOD:CANCEL, so a
    calendar that imported the booking removes it."""
    cancelled = appointment.state == Appointment.State.CANCELLED
    calendar = ics.new_calendar(method="CANCEL" if cancelled else "PUBLISH")
    link = personal_link(appointment)
    event = ics.appointment_event(
        appointment,
        summary=_("Consultation: %(topic)s") % {"topic": appointment.topic.name},
        description=_("Join, reschedule or cancel through your personal link: %(link)s")
        % {"link": link},
        url=link,
    )
    calendar.add_component(event)
    return bytes(calendar.to_ical())


def _send(appointment_id: int, subject: str, lines: list[str]) -> None:
    appointment = Appointment.objects.select_related("topic").filter(pk=appointment_id).first()
    if appointment is None:
        return
    with translation.override(appointment.language):
        context = {
            "name": appointment.name,
            "topic": appointment.topic.name,
            "when": when(appointment),
            "link": personal_link(appointment),
            "minutes": appointment.topic.appointment_minutes,
        }
        message = mail.compose(
            subject=_(subject) % context,
            paragraphs=[_(line) % context for line in lines],
            to=appointment.email,
        )
        message.attach("termin.ics", calendar_file(appointment), "text/calendar")
    mail.send_quietly(message, what="appointment")


GREETING = gettext_noop("Hello %(name)s,")
LINK = gettext_noop(
    "Your personal link (join at the time, reschedule or cancel; please do not pass it on):\n"
    "%(link)s"
)
SIGNATURE = gettext_noop("Your citizen service")


def send_confirmation(appointment_id: int, *, changed: bool = False) -> None:
    _send(
        appointment_id,
        gettext_noop("Appointment moved: %(topic)s, %(when)s")
        if changed
        else gettext_noop("Appointment confirmed: %(topic)s, %(when)s"),
        [
            GREETING,
            gettext_noop("your appointment on “%(topic)s” is on %(when)s (%(minutes)s minutes).")
            if changed
            else gettext_noop(
                "thank you for your booking. Your appointment on “%(topic)s” is on "
                "%(when)s (%(minutes)s minutes)."
            ),
            gettext_noop(
                "At that time open your personal link and choose “Join now”: you will be "
                "connected ahead of the queue. The calendar file is attached."
            ),
            LINK,
            SIGNATURE,
        ],
    )


def send_cancellation(appointment_id: int) -> None:
    _send(
        appointment_id,
        gettext_noop("Appointment cancelled: %(topic)s, %(when)s"),
        [
            GREETING,
            gettext_noop(
                "your appointment on “%(topic)s” on %(when)s is cancelled. The attached "
                "calendar file removes it from your calendar."
            ),
            SIGNATURE,
        ],
    )


def send_reminder(appointment_id: int) -> None:
    _send(
        appointment_id,
        gettext_noop("Reminder: %(topic)s, %(when)s"),
        [
            GREETING,
            gettext_noop("a reminder of your appointment on “%(topic)s” on %(when)s."),
            LINK,
            SIGNATURE,
        ],
    )
