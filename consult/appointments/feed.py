"""A clerk's personal, read-only calendar subscription (``.ics``) of their appointments.

The feed's address carries a secret (256 random bits); only its SHA-256 is stored on the
clerk's profile, so the address is shown once when it is made. Making a new one revokes the
old; revoking leaves none (the old address answers 404). The events leave the server for the
clerk's calendar program and its provider, so they name the topic and the time only: no
citizen's name, contact or concern (docs/appointments.md, "The clerk's calendar").
"""

import hashlib
import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from consult.appointments import ics
from consult.appointments.models import Appointment
from consult.errors import DomainError
from consult.staff.models import StaffProfile

#: How far back the feed reaches (ahead: every appointment booked).
FEED_PAST_DAYS = 30


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _profile(clerk: AbstractBaseUser | AnonymousUser) -> StaffProfile:
    profile = StaffProfile.objects.filter(user_id=clerk.pk or 0).first()
    if profile is None:
        raise DomainError("not_clerk", "Only clerks can do this.")
    return profile


def regenerate_calendar_feed(*, clerk: AbstractBaseUser | AnonymousUser) -> str:
    """A new secret for the clerk's feed (the previous address stops working). Returns the
    secret; only its hash is kept."""
    profile = _profile(clerk)
    secret = secrets.token_urlsafe(32)
    StaffProfile.objects.filter(pk=profile.pk).update(calendar_feed_hash=_digest(secret))
    return secret


def revoke_calendar_feed(*, clerk: AbstractBaseUser | AnonymousUser) -> None:
    profile = _profile(clerk)
    StaffProfile.objects.filter(pk=profile.pk).update(calendar_feed_hash=None)


def clerk_for_feed(*, secret: str) -> StaffProfile | None:
    """The active clerk whose feed this secret opens, else None."""
    if not secret or len(secret) > 128:
        return None
    return StaffProfile.objects.filter(
        calendar_feed_hash=_digest(secret), user__is_active=True
    ).first()


def feed_appointments(*, profile: StaffProfile, now: datetime) -> list[Appointment]:
    """The clerk's appointments from ``FEED_PAST_DAYS`` ago on, in every state: cancelled ones
    too, so a subscribed calendar marks them cancelled."""
    since = now - timedelta(days=FEED_PAST_DAYS)
    return list(
        Appointment.objects.filter(clerk=profile, starts_at__gte=since)
        .select_related("topic")
        .order_by("starts_at", "pk")
    )


def minutes(appointment: Appointment) -> int:
    return int((appointment.ends_at - appointment.starts_at).total_seconds() // 60)


def feed_calendar(*, profile: StaffProfile, now: datetime | None = None) -> bytes:
    """The clerk's appointments as an iCalendar subscription: time, topic, a neutral summary
    and a link to the console's calendar, a stable UID and SEQUENCE per appointment;
    cancelled ones with STATUS:CANCELLED."""
    now = now or timezone.now()
    with translation.override(settings.LANGUAGE_CODE):
        calendar = ics.new_calendar(method="PUBLISH")
        calendar.add("x-wr-calname", _("Sprechstunde – my appointments"))
        calendar.add("refresh-interval", timedelta(minutes=15), parameters={"VALUE": "DURATION"})
        calendar.add("x-published-ttl", "PT15M")
        link = settings.SITE_URL + reverse("frontend:calendar")
        for appointment in feed_appointments(profile=profile, now=now):
            calendar.add_component(
                ics.appointment_event(
                    appointment,
                    summary=_("Appointment: %(topic)s") % {"topic": appointment.topic.name},
                    description=_(
                        "Booked consultation (%(minutes)s minutes). The details are in the "
                        "calendar of your console: %(link)s"
                    )
                    % {"minutes": minutes(appointment), "link": link},
                    url=link,
                )
            )
    return bytes(calendar.to_ical())
