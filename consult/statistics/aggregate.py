"""Combining additive parts: the roll-up's closed days plus the raw stretches, summed per
group, then averages and rates derived once.
"""

from bisect import bisect_right
from datetime import date
from typing import Any

from django.db.models import Count, Max, QuerySet, Sum
from django.db.models.functions import (
    TruncDate,
)

from consult.clock import LOCAL
from consult.consultations.models import Consultation
from consult.statistics.filters import (
    ANSWERED,
    MAXIMA,
    PARTS,
    WAIT_EDGES,
    Filters,
    consultations,
    parts,
    topic_names,
)
from consult.statistics.models import RollupFigures
from consult.statistics.percentiles import FRACTIONS, _histograms, _percentiles
from consult.statistics.plan import Plan, plan

# --- Combining parts -------------------------------------------------------------------------


def _add(into: dict[str, Any], row: dict[str, Any]) -> None:
    for name in PARTS:
        mine, theirs = into.get(name), row.get(name)
        if theirs is None:
            continue
        if mine is None:
            into[name] = theirs
        elif name in MAXIMA:
            into[name] = max(mine, theirs)
        else:
            into[name] = mine + theirs


def _collect(filters: Filters, key: str | None, *, clerks: bool = False) -> dict[Any, Any]:
    """Parts per value of ``key`` (None: one group), the roll-up and the raw days added."""
    current = plan(filters)
    groups: dict[Any, dict[str, Any]] = {}
    aggregates = parts(
        service_seconds=filters.service_seconds,
        short_abandon_seconds=filters.short_abandon_seconds,
    )
    sources: list[tuple[QuerySet[Any], dict[str, Any]]] = []
    rolled = current.rollup(RollupFigures)
    if rolled is not None:
        sums = {name: Max(name) if name in MAXIMA else Sum(name) for name in PARTS}
        sources.append((rolled, sums))
    raw = current.raw()
    if raw is not None:
        sources.append((raw, aggregates))
    for rows, wanted in sources:
        if clerks:
            rows = rows.filter(clerk__isnull=False)
        if key == "day" and rows.model is Consultation:
            rows = rows.annotate(day=TruncDate("created_at", tzinfo=LOCAL))
        for group, row in _keyed(rows, key, wanted):
            _add(groups.setdefault(group, {}), row)
    if rolled is not None and not current.same_service_level and not clerks:
        # The roll-up counted "within" for another threshold: count it again.
        _recount_within(groups, current, key)
    return groups


def _keyed(
    rows: QuerySet[Any], key: str | None, wanted: dict[str, Any]
) -> list[tuple[Any, dict[str, Any]]]:
    """(group, aggregates) per value of ``key``; topics are grouped by id and named
    afterwards, which spares the join (two topics of one name make one group, as before)."""
    if key is None:
        return [(None, rows.aggregate(**wanted))]
    column = "topic_id" if key == "topic__name" else key
    found = rows.values(column).annotate(**wanted).order_by()
    if key == "topic__name":
        names = topic_names()
        return [(names[row["topic_id"]], row) for row in found]
    return [(row[key], row) for row in found]


def _recount_within(groups: dict[Any, dict[str, Any]], current: Plan, key: str | None) -> None:
    """ "Answered within X s" for a threshold X other than the roll-up's, without a pass over
    the period: the rolled days' wait histograms give the whole buckets below X's bucket;
    the waits from that bucket's lower edge up to X are counted on the wait index (all
    days), and the raw days' waits below that edge are counted directly."""
    threshold = current.filters.service_seconds
    bucket = bisect_right(WAIT_EDGES, threshold)  # width_bucket's number for X
    edge = WAIT_EDGES[bucket - 1]
    names = topic_names() if key == "topic__name" else {}

    def group_of(day: date, topic_id: int, channel: str, booked: bool) -> Any:
        if key == "topic__name":
            return names[topic_id]
        return {"day": day, "channel": channel, "booked": booked, None: None}[key]

    found: dict[Any, int] = {}
    for day, topic_id, channel, booked, counts in _histograms(current):
        group = group_of(day, topic_id, channel, booked)
        found[group] = found.get(group, 0) + sum(counts[:bucket])
    if "within" not in current.memo:
        counted = [
            consultations(current.filters).filter(
                ANSWERED, wait_seconds__gte=edge, wait_seconds__lte=threshold
            )
        ]
        raw = current.raw()
        if raw is not None:
            counted.append(raw.filter(ANSWERED, wait_seconds__lt=edge))
        current.memo["within"] = [
            row
            for rows in counted
            for row in rows.annotate(day=TruncDate("created_at", tzinfo=LOCAL))
            .values_list("day", "topic_id", "channel", "booked")
            .annotate(n=Count("pk"))
            .order_by()
        ]
    for day, topic_id, channel, booked, n in current.memo["within"]:
        group = group_of(day, topic_id, channel, booked)
        found[group] = found.get(group, 0) + n
    for group, row in groups.items():
        row["within"] = found.get(group, 0)


def _finish(row: dict[str, Any]) -> dict[str, Any]:
    """Derived figures (docs/metrics.md): requested excludes short abandons; the rates count
    only consultations that left the queue (answered or abandoned), so one still waiting
    today does not count as missed yet."""
    for name in PARTS:
        if row.get(name) is None:
            row[name] = None if name in MAXIMA or name.endswith("_sum") else 0
    row["asa"] = _ratio(row["wait_sum"], row["answered"])
    row["aht"] = _ratio(row["handle_sum"], row["handled"])
    row["satisfaction"] = _ratio(row["rating_sum"], row["ratings"])
    requested = row["total"] - row["short_abandoned"]
    decided = requested - row["still_waiting"]
    row["requested"] = requested
    row["service_level"] = row["within"] / decided if decided else None
    row["abandonment_rate"] = row["abandoned"] / decided if decided else None
    return row


def _ratio(part: float | None, count: int) -> float | None:
    return part / count if count and part is not None else None


def grouped(filters: Filters, key: str, *, percentiles: bool = True) -> list[dict[str, Any]]:
    """The figures per value of ``key`` (a field of the consultations that the roll-up has
    too); median and 90th percentile only where ``percentiles`` (they are the costly part)."""
    groups = _collect(filters, key, clerks=key == "clerk_id")
    located = _percentiles(filters, key) if percentiles else {}
    result = []
    for group in sorted(groups):
        row = _finish({key: group, **groups[group]})
        if not row["total"]:
            continue
        row.update({name: None for name in FRACTIONS})
        row.update(located.get(group, {}))
        result.append(row)
    return result
