"""Opening hours and closures of topics: is a topic open now, and when does it open next.

Opening hours are wall-clock times in the installation's time zone (``TIME_ZONE``,
Europe/Berlin). Every check converts the instant to local time first and compares wall-clock
times, so a range "8:00-18:00" means 8:00-18:00 on the day clocks change as on every other
day (the day is then 23 or 25 hours long, the opening hours are not shifted).

A topic without any opening hours is always open (the behaviour before opening hours
existed), except on its closure days. Open is not enough to start a chat: a topic is
*reachable* (erreichbar) when it is open and at least one clerk who serves it is there, with
the status available (free or busy in conversations) and a console that answered within
``QUEUE_GRACE_SECONDS`` -- the clerks routing may offer a citizen to. Otherwise a citizen is
offered a written question answered later, or a callback, instead of a queue nobody works
through (docs/queueing.md, "Reachability").
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db.models import Q

from consult.catalogue.holidays import public_holidays
from consult.catalogue.models import Closure, OpeningHours, Topic
from consult.clock import LOCAL, at_wall_clock
from consult.errors import DomainError
from consult.staff.models import StaffProfile

LOOKAHEAD_DAYS = 60  # "next opening" looks this far ahead (covers long holiday closures)


@dataclass(frozen=True)
class Schedule:
    """A topic's weekly ranges and closed days, loaded once and asked many times."""

    ranges: dict[int, list[tuple[time, time]]]  # weekday -> sorted (opens, closes)
    closed: dict[date, str]  # date -> reason

    @property
    def always_open(self) -> bool:
        return not self.ranges

    def is_open(self, at: datetime) -> bool:
        local = at.astimezone(LOCAL)
        if local.date() in self.closed:
            return False
        if self.always_open:
            return True
        now = local.time().replace(tzinfo=None)
        return any(opens <= now < closes for opens, closes in self.ranges.get(local.weekday(), []))

    def closes_at(self, at: datetime) -> datetime | None:
        """End of the range open at ``at`` (None if closed or always open)."""
        if self.always_open or not self.is_open(at):
            return None
        local = at.astimezone(LOCAL)
        now = local.time().replace(tzinfo=None)
        for opens, closes in self.ranges.get(local.weekday(), []):
            if opens <= now < closes:
                return at_wall_clock(local.date(), closes)
        return None  # pragma: no cover - is_open said a range matched

    def next_opening(self, after: datetime) -> datetime | None:
        """The first moment at or after ``after`` at which the topic is open (None: not within
        LOOKAHEAD_DAYS)."""
        if self.is_open(after):
            return after
        local = after.astimezone(LOCAL)
        for offset in range(LOOKAHEAD_DAYS + 1):
            day = local.date() + timedelta(days=offset)
            if day in self.closed:
                continue
            if self.always_open:  # the first day after the closure, from midnight
                return at_wall_clock(day, time(0))
            for opens, _closes in self.ranges.get(day.weekday(), []):
                candidate = at_wall_clock(day, opens)
                if candidate > after:
                    return candidate
        return None

    def closure_reason(self, at: datetime) -> str:
        return self.closed.get(at.astimezone(LOCAL).date(), "")


def closed_days(topic_id: int, *, first: date, last: date) -> set[date]:
    """The days in ``first``..``last`` on which the topic is closed: the public holidays,
    its own closures and those for every topic. One query."""
    closures = set(
        Closure.objects.filter(date__gte=first, date__lte=last)
        .filter(Q(topic_id=topic_id) | Q(topic__isnull=True))
        .values_list("date", flat=True)
    )
    return closures | set(public_holidays(first, last))


def schedules(topic_ids: Iterable[int], *, around: datetime) -> dict[int, Schedule]:
    """Schedules of several topics in two queries (closures from ``around``'s day on)."""
    ids = list(topic_ids)
    ranges: dict[int, dict[int, list[tuple[time, time]]]] = defaultdict(lambda: defaultdict(list))
    for topic_id, weekday, opens, closes in OpeningHours.objects.filter(
        topic_id__in=ids
    ).values_list("topic_id", "weekday", "opens", "closes"):
        ranges[topic_id][weekday].append((opens, closes))
    first_day = around.astimezone(LOCAL).date()
    closures = Closure.objects.filter(
        date__gte=first_day, date__lte=first_day + timedelta(days=LOOKAHEAD_DAYS)
    ).filter(topic_id__in=ids) | Closure.objects.filter(
        date__gte=first_day,
        date__lte=first_day + timedelta(days=LOOKAHEAD_DAYS),
        topic__isnull=True,
    )
    closed: dict[int | None, dict[date, str]] = defaultdict(dict)
    closed[None].update(public_holidays(first_day, first_day + timedelta(days=LOOKAHEAD_DAYS)))
    for topic_id, day, reason in closures.values_list("topic_id", "date", "reason"):
        closed[topic_id][day] = reason
    return {
        tid: Schedule(
            ranges={wd: sorted(r) for wd, r in ranges[tid].items()},
            closed={**closed[None], **closed[tid]},
        )
        for tid in ids
    }


def staffed_topic_ids(topic_ids: Iterable[int], *, now: datetime) -> set[int]:
    """Topics with at least one clerk there: available (free or in conversations) with a
    console seen within ``QUEUE_GRACE_SECONDS`` (away and offline clerks take nobody)."""
    return set(
        StaffProfile.objects.filter(
            status=StaffProfile.Status.AVAILABLE,
            last_seen_at__gte=now - timedelta(seconds=settings.QUEUE_GRACE_SECONDS),
            topics__in=list(topic_ids),
        ).values_list("topics", flat=True)
    )


@dataclass(frozen=True)
class Availability:
    open: bool  # within opening hours (or no opening hours at all)
    staffed: bool  # a clerk of the topic is there (available, console alive)
    has_hours: bool
    next_opening: datetime | None  # when closed: the next opening
    closes_at: datetime | None  # when open: the end of the current range
    closure_reason: str  # when closed for a closure day

    @property
    def can_start(self) -> bool:
        """Reachable (erreichbar): open and a clerk there."""
        return self.open and self.staffed

    @property
    def unstaffed(self) -> bool:
        """Open, but nobody there right now."""
        return self.open and not self.staffed


def availability(topics: Iterable[Topic], *, now: datetime) -> dict[int, Availability]:
    """Per topic id: open, staffed, next opening; three queries for any number of topics."""
    ids = [t.pk for t in topics]
    plans = schedules(ids, around=now)
    staffed = staffed_topic_ids(ids, now=now)
    result = {}
    for tid in ids:
        plan = plans[tid]
        is_open = plan.is_open(now)
        result[tid] = Availability(
            open=is_open,
            staffed=tid in staffed,
            has_hours=not plan.always_open,
            next_opening=None if is_open else plan.next_opening(now),
            closes_at=plan.closes_at(now),
            closure_reason="" if is_open else plan.closure_reason(now),
        )
    return result


def ensure_can_start(*, topic: Topic, now: datetime) -> None:
    """Refuse a new consultation while the topic is not reachable (closed, or nobody there)."""
    state = availability([topic], now=now)[topic.pk]
    if not state.open:
        raise DomainError("topic_closed", "This topic is closed at the moment.")
    if not state.staffed:
        raise DomainError("topic_unstaffed", "Nobody is available for this topic at the moment.")
