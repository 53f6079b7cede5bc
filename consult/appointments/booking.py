"""Writes for appointments: book, reschedule, cancel, join, no-shows and reminders.

The booking race (two citizens, one last slot) is decided in the database: a booking locks
the profiles of the topic's clerks (in id order, like every write that locks profiles),
computes the slot's free clerks under that lock and inserts; on PostgreSQL an exclusion
constraint (no two holding appointments of one clerk overlap) backs it up. The loser gets
``slot_taken``. E-mails go out after the commit. See docs/appointments.md.
"""

import logging
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from consult import validators
from consult.appointments import mail, slots
from consult.appointments.models import Appointment
from consult.catalogue.models import Topic
from consult.consultations.models import Consultation
from consult.errors import DomainError
from consult.queue import lifecycle, routing, transitions

logger = logging.getLogger(__name__)

MAX_NAME = 120


def _now(now: datetime | None) -> datetime:
    return now or timezone.now()


def _clean_contact(*, name: str, email: str, phone: str) -> tuple[str, str, str]:
    name, email, phone = name.strip(), email.strip(), phone.strip()
    if not name or len(name) > MAX_NAME:
        raise DomainError("invalid_name", "Please enter your name (at most 120 characters).")
    validators.ensure_email(email)
    if phone:
        validators.ensure_phone(phone)
    return name, email, phone


def _free_clerk(topic: Topic, starts_at: datetime, now: datetime, ignore: int | None) -> int:
    """Lock the topic's clerks and return the least booked one free at ``starts_at``. The
    caller holds a transaction."""
    user_ids = list(topic.staff.values_list("user_id", flat=True))
    transitions.lock_profiles(*user_ids)
    # A due no-show still counts for the exclusion constraint until it is marked.
    release_no_shows(now=now, clerk_user_ids=user_ids)
    slot = slots.slot_at(topic=topic, starts_at=starts_at, now=now, ignore=ignore)
    if slot is None or not slot.clerks:
        raise DomainError("slot_taken", "This time is no longer free. Please choose another.")
    return slot.clerks[0]


def _save_or_taken(appointment: Appointment, **kwargs: object) -> None:
    """Save inside a savepoint: the exclusion constraint's refusal becomes ``slot_taken``."""
    try:
        with transaction.atomic():
            appointment.save(**kwargs)  # type: ignore[arg-type]
    except IntegrityError:
        raise DomainError(
            "slot_taken", "This time is no longer free. Please choose another."
        ) from None


def book_appointment(
    *,
    topic_slug: str,
    starts_at: datetime,
    name: str,
    email: str,
    phone: str = "",
    concern: str = "",
    language: str = "de",
    now: datetime | None = None,
) -> Appointment:
    """Book a free slot of an active topic for a citizen; sends the confirmation e-mail.
    ``concern`` (optional, as for a consultation's start) is shown to the clerk."""
    now = _now(now)
    name, email, phone = _clean_contact(name=name, email=email, phone=phone)
    concern = lifecycle.clean_concern(concern)
    topic = slots.bookable_topic(topic_slug)
    if topic is None:
        raise DomainError("unknown_topic", "This topic does not exist or is closed.")
    with transaction.atomic():
        clerk_id = _free_clerk(topic, starts_at, now, ignore=None)
        appointment = Appointment(
            topic=topic,
            clerk_id=clerk_id,
            starts_at=starts_at,
            ends_at=starts_at + timedelta(minutes=topic.appointment_minutes),
            name=name,
            email=email,
            phone=phone,
            concern=concern,
            language=language,
            created_at=now,
            booked_at=now,
        )
        _save_or_taken(appointment)
        transaction.on_commit(lambda: mail.send_confirmation(appointment.pk), robust=True)
    return appointment


def _changeable(token: str, now: datetime) -> Appointment:
    """The appointment, locked, if the citizen may still change it (``slots.is_changeable``)."""
    appointment = Appointment.objects.select_for_update().filter(token=token).first()
    if appointment is None:
        raise DomainError("not_found", "No such appointment.")
    if not slots.is_changeable(appointment, now):
        raise DomainError("not_changeable", "This appointment can no longer be changed.")
    return appointment


def reschedule_appointment(
    *, token: str, starts_at: datetime, now: datetime | None = None
) -> Appointment:
    """Move a booked appointment to another free slot (its own time counts as free)."""
    now = _now(now)
    with transaction.atomic():
        appointment = Appointment.objects.filter(token=token).select_related("topic").first()
        if appointment is None:
            raise DomainError("not_found", "No such appointment.")
        if not slots.is_changeable(appointment, now):  # asked again under the lock below
            raise DomainError("not_changeable", "This appointment can no longer be changed.")
        topic = appointment.topic
        clerk_id = _free_clerk(topic, starts_at, now, ignore=appointment.pk)
        appointment = _changeable(token, now)
        appointment.clerk_id = clerk_id
        appointment.starts_at = starts_at
        appointment.ends_at = starts_at + timedelta(minutes=topic.appointment_minutes)
        appointment.booked_at = now
        appointment.reminded_at = None
        appointment.sequence += 1
        _save_or_taken(
            appointment,
            update_fields=["clerk", "starts_at", "ends_at", "booked_at", "reminded_at", "sequence"],
        )
        transaction.on_commit(
            lambda: mail.send_confirmation(appointment.pk, changed=True), robust=True
        )
    return appointment


def cancel_appointment(*, token: str, now: datetime | None = None) -> Appointment:
    """The citizen cancels before the start; the slot is free again at once."""
    now = _now(now)
    with transaction.atomic():
        appointment = _changeable(token, now)
        appointment.state = Appointment.State.CANCELLED
        appointment.cancelled_at = now
        appointment.sequence += 1
        appointment.save(update_fields=["state", "cancelled_at", "sequence"])
        transaction.on_commit(lambda: mail.send_cancellation(appointment.pk), robust=True)
    return appointment


def join_appointment(*, token: str, now: datetime | None = None) -> Consultation:
    """At the appointment time the citizen enters the topic's waiting room with the
    appointment priority (ahead of walk-ins). Joining twice returns the same consultation."""
    now = _now(now)
    with transaction.atomic():
        appointment = (
            Appointment.objects.select_for_update(of=("self",))
            .select_related("consultation", "clerk")
            .filter(token=token)
            .first()
        )
        if appointment is None:
            raise DomainError("not_found", "No such appointment.")
        if appointment.state == Appointment.State.JOINED and appointment.consultation:
            return appointment.consultation
        if appointment.state != Appointment.State.BOOKED:
            raise DomainError("not_joinable", "This appointment is no longer open.")
        if now < slots.joinable_from(appointment):
            raise DomainError("too_early", "You can join shortly before your appointment.")
        if now >= slots.joinable_until(appointment):
            _mark_no_show(appointment)
            raise DomainError("not_joinable", "This appointment is no longer open.")
        consultation = transitions.open_consultation(
            topic_id=appointment.topic_id,
            channel=Consultation.Channel.CHAT,
            now=now,
            priority=Consultation.Priority.APPOINTMENT,
            booked=True,
            preferred_clerk_id=appointment.clerk.user_id,
            concern=appointment.concern,
        )
        appointment.state = Appointment.State.JOINED
        appointment.consultation = consultation
        appointment.save(update_fields=["state", "consultation"])
    routing.dispatch(now=now)
    consultation.refresh_from_db()
    return consultation


def _mark_no_show(appointment: Appointment) -> None:
    appointment.state = Appointment.State.NO_SHOW
    appointment.save(update_fields=["state"])


def release_no_shows(
    *, now: datetime | None = None, clerk_user_ids: list[int] | None = None
) -> int:
    """Booked appointments whose join period has passed become no-shows (their time is free
    again). Enforced by whoever looks next: every booking (for the clerks it locked), joins,
    and ``send_reminders`` (all)."""
    due = Appointment.objects.filter(
        state=Appointment.State.BOOKED, starts_at__lte=slots.no_show_deadline(_now(now))
    )
    if clerk_user_ids is not None:
        due = due.filter(clerk__user_id__in=clerk_user_ids)
    released = due.update(state=Appointment.State.NO_SHOW)
    if released:
        logger.info("appointments: %d no-shows released", released)
    return released


def send_reminders(*, now: datetime | None = None) -> int:
    """Send each due reminder once: the row is claimed (``reminded_at``) by a compare-and-set
    before the mail goes out, so overlapping runs never send twice. Returns how many."""
    now = _now(now)
    sent = 0
    for appointment_id in list(slots.due_reminders(now).values_list("pk", flat=True)[:1000]):
        claimed = Appointment.objects.filter(
            pk=appointment_id, reminded_at__isnull=True, state=Appointment.State.BOOKED
        ).update(reminded_at=now)
        if claimed:
            mail.send_reminder(appointment_id)
            sent += 1
    return sent
