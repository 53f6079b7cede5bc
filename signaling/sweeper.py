"""Background loops of a web process: the queue sweep and consoles' heartbeats.

Deadlines live in the database, so any process may enforce them, but one does: every process
that serves websockets runs a sweep loop (started by the first consumer that connects), and
only the one that holds the leadership lock (signaling/leader.py) sweeps; when it dies,
another takes over at its next tick. Every process's loop (leader or not) also moves the
calls of media workers whose heartbeat stopped to live workers (docs/media.md, "Failover"):
a compare-and-set in Redis gives each call to one process, so it is told once, and a
deployment whose leader runs under another ``CHANNEL_PREFIX`` still fails over. The leader
also registers recordings whose live report was lost (consult/recording/reconcile.py) every
``RECORDINGS_RECONCILE_SECONDS``, and notes when it last swept (consult/heartbeats.py: the
sweep lag of ``/metrics``).
"""

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

from django.conf import settings

from consult import heartbeats
from consult.queue import sweep, video
from consult.recording.reconcile import reconcile_recordings

from .base import off_thread
from .leader import Leadership
from .media.pool import pool

logger = logging.getLogger(__name__)
_sweepers: dict[asyncio.AbstractEventLoop, asyncio.Task[None]] = {}


async def every(seconds: float, action: Callable[[], Awaitable[object]], what: str) -> None:
    """Run ``action`` every ``seconds`` until cancelled; failures are logged, not fatal."""
    while True:
        try:
            await action()
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.exception("%s failed", what)
        await asyncio.sleep(seconds)


def ensure_sweeping() -> None:
    interval = settings.QUEUE_SWEEP_SECONDS
    if interval <= 0:
        return
    loop = asyncio.get_running_loop()
    task = _sweepers.get(loop)
    if task is None or task.done():
        _sweepers[loop] = loop.create_task(_lead_and_sweep(interval))


async def move_calls_of_dead_media_workers() -> list[int]:
    """The relay sessions of media workers whose heartbeat stopped are pinned to live
    workers; each consultation's log says so, which makes both browsers connect to the relay
    anew (signaling/videocall.py, ``relay_moved``). Returns the consultations moved."""
    moved = await pool().fail_over()
    record = off_thread(video.record_relay_moved)
    for consultation, _worker in moved:
        await record(consultation_id=consultation)
    return [consultation for consultation, _worker in moved]


async def _lead_and_sweep(interval: float) -> None:
    leadership = Leadership()
    run = off_thread(sweep.sweep)
    media_failing = False  # Redis is down: say so once, not every tick
    reconcile = off_thread(reconcile_recordings)
    reconciled_at = float("-inf")

    async def tick() -> None:
        nonlocal media_failing, reconciled_at
        try:
            await move_calls_of_dead_media_workers()
        except Exception as error:
            if not media_failing:
                logger.warning("media failover check failed (%s)", type(error).__name__)
            media_failing = True
        else:
            media_failing = False
        if not await asyncio.to_thread(leadership.check):
            return
        await run()
        await asyncio.to_thread(heartbeats.note_sweep)
        every_seconds = settings.RECORDINGS_RECONCILE_SECONDS
        if every_seconds > 0 and time.monotonic() - reconciled_at >= every_seconds:
            reconciled_at = time.monotonic()
            await reconcile()

    try:
        await every(interval, tick, "queue sweep")
    finally:
        leadership.close()
