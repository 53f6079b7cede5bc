"""Contact-centre figures, computed in the database (docs/metrics.md).

Days are Europe/Berlin calendar days (DST-safe). A consultation belongs to the day it was
requested. Every figure is built from additive parts (counts, sums, maxima) so that closed
days can come from the roll-up tables (consult/rollup.py) and the rest (today, days changed
since their roll-up) from the consultations themselves; the two are added and the averages
and rates derived once. Percentiles are exact: PostgreSQL's ``percentile_cont`` over the
period's waits, or, where the roll-up covers the period, the two neighbouring waits of each
percentile's rank read from an index (the roll-up's wait histogram says where to look). On
SQLite (the embedded default) there is no roll-up and the percentiles are computed from the
sorted waits of each group, with the same interpolation.
"""

import math
from bisect import bisect_right
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, IntegerField, Max, Q, QuerySet, Sum, Value
from django.db.models.functions import (
    Coalesce,
    ExtractHour,
    ExtractIsoWeekDay,
    Greatest,
    Least,
    TruncDate,
)
from django.utils import timezone

from .dbfunctions import PercentileCont, Seconds, WidthBucket
from .models import (
    Consultation,
    RollupBusy,
    RollupDay,
    RollupFigures,
    RollupHour,
    RollupWaits,
    StaffProfile,
    StatusPeriod,
    Topic,
)

BERLIN = ZoneInfo("Europe/Berlin")
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


def day_bounds(first: date, last: date) -> tuple[datetime, datetime]:
    """Berlin midnight before ``first`` to Berlin midnight after ``last``."""
    return (
        datetime.combine(first, time.min, tzinfo=BERLIN),
        datetime.combine(last + timedelta(days=1), time.min, tzinfo=BERLIN),
    )


BOOKINGS = {"walk_in": False, "booked": True}


def consultations(filters: Filters) -> QuerySet[Consultation]:
    start, end = filters.bounds()
    rows = Consultation.objects.filter(created_at__gte=start, created_at__lt=end)
    return _filtered(rows, filters)


def _filtered(rows: QuerySet[Any], filters: Filters) -> QuerySet[Any]:
    """Topic, channel and booking filters; the roll-up tables name these fields as
    consultations do."""
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


# --- Which days come from the roll-up ------------------------------------------------------


@dataclass(frozen=True)
class Plan:
    """The period split into days read from the roll-up and stretches read raw."""

    filters: Filters
    rolled_days: list[date] = field(default_factory=list)
    raw_runs: list[tuple[date, date]] = field(default_factory=list)
    same_service_level: bool = True
    # Roll-up rows of other days in the period exist (built with another short-abandon
    # threshold): the roll-up is read by day list instead of by range.
    others_rolled: bool = False
    # Rows several figures read (the wait histograms, the within counts), read once.
    memo: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    @property
    def rolled(self) -> bool:
        return bool(self.rolled_days)

    def raw(self) -> QuerySet[Consultation] | None:
        """The consultations of the days not in the roll-up (None: there are none)."""
        if not self.raw_runs:
            return None
        if not self.rolled:
            return consultations(self.filters)
        where = Q()
        for first, last in self.raw_runs:
            start, end = day_bounds(first, last)
            where |= Q(created_at__gte=start, created_at__lt=end)
        return _filtered(Consultation.objects.filter(where), self.filters)

    def rollup(self, model: type[Any], *, filtered: bool = True) -> QuerySet[Any] | None:
        """Roll-up rows of the rolled days (rows exist only for rolled days)."""
        if not self.rolled:
            return None
        if self.others_rolled:
            rows = model.objects.filter(day__in=self.rolled_days)
        else:
            rows = model.objects.filter(day__range=(self.filters.start, self.filters.end))
        return _filtered(rows, self.filters) if filtered else rows


_plans: ContextVar[dict[Filters, Plan] | None] = ContextVar("statistics_plans", default=None)


def plan(filters: Filters) -> Plan:
    """Closed days rolled up with the current short-abandon threshold come from the roll-up
    (PostgreSQL only); every other day of the period is read raw. Inside ``dashboard`` one
    plan serves every figure."""
    cache = _plans.get()
    if cache is None:
        return _plan(filters)
    if filters not in cache:
        cache[filters] = _plan(filters)
    return cache[filters]


def _plan(filters: Filters) -> Plan:
    everything = [(filters.start, filters.end)]
    if connection.vendor != "postgresql":
        return Plan(filters, raw_runs=everything)
    built = RollupDay.objects.filter(day__range=(filters.start, filters.end)).values_list(
        "day", "service_seconds", "short_abandon_seconds"
    )
    thresholds, others = {}, False
    for day, service, short in built:
        if short == filters.short_abandon_seconds:
            thresholds[day] = service
        else:
            others = True
    if not thresholds:
        return Plan(filters, raw_runs=everything)
    runs: list[tuple[date, date]] = []
    day = filters.start
    while day <= filters.end:
        if day not in thresholds:
            if runs and runs[-1][1] == day - timedelta(days=1):
                runs[-1] = (runs[-1][0], day)
            else:
                runs.append((day, day))
        day += timedelta(days=1)
    return Plan(
        filters,
        rolled_days=sorted(thresholds),
        raw_runs=runs,
        same_service_level=set(thresholds.values()) == {filters.service_seconds},
        others_rolled=others,
    )


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
            rows = rows.annotate(day=TruncDate("created_at", tzinfo=BERLIN))
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
        names = _topic_names()
        return [(names[row["topic_id"]], row) for row in found]
    return [(row[key], row) for row in found]


def _topic_names() -> dict[int, str]:
    return dict(Topic.objects.values_list("pk", "name"))


def _recount_within(groups: dict[Any, dict[str, Any]], current: Plan, key: str | None) -> None:
    """ "Answered within X s" for a threshold X other than the roll-up's, without a pass over
    the period: the rolled days' wait histograms give the whole buckets below X's bucket;
    the waits from that bucket's lower edge up to X are counted on the wait index (all
    days), and the raw days' waits below that edge are counted directly."""
    threshold = current.filters.service_seconds
    bucket = bisect_right(WAIT_EDGES, threshold)  # width_bucket's number for X
    edge = WAIT_EDGES[bucket - 1]
    names = _topic_names() if key == "topic__name" else {}

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
            for row in rows.annotate(day=TruncDate("created_at", tzinfo=BERLIN))
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


# --- Percentiles -----------------------------------------------------------------------------


def _percentile(sorted_values: list[float], fraction: float) -> float | None:
    """Linear interpolation between closest ranks, as PostgreSQL's percentile_cont."""
    if not sorted_values:
        return None
    position = (len(sorted_values) - 1) * fraction
    lower = int(position)
    upper = min(lower + 1, len(sorted_values) - 1)
    return sorted_values[lower] + (sorted_values[upper] - sorted_values[lower]) * (position - lower)


FRACTIONS = {"median_wait": 0.5, "p90_wait": 0.9}
# Below this many answered consultations in the period, percentile_cont's sort is cheaper
# than probing the wait index (a probe reads its bucket's waits of every day, and filters).
LOCATE_FROM = 20_000


def _percentiles(filters: Filters, key: str | None) -> dict[Any, dict[str, float | None]]:
    """Median and 90th percentile wait per value of ``key`` (None: the total), exact."""
    current = plan(filters)
    if current.rolled:
        with _snapshot():
            located = _percentiles_located(current, key)
        if located is not None:
            return located
    answered = consultations(filters).filter(ANSWERED)
    if connection.vendor == "postgresql":
        wanted = {
            name: PercentileCont("wait_seconds", fraction) for name, fraction in FRACTIONS.items()
        }
        if key is None:
            return {None: answered.aggregate(**wanted)}
        return {row[key]: row for row in answered.values(key).annotate(**wanted).order_by()}
    waits: dict[Any, list[float]] = {}
    fields = ["wait_seconds", key] if key else ["wait_seconds"]
    for item in answered.values(*fields).order_by("wait_seconds"):
        waits.setdefault(item[key] if key else None, []).append(item["wait_seconds"])
    return {
        group: {name: _percentile(values, f) for name, f in FRACTIONS.items()}
        for group, values in waits.items()
    }


@contextmanager
def _snapshot() -> Iterator[None]:
    """One consistent view of the roll-up and the consultations for the reads inside
    (REPEATABLE READ), unless a transaction is open already."""
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        yield
        return
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        yield


def _percentiles_located(
    current: Plan, key: str | None
) -> dict[Any, dict[str, float | None]] | None:
    """Exact percentiles without sorting the period: the wait histogram (roll-up plus raw
    days) gives each group's count and the bucket holding the wanted rank; one query then
    reads the waits from that bucket's lower edge upwards in index order
    (consult_answered_wait_idx), skipping the ranks below, and takes the two neighbours.
    None if the period has few answered consultations, or if the histogram and the
    consultations disagree (a write in between inside an open transaction): the caller
    sorts instead."""
    names = _topic_names() if key == "topic__name" else {}

    def group_of(topic_id: int, channel: str, booked: bool) -> Any:
        if key == "topic__name":
            return names[topic_id]
        return {"channel": channel, "booked": booked, None: None}[key]

    histogram: dict[Any, list[int]] = {}
    for _, topic_id, channel, booked, counts in _histograms(current):
        _add_counts(histogram.setdefault(group_of(topic_id, channel, booked), []), counts)
    raw = current.raw()
    if raw is not None:
        buckets = (
            raw.filter(ANSWERED)
            .annotate(bucket=WidthBucket("wait_seconds", WAIT_EDGES))
            .values_list("topic_id", "channel", "booked", "bucket")
            .annotate(n=Count("pk"))
            .order_by()
        )
        for topic_id, channel, booked, bucket, n in buckets:
            counts = [0] * bucket + [n]
            _add_counts(histogram.setdefault(group_of(topic_id, channel, booked), []), counts)
    if sum(sum(counts) for counts in histogram.values()) < LOCATE_FROM:
        return None  # few waits: sorting them is cheaper than the probes
    ids: dict[str, list[int]] = {}
    for pk, name in names.items():
        ids.setdefault(name, []).append(pk)
    probes: list[QuerySet[Any]] = []
    wanted: dict[Any, list[tuple[str, int, float]]] = {}
    answered = consultations(current.filters).filter(ANSWERED)
    for group, counts in histogram.items():
        n = sum(counts)
        if not n:
            continue
        if key == "topic__name":  # by id, so that the probe stays on the wait index
            rows = answered.filter(topic_id__in=ids[group])
        else:
            rows = answered.filter(**{key: group}) if key else answered
        for name, fraction in FRACTIONS.items():
            position = (n - 1) * fraction
            rank = int(position)
            bucket, skip = _bucket_of(counts, rank)
            lower = rows.filter(wait_seconds__gte=WAIT_EDGES[bucket - 1]) if bucket else rows
            wanted.setdefault(group, []).append((name, len(probes), position - rank))
            probes.append(lower.order_by("wait_seconds")[skip : skip + 2])
    found = _probe(probes)
    result: dict[Any, dict[str, float | None]] = {}
    for group, names_wanted in wanted.items():
        for name, probe, share in names_wanted:
            pair = found.get(probe, [])
            if not pair or (share and len(pair) < 2):
                return None
            low = pair[0]
            high = pair[1] if share else low
            result.setdefault(group, {})[name] = low + (high - low) * share
    return result


def _histograms(current: Plan) -> list[tuple[date, int, str, bool, list[int]]]:
    """The rolled days' wait histograms: (day, topic, channel, booked, counts per bucket)."""
    if "waits" not in current.memo:
        rolled = current.rollup(RollupWaits)
        rows = (
            rolled.values_list("day", "topic_id", "channel", "booked", "counts") if rolled else []
        )
        current.memo["waits"] = [
            (day, topic_id, channel, booked, [int(n) for n in text.split(",")])
            for day, topic_id, channel, booked, text in rows
        ]
    return current.memo["waits"]


def _add_counts(into: list[int], counts: list[int]) -> None:
    if len(into) < len(counts):
        into.extend([0] * (len(counts) - len(into)))
    for bucket, n in enumerate(counts):
        into[bucket] += n


def _bucket_of(counts: list[int], rank: int) -> tuple[int, int]:
    """The bucket holding the value of 0-based ``rank`` and how many ranks of it lie below."""
    seen = 0
    for bucket, n in enumerate(counts):
        if rank < seen + n:
            return bucket, rank - seen
        seen += n
    raise ValueError("rank beyond the histogram")


def _probe(probes: list[QuerySet[Any]]) -> dict[int, list[float]]:
    """Run every probe in one round trip (UNION ALL of the sliced, ordered subqueries)."""
    if not probes:
        return {}
    queries = [
        rows.annotate(probe=Value(number, output_field=IntegerField())).values_list(
            "probe", "wait_seconds"
        )
        for number, rows in enumerate(probes)
    ]
    union = queries[0].union(*queries[1:], all=True) if len(queries) > 1 else queries[0]
    found: dict[int, list[float]] = {}
    for number, wait in union:
        found.setdefault(number, []).append(wait)
    for values in found.values():
        values.sort()
    return found


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
                weekday=ExtractIsoWeekDay("created_at", tzinfo=BERLIN),
                hour=ExtractHour("created_at", tzinfo=BERLIN),
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
