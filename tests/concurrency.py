"""Run jobs in threads that start together (a barrier), each on its own database connection."""

import threading
from collections.abc import Callable
from typing import Any

from django.db import connection


def run_at_once(jobs: list[Callable[[], Any]]) -> list[Any]:
    """Every job in a thread of its own, released at the same moment; their results in the
    order they finished. Each thread closes its connection when done."""
    barrier = threading.Barrier(len(jobs))
    results: list[Any] = []

    def work(job: Callable[[], Any]) -> None:
        try:
            barrier.wait()
            results.append(job())
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results
