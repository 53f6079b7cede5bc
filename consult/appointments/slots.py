"""Reads: the free appointment slots of a topic. No writes here.

A clerk's weekly availability windows are local wall-clock times (``TIME_ZONE``); each window
is cut into slots of the topic's length, counted in real elapsed time from the window's start
(so a DST change inside a window gives the real number of hours, and 09:00 stays 09:00 on
either side of a change). A slot is free while at least one clerk who serves the topic has it
in a window and no appointment that holds their time overlaps it.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from django.conf import settings
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from consult.appointments.models import Appointment, Availability
from consult.catalogue import hours
from consult.catalogue import selectors as catalogue_selectors
from consult.catalogue.models import Topic
from consult.clock import day_bounds
from consult.staff.models import StaffProfile


@dataclass(frozen=True)
class Slot:
    starts_at: datetime  # aware, UTC
    ends_at: datetime
    clerks: tuple[int, ...] = field(default=())  # free StaffProfile ids, fairest first

    @property
    def local_start(self) -> datetime:
        return timezone.localtime(self.starts_at)


def no_show_deadline(now: datetime) -> datetime:
    """Booked appointments that started before this are no-shows: they hold no time."""
    return now - timedelta(minutes=settings.APPOINTMENT_NO_SHOW_MINUTES)


def holding(now: datetime) -> QuerySet[Appointment]:
    """Appointments that hold their clerk's time (a due no-show no longer does, even before
    the sweep has marked it)."""
    return Appointment.objects.filter(state__in=Appointment.HOLDING).exclude(
        state=Appointment.State.BOOKED, starts_at__lte=no_show_deadline(now)
    )


def window_slots(day: date, starts: time, ends: time, minutes: int) -> list[datetime]:
    """Slot starts (UTC) of one local window on one day."""
    zone = timezone.get_default_timezone()
    start = datetime.combine(day, starts, tzinfo=zone).astimezone(UTC)
    end = datetime.combine(day, ends, tzinfo=zone).astimezone(UTC)
    length = timedelta(minutes=minutes)
    result = []
    while start + length <= end:
        result.append(start)
        start += length
    return result


def free_slots(
    *,
    topic: Topic,
    first: date,
    last: date,
    now: datetime | None = None,
    ignore: int | None = None,
) -> list[Slot]:
    """Free slots of ``topic`` on the local days ``first``..``last``, bookable now (after the
    lead time, within the booking horizon), none on a day the topic is closed (a public
    holiday, a closure of its own). ``ignore``: an appointment whose own time counts as free
    (rescheduling it). Four queries, whatever the number of days."""
    now = now or timezone.now()
    earliest = now + timedelta(minutes=settings.APPOINTMENT_LEAD_MINUTES)
    latest = now + timedelta(days=settings.APPOINTMENT_BOOKING_DAYS)
    length = timedelta(minutes=topic.appointment_minutes)
    clerks = StaffProfile.objects.filter(topics=topic).values_list("pk", flat=True)
    windows = defaultdict(list)
    for window in Availability.objects.filter(clerk_id__in=clerks):
        windows[window.weekday].append(window)
    start_bound, end_bound = day_bounds(first, last)
    busy: dict[int, list[tuple[datetime, datetime]]] = defaultdict(list)
    taken = holding(now).filter(
        clerk_id__in=clerks, starts_at__lt=end_bound, ends_at__gt=start_bound
    )
    if ignore is not None:
        taken = taken.exclude(pk=ignore)
    for clerk_id, starts_at, ends_at in taken.values_list("clerk_id", "starts_at", "ends_at"):
        busy[clerk_id].append((starts_at, ends_at))
    per_start: dict[datetime, list[int]] = defaultdict(list)
    closed = hours.closed_days(topic.pk, first=first, last=last)
    day = first
    while day <= last:
        for window in [] if day in closed else windows.get(day.weekday(), []):
            for start in window_slots(day, window.starts, window.ends, topic.appointment_minutes):
                end = start + length
                if start < earliest or start > latest or window.clerk_id in per_start[start]:
                    continue
                if any(s < end and start < e for s, e in busy[window.clerk_id]):
                    continue
                per_start[start].append(window.clerk_id)
        day += timedelta(days=1)
    load = _booked_per_clerk(clerks, start_bound, end_bound, now)
    return [
        Slot(
            starts_at=start,
            ends_at=start + length,
            clerks=tuple(sorted(ids, key=lambda c: (load.get(c, 0), c))),
        )
        for start, ids in sorted(per_start.items())
        if ids
    ]


def _booked_per_clerk(
    clerks: QuerySet[StaffProfile, int], start: datetime, end: datetime, now: datetime
) -> dict[int, int]:
    """How many appointments each clerk holds in the period: bookings go to the least booked."""
    rows = holding(now).filter(clerk_id__in=clerks, starts_at__gte=start, starts_at__lt=end)
    counts: dict[int, int] = defaultdict(int)
    for clerk_id in rows.values_list("clerk_id", flat=True):
        counts[clerk_id] += 1
    return counts


def bookable_days(*, topic: Topic, now: datetime | None = None) -> dict[date, int]:
    """Local days within the booking horizon with their number of free slots."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    last = today + timedelta(days=settings.APPOINTMENT_BOOKING_DAYS)
    days: dict[date, int] = defaultdict(int)
    for slot in free_slots(topic=topic, first=today, last=last, now=now):
        days[slot.local_start.date()] += 1
    return dict(days)


def slots_on(
    *, topic: Topic, day: date, now: datetime | None = None, ignore: int | None = None
) -> list[Slot]:
    return free_slots(topic=topic, first=day, last=day, now=now, ignore=ignore)


def slot_at(
    *, topic: Topic, starts_at: datetime, now: datetime | None = None, ignore: int | None = None
) -> Slot | None:
    """The free slot starting exactly at ``starts_at``, with its free clerks; None if taken
    or not a slot of this topic."""
    day = timezone.localtime(starts_at).date()
    for slot in slots_on(topic=topic, day=day, now=now, ignore=ignore):
        if slot.starts_at == starts_at:
            return slot
    return None


def bookable_topic(slug: str) -> Topic | None:
    """Every active topic takes bookings (its slots come from its clerks' availability)."""
    return catalogue_selectors.active_topic(slug)


def appointment_by_token(token: str) -> Appointment | None:
    if not token or len(token) > 64:
        return None
    return (
        Appointment.objects.select_related("topic", "clerk", "consultation")
        .filter(token=token)
        .first()
    )


def joinable_from(appointment: Appointment) -> datetime:
    return appointment.starts_at - timedelta(minutes=settings.APPOINTMENT_JOIN_EARLY_MINUTES)


def joinable_until(appointment: Appointment) -> datetime:
    return appointment.starts_at + timedelta(minutes=settings.APPOINTMENT_NO_SHOW_MINUTES)


def is_changeable(appointment: Appointment, now: datetime | None = None) -> bool:
    """May the citizen reschedule or cancel it? Only a booked appointment that has not started
    (the one rule: the writers refuse ``not_changeable`` otherwise, the pages offer neither)."""
    now = now or timezone.now()
    return appointment.state == Appointment.State.BOOKED and now < appointment.starts_at


def is_missed(appointment: Appointment, now: datetime | None = None) -> bool:
    """Booked and its join period is over: a no-show, even before the sweep has marked it."""
    now = now or timezone.now()
    return appointment.state == Appointment.State.NO_SHOW or (
        appointment.state == Appointment.State.BOOKED and now >= joinable_until(appointment)
    )


def can_join(appointment: Appointment, now: datetime | None = None) -> bool:
    now = now or timezone.now()
    if appointment.state == Appointment.State.JOINED:
        return appointment.consultation_id is not None
    return appointment.state == Appointment.State.BOOKED and joinable_from(
        appointment
    ) <= now < joinable_until(appointment)


def due_reminders(now: datetime) -> QuerySet[Appointment]:
    """Booked, not reminded, starting within the reminder period, and booked before that
    period began (a booking made the day before needs no reminder beside its confirmation)."""
    window = timedelta(hours=settings.APPOINTMENT_REMINDER_HOURS)
    return Appointment.objects.filter(
        Q(state=Appointment.State.BOOKED, reminded_at__isnull=True),
        starts_at__gt=now,
        starts_at__lte=now + window,
        booked_at__lt=F("starts_at") - window,
    )
