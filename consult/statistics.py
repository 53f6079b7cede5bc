"""Contact-centre figures, computed in the database (docs/metrics.md).

Days are Europe/Berlin calendar days (DST-safe). A consultation belongs to the day it was
requested. Percentiles use PostgreSQL's ``percentile_cont``; on SQLite (the embedded
default) they are computed from the sorted waits of each group, with the same interpolation.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection
from django.db.models import (
    Avg,
    Count,
    Max,
    Q,
    QuerySet,
    Sum,
)
from django.db.models.functions import (
    Coalesce,
    ExtractHour,
    ExtractIsoWeekDay,
    Greatest,
    Least,
    TruncDate,
)
from django.utils import timezone

from .dbfunctions import PercentileCont, Seconds
from .models import Consultation, StaffProfile, StatusPeriod

BERLIN = ZoneInfo("Europe/Berlin")
ABANDONED = Consultation.State.ABANDONED
ENDED = Consultation.State.ENDED


@dataclass(frozen=True)
class Filters:
    start: date
    end: date  # inclusive
    topic_id: int | None = None
    channel: str | None = None
    service_seconds: int = 30
    short_abandon_seconds: int = 5

    def bounds(self) -> tuple[datetime, datetime]:
        """The period as aware datetimes: Berlin midnight to Berlin midnight."""
        return (
            datetime.combine(self.start, time.min, tzinfo=BERLIN),
            datetime.combine(self.end + timedelta(days=1), time.min, tzinfo=BERLIN),
        )


def consultations(filters: Filters) -> QuerySet[Consultation]:
    start, end = filters.bounds()
    rows = Consultation.objects.filter(created_at__gte=start, created_at__lt=end)
    if filters.topic_id:
        rows = rows.filter(topic_id=filters.topic_id)
    if filters.channel:
        rows = rows.filter(channel=filters.channel)
    return rows


def _aggregates(filters: Filters, *, percentiles: bool = True) -> dict[str, Any]:
    """The aggregates of one group. Without ``percentiles`` PostgreSQL may use a parallel
    plan (ordered-set aggregates prevent it), which matters for long periods."""
    short = Q(state=ABANDONED, duration_seconds__lt=filters.short_abandon_seconds)
    answered = Q(first_accepted_at__isnull=False)
    aggregates: dict[str, Any] = {
        "total": Count("pk"),
        "short_abandoned": Count("pk", filter=short),
        "answered": Count("pk", filter=answered),
        "abandoned": Count("pk", filter=Q(state=ABANDONED) & ~short),
        "ended": Count("pk", filter=Q(state=ENDED)),
        "still_waiting": Count("pk", filter=Q(state=Consultation.State.WAITING)),
        "asa": Avg("wait_seconds", filter=answered),
        "max_wait": Max("wait_seconds", filter=answered),
        "within": Count("pk", filter=answered & Q(wait_seconds__lte=filters.service_seconds)),
        "aht": Avg("handle_seconds", filter=answered & Q(state=ENDED)),
        "satisfaction": Avg("rating"),
        "ratings": Count("rating"),
    }
    if percentiles and connection.vendor == "postgresql":
        aggregates["median_wait"] = PercentileCont("wait_seconds", 0.5, filter=answered)
        aggregates["p90_wait"] = PercentileCont("wait_seconds", 0.9, filter=answered)
    return aggregates


def _percentile(sorted_values: list[float], fraction: float) -> float | None:
    """Linear interpolation between closest ranks, as PostgreSQL's percentile_cont."""
    if not sorted_values:
        return None
    position = (len(sorted_values) - 1) * fraction
    lower = int(position)
    upper = min(lower + 1, len(sorted_values) - 1)
    return sorted_values[lower] + (sorted_values[upper] - sorted_values[lower]) * (position - lower)


def _finish(row: dict[str, Any]) -> dict[str, Any]:
    """Derived figures (docs/metrics.md): requested excludes short abandons; the rates count
    only consultations that left the queue (answered or abandoned), so one still waiting
    today does not count as missed yet."""
    requested = row["total"] - row["short_abandoned"]
    decided = requested - row["still_waiting"]
    row["requested"] = requested
    row["service_level"] = row["within"] / decided if decided else None
    row["abandonment_rate"] = row["abandoned"] / decided if decided else None
    return row


def _with_percentiles(
    rows: list[dict[str, Any]], base: QuerySet[Consultation], key: str | None
) -> None:
    """SQLite fallback: median and 90th percentile per group from the sorted waits."""
    if connection.vendor == "postgresql":
        return
    waits: dict[Any, list[float]] = {}
    values = base.filter(first_accepted_at__isnull=False)
    fields = ["wait_seconds", key] if key else ["wait_seconds"]
    for item in values.values(*fields).order_by("wait_seconds"):
        waits.setdefault(item[key] if key else None, []).append(item["wait_seconds"])
    for row in rows:
        group = sorted(waits.get(row[key] if key else None, []))
        row["median_wait"] = _percentile(group, 0.5)
        row["p90_wait"] = _percentile(group, 0.9)


def summary(filters: Filters) -> dict[str, Any]:
    base = consultations(filters)
    row = base.aggregate(**_aggregates(filters))
    _with_percentiles([row], base, None)
    return _finish(row)


def grouped(
    filters: Filters,
    key: str,
    rows: QuerySet[Consultation] | None = None,
    *,
    percentiles: bool = True,
) -> list[dict[str, Any]]:
    """The figures per value of ``key`` (an annotation or field of the consultations);
    median and 90th percentile only where ``percentiles`` (they are the costly part)."""
    base = rows if rows is not None else consultations(filters)
    aggregates = _aggregates(filters, percentiles=percentiles)
    result = list(base.values(key).annotate(**aggregates).order_by(key))
    if percentiles:
        _with_percentiles(result, base, key)
    else:
        for row in result:
            row["median_wait"] = row["p90_wait"] = None
    return [_finish(row) for row in result]


def by_topic(filters: Filters) -> list[dict[str, Any]]:
    return grouped(filters, "topic__name")


def by_channel(filters: Filters) -> list[dict[str, Any]]:
    return grouped(filters, "channel")


def daily(filters: Filters) -> list[dict[str, Any]]:
    """One row per Berlin day of the period, zero rows included (for a continuous trend)."""
    annotated = consultations(filters).annotate(day=TruncDate("created_at", tzinfo=BERLIN))
    # The trend shows counts, ASA and service level: no percentiles per day.
    found = {row["day"]: row for row in grouped(filters, "day", annotated, percentiles=False)}
    days = []
    day = filters.start
    while day <= filters.end:
        days.append(found.get(day) or _finish(_empty(day=day)))
        day += timedelta(days=1)
    return days


def _empty(**key: Any) -> dict[str, Any]:
    return {
        **key,
        "total": 0,
        "short_abandoned": 0,
        "answered": 0,
        "abandoned": 0,
        "still_waiting": 0,
        "ended": 0,
        "asa": None,
        "max_wait": None,
        "within": 0,
        "aht": None,
        "satisfaction": None,
        "ratings": 0,
        "median_wait": None,
        "p90_wait": None,
    }


def heatmap(filters: Filters) -> dict[tuple[int, int], dict[str, Any]]:
    """Average wait and requests per (ISO weekday 1-7, hour 0-23) in Berlin time."""
    rows = (
        consultations(filters)
        .annotate(
            weekday=ExtractIsoWeekDay("created_at", tzinfo=BERLIN),
            hour=ExtractHour("created_at", tzinfo=BERLIN),
        )
        .values("weekday", "hour")
        .annotate(
            requests=Count("pk"),
            asa=Avg("wait_seconds", filter=Q(first_accepted_at__isnull=False)),
        )
    )
    return {(row["weekday"], row["hour"]): row for row in rows}


# --- Clerks ---------------------------------------------------------------------------------


def by_clerk(filters: Filters) -> list[dict[str, Any]]:
    """Per clerk: consultations handled, handle time, satisfaction and occupancy.

    Occupancy = time with at least one consultation / (that time + available idle time),
    where available idle time = time in status "available" without a consultation.
    """
    start, end = filters.bounds()
    rows = grouped(
        filters,
        "clerk_id",
        consultations(filters).filter(clerk__isnull=False),
        percentiles=False,
    )
    busy = _busy_seconds(start, end, filters)
    available = _available_seconds(start, end)
    names = dict(StaffProfile.objects.values_list("user_id", "display_name"))
    for row in rows:
        clerk_busy = busy.get(row["clerk_id"], 0.0)
        idle = max(0.0, available.get(row["clerk_id"], 0.0) - clerk_busy)
        row["clerk"] = names.get(row["clerk_id"], str(row["clerk_id"]))
        row["busy_seconds"] = clerk_busy
        row["occupancy"] = clerk_busy / (clerk_busy + idle) if clerk_busy + idle else None
    return rows


def _available_seconds(start: datetime, end: datetime) -> dict[int, float]:
    now = timezone.now()
    rows = (
        StatusPeriod.objects.filter(status=StaffProfile.Status.AVAILABLE, started_at__lt=end)
        .filter(Q(ended_at__isnull=True) | Q(ended_at__gt=start))
        .annotate(
            overlap=Seconds(Least(Coalesce("ended_at", now), end), Greatest("started_at", start))
        )
        .values("clerk_id")
        .annotate(seconds=Sum("overlap"))
    )
    return {row["clerk_id"]: max(0.0, row["seconds"] or 0.0) for row in rows}


BUSY_SQL = """
WITH spans AS (
    SELECT clerk_id, GREATEST(first_accepted_at, %(start)s) AS s, LEAST(ended_at, %(end)s) AS e
    FROM consult_consultation
    WHERE clerk_id IS NOT NULL AND first_accepted_at < %(end)s AND ended_at > %(start)s
      {where}
), marked AS (
    SELECT clerk_id, s, e,
           CASE WHEN s <= MAX(e) OVER (PARTITION BY clerk_id ORDER BY s, e
                                       ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)
                THEN 0 ELSE 1 END AS starts_island
    FROM spans
), islands AS (
    SELECT clerk_id, s, e,
           SUM(starts_island) OVER (PARTITION BY clerk_id ORDER BY s, e) AS island
    FROM marked
)
SELECT clerk_id, SUM(EXTRACT(EPOCH FROM (finish - begin)))
FROM (SELECT clerk_id, island, MIN(s) AS begin, MAX(e) AS finish
      FROM islands GROUP BY clerk_id, island) AS merged
GROUP BY clerk_id
"""


def _busy_seconds(start: datetime, end: datetime, filters: Filters) -> dict[int, float]:
    """Per clerk, the length of the union of their consultations' intervals (parallel chats
    count once), computed in SQL on PostgreSQL ("gaps and islands")."""
    if connection.vendor == "postgresql":
        where = ""
        params: dict[str, Any] = {"start": start, "end": end}
        if filters.topic_id:
            where += " AND topic_id = %(topic)s"
            params["topic"] = filters.topic_id
        if filters.channel:
            where += " AND channel = %(channel)s"
            params["channel"] = filters.channel
        with connection.cursor() as cursor:
            cursor.execute(BUSY_SQL.format(where=where), params)
            return {clerk_id: float(seconds) for clerk_id, seconds in cursor.fetchall()}
    spans = (
        consultations(filters)
        .filter(clerk__isnull=False, first_accepted_at__lt=end, ended_at__gt=start)
        .values_list("clerk_id", "first_accepted_at", "ended_at")
    )
    return _union_seconds((c, max(s, start), min(e, end)) for c, s, e in spans if s and e)


def _union_seconds(spans: Iterable[tuple[int, datetime, datetime]]) -> dict[int, float]:
    per_clerk: dict[int, list[tuple[datetime, datetime]]] = {}
    for clerk_id, begin, finish in spans:
        per_clerk.setdefault(clerk_id, []).append((begin, finish))
    result = {}
    for clerk_id, intervals in per_clerk.items():
        total, current_start, current_end = 0.0, None, None
        for begin, finish in sorted(intervals):
            if current_end is None or begin > current_end:
                if current_end is not None and current_start is not None:
                    total += (current_end - current_start).total_seconds()
                current_start, current_end = begin, finish
            else:
                current_end = max(current_end, finish)
        if current_end is not None and current_start is not None:
            total += (current_end - current_start).total_seconds()
        result[clerk_id] = total
    return result


def today_figures(now: datetime | None = None) -> dict[str, Any]:
    """Today's figures so far (Berlin day), for the wallboard."""
    day = timezone.localtime(now or timezone.now(), BERLIN).date()
    seconds = settings.SERVICE_LEVEL_SECONDS
    figures = summary(
        Filters(
            start=day,
            end=day,
            service_seconds=seconds,
            short_abandon_seconds=settings.SHORT_ABANDON_SECONDS,
        )
    )
    return {**figures, "service_seconds": seconds}
