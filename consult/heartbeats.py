"""When the background work last ran, for the operator's ``/metrics`` (docs/observability.md).

A base module: it imports no subdomain package. The leading web process notes the end of
every queue sweep in the cache (Redis when configured, so every process reads the same);
``/metrics`` turns it into the sweep lag. Nothing here is needed for correctness: a lost
note only makes the lag look larger until the next sweep. ``media_worker_heartbeats`` is the
hook through which the media workers' heartbeats reach ``/metrics``.
"""

import time
from dataclasses import dataclass

from django.core.cache import cache

SWEEP_KEY = "heartbeat.sweep"
# Kept a day: a sweep that stopped shows as a growing lag, not as a missing figure.
KEEP_SECONDS = 24 * 3600


def note_sweep(*, at: float | None = None) -> None:
    """The queue sweep just ran (Unix time)."""
    cache.set(SWEEP_KEY, time.time() if at is None else at, timeout=KEEP_SECONDS)


def last_sweep() -> float | None:
    """Unix time of the last sweep of any process, or None when none is known."""
    value = cache.get(SWEEP_KEY)
    return float(value) if isinstance(value, int | float) else None


@dataclass(frozen=True)
class WorkerHeartbeat:
    """One media worker's last sign of life, as ``/metrics`` shows it."""

    worker: str  # the worker's name or index, as its heartbeat names it (a metric label)
    seen_at: float  # Unix time of its last heartbeat
    sessions: int | None = None  # relay sessions it holds, if it reports them


def media_worker_heartbeats() -> list[WorkerHeartbeat]:
    """HOOK for the pool of media workers with failover (issue 13, built on another branch):
    return every worker's last heartbeat, read from wherever the workers write it (Redis or
    PostgreSQL). ``/metrics`` exports ``sprechstunde_media_worker_heartbeat_timestamp_seconds``,
    ``…_heartbeat_age_seconds`` and ``…_sessions`` per worker from it. Until the workers
    announce themselves there is nothing to read: no worker series at all (not zeros, which
    would look like dead workers)."""
    return []
