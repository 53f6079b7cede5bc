"""Statistics benchmark: the manager dashboard over 1,000,000 consultations in PostgreSQL.

    make bench-statistics   (python -m tests.bench.statistics_bench with DATABASE_URL set)

Prints figures, never asserts. Creates and drops its own database (``test_<name>``).
"""

import os
import re
import sys
import time
from datetime import timedelta

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from consult import statistics  # noqa: E402
from consult.models import StaffProfile, Topic  # noqa: E402
from consult.statistics import Filters  # noqa: E402

ROWS = int(os.environ.get("BENCH_ROWS", "1000000"))
DAYS = 730

FILL = """
INSERT INTO consult_consultation
    (public_token, topic_id, channel, state, clerk_id, created_at, priority, queued_at,
     accepted_at, first_accepted_at, ended_at, ended_by, outcome, last_seq, rating_comment)
SELECT md5(i::text) || substr(md5((i * 7)::text), 1, 11),
       (%(topics)s::bigint[])[1 + i %% 5],
       CASE WHEN i %% 5 = 0 THEN 'video' ELSE 'chat' END,
       CASE WHEN abandon THEN 'abandoned' ELSE 'ended' END,
       CASE WHEN abandon THEN NULL ELSE (%(clerks)s::bigint[])[1 + (i / 7) %% 6] END,
       created, 0, created,
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
    statistics.summary(filters)
    statistics.by_topic(filters)
    statistics.by_channel(filters)
    statistics.by_clerk(filters)
    statistics.daily(filters)
    statistics.heatmap(filters)
    return time.perf_counter() - started


def indexes_used(filters: Filters) -> set[str]:
    sql, params = statistics.consultations(filters).values("pk").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    return set(
        re.findall(r"(?:Index Scan|Index Only Scan|Bitmap Index Scan) (?:using|on) (\w+)", plan)
    ) or {"none (sequential scan)"}


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
        today = timezone.localdate()
        for label, days in (("one year", 365), ("one month", 30), ("one day", 1)):
            filters = Filters(start=today - timedelta(days=days - 1), end=today)
            dashboard(filters)  # warm the cache once
            runs = sorted(dashboard(filters) for _ in range(3))
            rows = statistics.summary(filters)["total"]
            print(
                f"dashboard for {label} ({rows:,} consultations): median {runs[1]:.2f} s "
                f"(min {runs[0]:.2f} s); indexes: {', '.join(sorted(indexes_used(filters)))}"
            )
        year = Filters(start=today - timedelta(days=364), end=today)
        for name, part in (
            ("summary", statistics.summary),
            ("by_topic", statistics.by_topic),
            ("by_channel", statistics.by_channel),
            ("by_clerk", statistics.by_clerk),
            ("daily", statistics.daily),
            ("heatmap", statistics.heatmap),
        ):
            started = time.perf_counter()
            part(year)
            print(f"  year, {name}: {time.perf_counter() - started:.2f} s")
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
