"""When the background work last ran, for the operator's ``/metrics`` (docs/observability.md).

A base module: it imports no subdomain package. The leading web process notes the end of
every queue sweep in the cache (Redis when configured, so every process reads the same);
``/metrics`` turns it into the sweep lag. Nothing here is needed for correctness: a lost
note only makes the lag look larger until the next sweep.
"""

import time

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
