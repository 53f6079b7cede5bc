"""Dispatch scenario: ``consult.queue.routing.dispatch`` with 10,000 against 100 waiting, and
beside it the bare query routing needs at its core, ``SELECT … FOR UPDATE SKIP LOCKED`` of a
topic's head, on the same table in the same run.

Reuses ``tests/bench/queue_sim.py`` (queue filling and dispatch timing); run by the harness
as ``python -m tests.bench.live.dispatch`` on a fresh database, prints its figures.
"""

import statistics
import time

from django.db import connection, transaction

from tests.bench import queue_sim
from tests.bench.live.report import ms, table

SIZES = (100, 10_000)
REPEATS = 60
# The head of a topic's queue in routing's order, claimed the way routing claims it.
HEAD = """
    SELECT id FROM consult_consultation
    WHERE topic_id = %s AND state = 'waiting' AND offered_to_id IS NULL
    ORDER BY priority DESC, queued_at, id
    LIMIT 1
    FOR UPDATE SKIP LOCKED
"""


def time_skip_locked(topic_id: int, repeats: int = REPEATS) -> float:
    """Median seconds of one transaction that locks the head of the queue and commits."""
    samples = []
    for _ in range(repeats):
        started = time.perf_counter()
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(HEAD, [topic_id])
            assert cursor.fetchone() is not None
        samples.append(time.perf_counter() - started)
    return statistics.median(samples[5:])


def main() -> None:
    figures = {}
    for waiting in SIZES:
        topic, user = queue_sim.fill_queue(waiting)
        figures[waiting] = (queue_sim.time_dispatch(user, REPEATS), time_skip_locked(topic.pk))
        queue_sim.retire(user)
    rows = [
        [f"{w:,} waiting", ms(d), ms(bare), f"{d / bare:.0f}x"] for w, (d, bare) in figures.items()
    ]
    small, large = figures[SIZES[0]], figures[SIZES[-1]]
    print(
        f"dispatch: median of {REPEATS - 5} dispatch() calls making one offer (undone each time), "
        "beside one bare SELECT ... FOR UPDATE SKIP LOCKED of the head (in its own transaction)"
    )
    print(table(["queue", "dispatch()", "bare SKIP LOCKED", "dispatch/bare"], rows))
    print(
        f"  ratio {SIZES[-1]:,}/{SIZES[0]:,} waiting: dispatch {large[0] / small[0]:.2f} "
        f"(goal <= 1.5), bare query {large[1] / small[1]:.2f}"
    )


if __name__ == "__main__":
    main()
