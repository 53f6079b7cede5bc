"""Per-clerk figures: handled consultations, available and busy time, occupancy.

Busy time is the union of a clerk's conversations (several chats at once count once).
"""

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.db import connection
from django.db.models import Q, Sum
from django.db.models.functions import (
    Coalesce,
    Greatest,
    Least,
)
from django.utils import timezone

from consult.clock import day_bounds
from consult.consultations.models import Consultation
from consult.dbfunctions import Seconds
from consult.staff.models import StaffProfile, StatusPeriod
from consult.statistics.aggregate import grouped
from consult.statistics.filters import BOOKINGS, Filters, _filtered
from consult.statistics.models import RollupBusy
from consult.statistics.plan import plan

# --- Clerks ---------------------------------------------------------------------------------


def by_clerk(filters: Filters) -> list[dict[str, Any]]:
    """Per clerk: consultations handled, handle time, satisfaction and occupancy.

    Occupancy = time with at least one consultation / (that time + available idle time),
    where available idle time = time in status "available" without a consultation.
    """
    start, end = filters.bounds()
    rows = grouped(filters, "clerk_id", percentiles=False)
    busy = _busy_seconds(filters)
    available = _available_seconds(start, end)
    names = dict(StaffProfile.objects.values_list("user_id", "display_name"))
    for row in rows:
        # Not shown per clerk (and with another threshold than the roll-up's it would cost
        # a pass over the period): no service level per clerk.
        row["within"] = row["service_level"] = None
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


def _busy_seconds(filters: Filters) -> dict[int, float]:
    """Per clerk, the length of the union of their consultations' intervals within the
    period (parallel chats count once): rolled-up days add their stored seconds (a union
    cut at midnights adds up), the other stretches are computed."""
    current = plan(filters)
    result: dict[int, float] = {}
    rolled = current.rollup(RollupBusy, filtered=False)
    if rolled is not None:
        rows = (
            rolled.filter(
                topic_id=filters.topic_id or None,
                channel=filters.channel or "",
                booked=BOOKINGS[filters.booking] if filters.booking else None,
            )
            .values("clerk_id")
            .annotate(seconds=Sum("seconds"))
            .order_by()
        )
        for row in rows:
            result[row["clerk_id"]] = row["seconds"]
    for first, last in current.raw_runs:
        start, end = day_bounds(first, last)
        for clerk_id, seconds in busy_between(start, end, filters).items():
            result[clerk_id] = result.get(clerk_id, 0.0) + seconds
    return result


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


def busy_between(start: datetime, end: datetime, filters: Filters) -> dict[int, float]:
    """Per clerk, the union of their consultations' intervals cut to [start, end), computed
    in SQL on PostgreSQL ("gaps and islands")."""
    if connection.vendor == "postgresql":
        where = ""
        params: dict[str, Any] = {"start": start, "end": end}
        if filters.topic_id:
            where += " AND topic_id = %(topic)s"
            params["topic"] = filters.topic_id
        if filters.channel:
            where += " AND channel = %(channel)s"
            params["channel"] = filters.channel
        if filters.booking:
            where += " AND booked = %(booked)s"
            params["booked"] = BOOKINGS[filters.booking]
        with connection.cursor() as cursor:
            cursor.execute(BUSY_SQL.format(where=where), params)
            return {clerk_id: float(seconds) for clerk_id, seconds in cursor.fetchall()}
    spans = _filtered(
        Consultation.objects.filter(
            clerk__isnull=False, first_accepted_at__lt=end, ended_at__gt=start
        ),
        filters,
    ).values_list("clerk_id", "first_accepted_at", "ended_at")
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
