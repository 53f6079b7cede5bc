"""Background loops of a web process: the queue sweep and consoles' heartbeats.

Deadlines live in the database, so any process may enforce them; every process that serves
websockets runs one sweep loop (started by the first consumer that connects).
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable

from channels.db import database_sync_to_async
from django.conf import settings

from consult.queue import sweep

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
        run = database_sync_to_async(sweep.sweep)
        _sweepers[loop] = loop.create_task(every(interval, run, "queue sweep"))
