"""Exact median and 90th percentile of the waits: sorted in Python for small groups,
``percentile_cont`` on PostgreSQL, or located through the roll-up's wait histograms and read
from the wait index for long periods.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

from django.db import connection, transaction
from django.db.models import Count, IntegerField, QuerySet, Value

from consult.dbfunctions import PercentileCont, WidthBucket
from consult.statistics.filters import ANSWERED, WAIT_EDGES, Filters, consultations, topic_names
from consult.statistics.models import RollupWaits
from consult.statistics.plan import Plan, plan

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
    names = topic_names() if key == "topic__name" else {}

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
