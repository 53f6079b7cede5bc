"""The figures the dashboard shows: summary, per topic, channel, walk-in or booked, day and hour,
and today's line for the wallboard (docs/metrics.md).
"""

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Count, Sum
from django.db.models.functions import (
    ExtractHour,
    ExtractIsoWeekDay,
)
from django.utils import timezone

from consult.clock import LOCAL, local_day
from consult.statistics.aggregate import _collect, _finish, _ratio, grouped
from consult.statistics.clerks import by_clerk
from consult.statistics.filters import ANSWERED, Filters
from consult.statistics.models import RollupHour
from consult.statistics.percentiles import FRACTIONS, _percentiles, _snapshot
from consult.statistics.plan import _plans, plan

# --- The figures -----------------------------------------------------------------------------


def dashboard(filters: Filters) -> dict[str, Any]:
    """Everything the dashboard page shows, from one plan and one consistent snapshot."""
    token = _plans.set({})
    try:
        with _snapshot():
            return {
                "summary": summary(filters),
                "by_topic": by_topic(filters),
                "by_channel": by_channel(filters),
                "by_booking": by_booking(filters),
                "by_clerk": by_clerk(filters),
                "days": daily(filters),
                "heat": heatmap(filters),
            }
    finally:
        _plans.reset(token)


def summary(filters: Filters) -> dict[str, Any]:
    row = _finish(_collect(filters, None).get(None, {}))
    row.update({name: None for name in FRACTIONS})
    row.update(_percentiles(filters, None).get(None, {}))
    return row


def by_topic(filters: Filters) -> list[dict[str, Any]]:
    return grouped(filters, "topic__name")


def by_channel(filters: Filters) -> list[dict[str, Any]]:
    return grouped(filters, "channel")


def by_booking(filters: Filters) -> list[dict[str, Any]]:
    """Walk-ins (``booked`` False) and booked appointments (True), in that order."""
    return grouped(filters, "booked")


def daily(filters: Filters) -> list[dict[str, Any]]:
    """One row per Berlin day of the period, zero rows included (for a continuous trend)."""
    # The trend shows counts, ASA and service level: no percentiles per day.
    found = {row["day"]: row for row in grouped(filters, "day", percentiles=False)}
    days = []
    day = filters.start
    while day <= filters.end:
        days.append(found.get(day) or _empty(day=day))
        day += timedelta(days=1)
    return days


def _empty(**key: Any) -> dict[str, Any]:
    row = _finish({**key})
    row.update({name: None for name in FRACTIONS})
    return row


def heatmap(filters: Filters) -> dict[tuple[int, int], dict[str, Any]]:
    """Average wait and requests per (ISO weekday 1-7, hour 0-23) in Berlin time."""
    current = plan(filters)
    cells: dict[tuple[int, int], dict[str, Any]] = {}
    sources = []
    hours = current.rollup(RollupHour)
    if hours is not None:
        sources.append(
            hours.annotate(weekday=ExtractIsoWeekDay("day"))
            .values("weekday", "hour")
            .annotate(requests=Sum("total"), answered=Sum("answered"), wait_sum=Sum("wait_sum"))
        )
    raw = current.raw()
    if raw is not None:
        sources.append(
            raw.annotate(
                weekday=ExtractIsoWeekDay("created_at", tzinfo=LOCAL),
                hour=ExtractHour("created_at", tzinfo=LOCAL),
            )
            .values("weekday", "hour")
            .annotate(
                requests=Count("pk"),
                answered=Count("pk", filter=ANSWERED),
                wait_sum=Sum("wait_seconds", filter=ANSWERED),
            )
        )
    for rows in sources:
        for row in rows.order_by():
            cell = cells.setdefault(
                (row["weekday"], row["hour"]),
                {"weekday": row["weekday"], "hour": row["hour"], "requests": 0, "answered": 0},
            )
            cell["requests"] += row["requests"]
            cell["answered"] += row["answered"]
            if row["wait_sum"] is not None:
                cell["wait_sum"] = cell.get("wait_sum", 0.0) + row["wait_sum"]
    for cell in cells.values():
        cell["asa"] = _ratio(cell.pop("wait_sum", None), cell.pop("answered"))
    return cells


def today_figures(now: datetime | None = None) -> dict[str, Any]:
    """Today's figures so far (Berlin day), for the wallboard."""
    day = local_day(now or timezone.now())
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
