"""Writes of the statistics roll-up: building closed days and forgetting changed ones.

A Berlin day is *rolled up* when a ``RollupDay`` row exists; then the roll-up tables hold
its additive figures (``RollupFigures``), its requests and waits per hour (``RollupHour``),
its wait histogram (``RollupWaits``) and its clerks' busy seconds (``RollupBusy``), all
computed from the consultations by the same aggregates the raw path uses
(``statistics.parts``). Only days before today are rolled up. A domain write that changes a
consultation calls ``consultation_changed`` in its transaction: the days the consultation
counts on (the day it was requested; for busy time every day its conversation overlapped)
lose their roll-up, and the statistics read them raw until the next ``build`` (the
``rebuild_statistics`` command, nightly). PostgreSQL only: the embedded SQLite default
always reads raw.

Concurrency: ``build`` holds an exclusive advisory lock while it reads and writes;
``consultation_changed`` takes the same lock shared before it deletes. A build that read a
day before a writer committed therefore finishes before that writer deletes the day's
roll-up, and a writer that forgot a day first is committed before a build reads it.
"""

from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, Min, Sum
from django.db.models.functions import ExtractHour, TruncDate
from django.utils import timezone

from consult.clock import LOCAL, day_bounds, local_day
from consult.consultations.models import Consultation
from consult.dbfunctions import WidthBucket
from consult.statistics.filters import ANSWERED, PARTS, WAIT_EDGES, parts
from consult.statistics.models import RollupBusy, RollupDay, RollupFigures, RollupHour, RollupWaits

LOCK_KEY = 5_011_905  # any constant, the same for every process
TABLES: tuple[type[Any], ...] = (RollupFigures, RollupHour, RollupWaits, RollupBusy, RollupDay)
CHUNK_DAYS = 31
SETTLE = timedelta(minutes=10)


def enabled() -> bool:
    return connection.vendor == "postgresql"


def days_of(consultation: Consultation) -> set[date]:
    """The days whose roll-up a change of this consultation can alter."""
    days = {local_day(consultation.created_at)}
    if consultation.first_accepted_at and consultation.ended_at:
        day = local_day(consultation.first_accepted_at)
        while day <= local_day(consultation.ended_at):
            days.add(day)
            day += timedelta(days=1)
    return days


def consultation_changed(consultation: Consultation) -> None:
    """Forget the roll-up of the closed days this consultation counts on (call inside the
    transaction that changed it). Today is never rolled up, so usually nothing happens; the
    real clock decides, not a ``now`` given to the domain function."""
    if not enabled():
        return
    today = local_day(timezone.now())
    past = sorted(day for day in days_of(consultation) if day < today)
    if not past:
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock_shared(%s)", [LOCK_KEY])
    _delete(past)


def _delete(days: Iterable[date]) -> None:
    days = list(days)
    for model in TABLES:
        model.objects.filter(day__in=days).delete()


def build(*, first: date | None = None, last: date | None = None, everything: bool = False) -> int:
    """Roll up the closed days from ``first`` (default: the first consultation's day) to
    ``last`` (default and at most: yesterday, from ten past midnight on) that are not
    rolled up with the current thresholds (``everything``: all of them again). Returns how
    many days were built."""
    if not enabled():
        return 0
    # A writer that checked "only today is affected" just before midnight may still be
    # committing just after it: a day is built once it has been over for SETTLE.
    yesterday = local_day(timezone.now() - SETTLE) - timedelta(days=1)
    last = min(last or yesterday, yesterday)
    if first is None:
        oldest = Consultation.objects.aggregate(first=Min("created_at"))["first"]
        if oldest is None:
            return 0
        first = local_day(oldest)
    current = RollupDay.objects.filter(
        service_seconds=settings.SERVICE_LEVEL_SECONDS,
        short_abandon_seconds=settings.SHORT_ABANDON_SECONDS,
    )
    done = set() if everything else set(current.values_list("day", flat=True))
    todo = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    todo = [day for day in todo if day not in done]
    for start in range(0, len(todo), CHUNK_DAYS):
        _build_days(todo[start : start + CHUNK_DAYS])
    return len(todo)


def _build_days(days: list[date]) -> None:
    """One transaction: lock, forget the days, compute them from the consultations."""
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_KEY])
        _delete(days)
        chosen = set(days)
        start, _ = day_bounds(min(days), min(days))
        _, end = day_bounds(max(days), max(days))
        rows = Consultation.objects.filter(created_at__gte=start, created_at__lt=end).annotate(
            day=TruncDate("created_at", tzinfo=LOCAL)
        )
        service = settings.SERVICE_LEVEL_SECONDS
        short = settings.SHORT_ABANDON_SECONDS
        figures = (
            rows.values("day", "topic_id", "channel", "booked", "clerk_id")
            .annotate(**parts(service_seconds=service, short_abandon_seconds=short))
            .order_by()
        )
        RollupFigures.objects.bulk_create(
            [RollupFigures(**_pick(row, PARTS)) for row in figures if row["day"] in chosen],
            batch_size=2000,
        )
        hours = (
            rows.annotate(hour=ExtractHour("created_at", tzinfo=LOCAL))
            .values("day", "hour", "topic_id", "channel", "booked")
            .annotate(
                total=Count("pk"),
                answered=Count("pk", filter=ANSWERED),
                wait_sum=Sum("wait_seconds", filter=ANSWERED),
            )
            .order_by()
        )
        RollupHour.objects.bulk_create(
            [RollupHour(**row) for row in hours if row["day"] in chosen], batch_size=2000
        )
        waits = (
            rows.filter(ANSWERED)
            .annotate(bucket=WidthBucket("wait_seconds", WAIT_EDGES))
            .values("day", "topic_id", "channel", "booked", "bucket")
            .annotate(count=Count("pk"))
            .order_by()
        )
        histograms: dict[tuple[date, int, str, bool], list[int]] = {}
        for row in waits:
            if row["day"] in chosen:
                group = (row["day"], row["topic_id"], row["channel"], row["booked"])
                counts = histograms.setdefault(group, [])
                counts.extend([0] * (row["bucket"] + 1 - len(counts)))
                counts[row["bucket"]] = row["count"]
        RollupWaits.objects.bulk_create(
            (
                RollupWaits(
                    day=day,
                    topic_id=topic_id,
                    channel=channel,
                    booked=booked,
                    counts=",".join(map(str, counts)),
                )
                for (day, topic_id, channel, booked), counts in histograms.items()
            ),
            batch_size=2000,
        )
        _build_busy(days)
        RollupDay.objects.bulk_create(
            RollupDay(day=day, service_seconds=service, short_abandon_seconds=short) for day in days
        )


def _pick(row: dict[str, Any], names: Iterable[str]) -> dict[str, Any]:
    picked = {name: row[name] for name in ("day", "topic_id", "channel", "booked", "clerk_id")}
    picked.update({name: row[name] for name in names})
    return picked


BUSY_BY_DAY_SQL = """
WITH days AS (
    SELECT d::date AS day,
           d::date::timestamp AT TIME ZONE %(zone)s AS day_start,
           (d::date + 1)::timestamp AT TIME ZONE %(zone)s AS day_end
    FROM unnest(%(days)s::date[]) AS d
), spans AS (
    SELECT c.clerk_id, days.day, t.topic_id, ch.channel, b.booked,
           GREATEST(c.first_accepted_at, days.day_start) AS s,
           LEAST(c.ended_at, days.day_end) AS e
    FROM consult_consultation AS c
    JOIN days ON c.first_accepted_at < days.day_end AND c.ended_at > days.day_start
    CROSS JOIN LATERAL (VALUES (NULL::bigint), (c.topic_id)) AS t(topic_id)
    CROSS JOIN LATERAL (VALUES (''), (c.channel)) AS ch(channel)
    CROSS JOIN LATERAL (VALUES (NULL::boolean), (c.booked)) AS b(booked)
    WHERE c.clerk_id IS NOT NULL
      AND c.first_accepted_at < %(end)s AND c.ended_at > %(start)s
), marked AS (
    SELECT clerk_id, day, topic_id, channel, booked, s, e,
           CASE WHEN s <= MAX(e) OVER (PARTITION BY clerk_id, day, topic_id, channel, booked
                                       ORDER BY s, e
                                       ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)
                THEN 0 ELSE 1 END AS starts_island
    FROM spans
), islands AS (
    SELECT clerk_id, day, topic_id, channel, booked, s, e,
           SUM(starts_island) OVER (PARTITION BY clerk_id, day, topic_id, channel, booked
                                    ORDER BY s, e) AS island
    FROM marked
)
INSERT INTO consult_rollupbusy (day, clerk_id, topic_id, channel, booked, seconds)
SELECT day, clerk_id, topic_id, channel, booked, SUM(EXTRACT(EPOCH FROM (finish - begin)))
FROM (SELECT clerk_id, day, topic_id, channel, booked, island, MIN(s) AS begin,
             MAX(e) AS finish
      FROM islands GROUP BY clerk_id, day, topic_id, channel, booked, island) AS merged
GROUP BY day, clerk_id, topic_id, channel, booked
"""


def _build_busy(days: list[date]) -> None:
    """The same union as ``statistics.busy_between``, cut at each day's Berlin midnights and
    kept for every combination of all or one topic, channel and walk-in or booked."""
    start, _ = day_bounds(min(days), min(days))
    _, end = day_bounds(max(days), max(days))
    with connection.cursor() as cursor:
        cursor.execute(
            BUSY_BY_DAY_SQL,
            {
                "days": [day.isoformat() for day in days],
                "start": start,
                "end": end,
                "zone": LOCAL.key,
            },
        )
