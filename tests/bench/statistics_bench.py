"""Statistics benchmark: the manager dashboard over 1,000,000 consultations in PostgreSQL.

    make bench-statistics   (python -m tests.bench.statistics_bench with DATABASE_URL set)

Prints figures, never asserts. Creates and drops its own database (``test_<name>``).
After filling it builds the statistics roll-up of the closed days (consult/statistics/rollup.py, as
``manage.py rebuild_statistics`` does nightly) and times the dashboard with it, and without
it (every day read raw) as the baseline of the same run.
"""

import os
import re
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from consult.catalogue.models import Topic  # noqa: E402
from consult.staff.models import StaffProfile  # noqa: E402
from consult.statistics import (  # noqa: E402
    clerks,
    figures,
    rollup,
)
from consult.statistics.filters import Filters  # noqa: E402
from consult.statistics.models import RollupDay  # noqa: E402

ROWS = int(os.environ.get("BENCH_ROWS", "1000000"))
DAYS = 730

FILL = """
INSERT INTO consult_consultation
    (public_token, topic_id, channel, booked, state, clerk_id, created_at, priority, queued_at,
     accepted_at, first_accepted_at, ended_at, ended_by, outcome, last_seq, rating_comment)
SELECT md5(i::text) || substr(md5((i * 7)::text), 1, 11),
       (%(topics)s::bigint[])[1 + i %% 5],
       CASE WHEN i %% 5 = 0 THEN 'video' ELSE 'chat' END,
       (i * 13) %% 10 = 0,
       CASE WHEN abandon THEN 'abandoned' ELSE 'ended' END,
       CASE WHEN abandon THEN NULL ELSE (%(clerks)s::bigint[])[1 + (i / 7) %% 6] END,
       created, CASE WHEN (i * 13) %% 10 = 0 THEN 20 ELSE 0 END, created,
       CASE WHEN abandon THEN NULL ELSE created + make_interval(secs => wait) END,
       CASE WHEN abandon THEN NULL ELSE created + make_interval(secs => wait) END,
       created + make_interval(secs => wait + CASE WHEN abandon THEN 0 ELSE handle END),
       'clerk', CASE WHEN abandon THEN '' ELSE 'resolved' END, 0, ''
FROM (
    SELECT i,
           %(start)s::timestamptz + make_interval(secs => i * %(spacing)s)
               + make_interval(hours => 8 + (i * 37) %% 10) AS created,
           -ln(1 - random()) * 90 AS wait,
           120 + random() * 600 AS handle,
           random() < 0.08 AS abandon
    FROM generate_series(1, %(rows)s) AS i
) AS generated
"""


def fill() -> None:
    now = timezone.now()
    topics = [Topic.objects.create(name=f"Thema {n}", slug=f"t{n}").pk for n in range(5)]
    clerks = []
    for n in range(6):
        user = get_user_model().objects.create(username=f"clerk{n}")
        StaffProfile.objects.create(user=user, display_name=f"Clerk {n}", status="offline")
        clerks.append(user.pk)
    start = now - timedelta(days=DAYS)
    with connection.cursor() as cursor:
        cursor.execute(
            FILL,
            {
                "topics": topics,
                "clerks": clerks,
                "start": start,
                "spacing": DAYS * 86400 // ROWS,
                "rows": ROWS,
            },
        )
        cursor.execute(
            "UPDATE consult_consultation SET rating = 1 + id % 5 "
            "WHERE state = 'ended' AND id % 3 = 0"
        )
        cursor.execute(
            "INSERT INTO consult_statusperiod (clerk_id, status, started_at, ended_at) "
            "SELECT c, 'available', d + interval '8 hours', d + interval '16 hours' "
            "FROM unnest(%(clerks)s::bigint[]) AS c, "
            "generate_series(%(start)s::timestamptz, %(now)s::timestamptz, interval '1 day') d",
            {"clerks": clerks, "start": start, "now": now},
        )
        cursor.execute("VACUUM ANALYZE consult_consultation")
        cursor.execute("ANALYZE consult_statusperiod")


def dashboard(filters: Filters) -> float:
    """Seconds to compute everything the dashboard page shows."""
    started = time.perf_counter()
    figures.dashboard(filters)
    return time.perf_counter() - started


def indexes_used(filters: Filters) -> set[str]:
    """EXPLAIN of every query the dashboard runs: the indexes used, and the tables read
    sequentially."""
    queries: list[tuple[str, object]] = []

    def record(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        if sql.lstrip().upper().startswith(("SELECT", "(SELECT", "WITH")):
            queries.append((sql, params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        dashboard(filters)
    found: set[str] = set()
    with connection.cursor() as cursor:
        for sql, params in queries:
            cursor.execute("EXPLAIN " + sql, params)
            plan = "\n".join(row[0] for row in cursor.fetchall())
            found.update(re.findall(r"Index (?:Only )?Scan using (\w+)", plan))
            found.update(re.findall(r"Bitmap Index Scan on (\w+)", plan))
            found.update(f"seq scan {name}" for name in re.findall(r"Seq Scan on (\w+)", plan))
    return found


@contextmanager
def without_rollup() -> Iterator[None]:
    """Every day read raw: the roll-up's days are forgotten inside a transaction that is
    rolled back afterwards."""
    with transaction.atomic():
        RollupDay.objects.all().delete()
        yield
        transaction.set_rollback(True)


def timed(filters: Filters) -> str:
    dashboard(filters)  # warm the cache once
    runs = sorted(dashboard(filters) for _ in range(5))
    return f"median {runs[2]:.2f} s (min {runs[0]:.2f} s, max {runs[-1]:.2f} s)"


def main() -> None:
    if connection.vendor != "postgresql":
        sys.exit("The benchmark runs on PostgreSQL: set DATABASE_URL=postgres://...")
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        started = time.perf_counter()
        fill()
        print(
            f"{ROWS:,} consultations over {DAYS} days generated in "
            f"{time.perf_counter() - started:.0f} s"
        )
        started = time.perf_counter()
        built = rollup.build()
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
        print(f"roll-up of {built} closed days built in {time.perf_counter() - started:.0f} s")
        today = timezone.localdate()
        for label, days in (("one year", 365), ("one month", 30), ("one day", 1)):
            filters = Filters(start=today - timedelta(days=days - 1), end=today)
            rows = figures.summary(filters)["total"]
            print(f"dashboard for {label} ({rows:,} consultations):")
            print(f"  with the roll-up: {timed(filters)}")
            print(f"    plan: {', '.join(sorted(indexes_used(filters)))}")
            with without_rollup():
                print(f"  raw (baseline):   {timed(filters)}")
        year = Filters(start=today - timedelta(days=364), end=today)
        booked = Filters(start=year.start, end=today, booking="booked")
        print(f"dashboard for one year, appointments only: {timed(booked)}")
        for name, part in (
            ("summary", figures.summary),
            ("by_topic", figures.by_topic),
            ("by_channel", figures.by_channel),
            ("by_booking", figures.by_booking),
            ("by_clerk", clerks.by_clerk),
            ("daily", figures.daily),
            ("heatmap", figures.heatmap),
        ):
            runs = []
            for _ in range(3):
                started = time.perf_counter()
                part(year)
                runs.append(time.perf_counter() - started)
            print(f"  year with the roll-up, {name}: median {sorted(runs)[1]:.3f} s")
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
