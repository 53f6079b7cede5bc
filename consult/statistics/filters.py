"""What is counted: the period and its filters, and the additive parts every figure is
derived from (the same aggregates the roll-up stores per day)."""

import math
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.db.models import Count, Max, Q, QuerySet, Sum

from consult.catalogue.models import Topic
from consult.clock import day_bounds
from consult.consultations.models import LIVE_CHANNELS, Consultation

ABANDONED = Consultation.State.ABANDONED
ENDED = Consultation.State.ENDED
ANSWERED = Q(first_accepted_at__isnull=False)
# Lower edges (seconds) of the roll-up's wait buckets: 1 s wide up to 10 s, then 20 % wider
# each. A percentile's rank falls in one bucket, and only that bucket's waits are read.
WAIT_EDGES: tuple[float, ...] = (
    *range(10),
    *(round(10 * 1.2**n) for n in range(math.ceil(math.log(8640) / math.log(1.2)))),
)
# The parts every figure is derived from, and how two of them combine.
MAXIMA = {"max_wait"}
PARTS = (
    "total",
    "short_abandoned",
    "answered",
    "abandoned",
    "ended",
    "still_waiting",
    "within",
    "wait_sum",
    "max_wait",
    "handled",
    "handle_sum",
    "ratings",
    "rating_sum",
)


@dataclass(frozen=True)
class Filters:
    start: date
    end: date  # inclusive
    topic_id: int | None = None
    channel: str | None = None
    booking: str | None = None  # None: all; "walk_in" or "booked" (BOOKINGS)
    service_seconds: int = 30
    short_abandon_seconds: int = 5

    def bounds(self) -> tuple[datetime, datetime]:
        """The period as aware datetimes: Berlin midnight to Berlin midnight."""
        return day_bounds(self.start, self.end)


BOOKINGS = {"walk_in": False, "booked": True}


def consultations(filters: Filters) -> QuerySet[Consultation]:
    start, end = filters.bounds()
    rows = Consultation.objects.filter(created_at__gte=start, created_at__lt=end)
    return _filtered(rows, filters)


def _filtered(rows: QuerySet[Any], filters: Filters) -> QuerySet[Any]:
    """Topic, channel and booking filters; the roll-up tables name these fields as
    consultations do. Written questions (channel ``async``) are not live consultations: the
    live figures leave them out (their own: ``statistics.questions``)."""
    rows = rows.filter(channel__in=LIVE_CHANNELS)
    if filters.topic_id:
        rows = rows.filter(topic_id=filters.topic_id)
    if filters.channel:
        rows = rows.filter(channel=filters.channel)
    if filters.booking:
        rows = rows.filter(booked=BOOKINGS[filters.booking])
    return rows


def parts(*, service_seconds: int, short_abandon_seconds: int) -> dict[str, Any]:
    """The additive aggregates of consultations (also what the roll-up stores per day)."""
    short = Q(state=ABANDONED, duration_seconds__lt=short_abandon_seconds)
    handled = ANSWERED & Q(state=ENDED)
    return {
        "total": Count("pk"),
        "short_abandoned": Count("pk", filter=short),
        "answered": Count("pk", filter=ANSWERED),
        "abandoned": Count("pk", filter=Q(state=ABANDONED) & ~short),
        "ended": Count("pk", filter=Q(state=ENDED)),
        "still_waiting": Count("pk", filter=Q(state=Consultation.State.WAITING)),
        "within": Count("pk", filter=ANSWERED & Q(wait_seconds__lte=service_seconds)),
        "wait_sum": Sum("wait_seconds", filter=ANSWERED),
        "max_wait": Max("wait_seconds", filter=ANSWERED),
        "handled": Count("handle_seconds", filter=handled),
        "handle_sum": Sum("handle_seconds", filter=handled),
        "ratings": Count("rating"),
        "rating_sum": Sum("rating"),
    }


def topic_names() -> dict[int, str]:
    return dict(Topic.objects.values_list("pk", "name"))
