"""What consumers call to reach the media worker of a consultation.

With ``settings.MEDIA_WORKER_EMBEDDED`` the workers run inside the calling process, started
on first use in its event loop; otherwise ``python manage.py mediaworker`` processes serve
the pool (pool.py picks the worker).
"""

import asyncio
import logging
import threading
from typing import Any

from django.conf import settings

from . import messages, worker
from .pool import NoWorker, pool
from .registry import Registry

logger = logging.getLogger(__name__)
_embedded: dict[asyncio.AbstractEventLoop, tuple[asyncio.Task[None], Registry, asyncio.Event]] = {}
LISTENING_TIMEOUT_SECONDS = 10


__all__ = ["NoWorker", "send_to_worker"]


async def send_to_worker(*, consultation_id: int, message: dict[str, Any]) -> None:
    """Send a ``media.*`` command to the worker holding the consultation; an offer or a
    recording start places it on the least-loaded live worker first. ``NoWorker`` when it
    needs a worker and none is alive; a command for a session no live worker runs (a hangup
    after its worker died) is dropped: there is nothing to act on."""
    if settings.MEDIA_WORKER_EMBEDDED:
        ensure_embedded_workers()
        await embedded_workers_listening()
    if message.get("type") in messages.PLACING:
        worker_id: str | None = await pool().place(consultation=consultation_id)
    else:
        worker_id = await pool().pinned(consultation=consultation_id)
    if worker_id is None:
        logger.info("media: no worker runs consultation %s; command dropped", consultation_id)
        return
    await worker.once_more(worker.channel_layer().send, worker.worker_channel(worker_id), message)


def ensure_embedded_workers() -> Registry:
    """Start every worker loop in the running event loop unless already running there."""
    loop = asyncio.get_running_loop()
    for closed in [other for other in _embedded if other.is_closed()]:
        del _embedded[closed]
    running = _embedded.get(loop)
    if running is not None and not running[0].done():
        return running[1]
    layer = worker.channel_layer()
    registry = worker.make_registry(layer)
    worker_ids = [worker.new_worker_id(f"embedded{i}") for i in range(settings.MEDIA_WORKERS)]
    listening = asyncio.Event()
    task = loop.create_task(
        worker.serve(
            worker_ids=worker_ids,
            layer=layer,
            registry=registry,
            pool=pool(),
            listening=listening,
        )
    )
    _embedded[loop] = (task, registry, listening)
    return registry


async def embedded_workers_listening() -> None:
    """Wait until this loop's embedded workers receive their channels: on Redis pub/sub a
    command sent before would be lost."""
    listening = _embedded[asyncio.get_running_loop()][2]
    if not listening.is_set():
        await asyncio.wait_for(listening.wait(), LISTENING_TIMEOUT_SECONDS)


async def stop_embedded_workers() -> None:
    """Stop this loop's embedded workers and close their peer connections."""
    running = _embedded.pop(asyncio.get_running_loop(), None)
    if running is not None:
        running[0].cancel()
        await asyncio.gather(running[0], return_exceptions=True)


def _release_at_exit() -> None:
    # aiortc's decoder threads are not daemons: without this, a process whose loop stopped
    # with connections still open would wait for them forever after SIGTERM.
    for _task, registry, _listening in list(_embedded.values()):
        registry.release_threads()


threading._register_atexit(_release_at_exit)  # type: ignore[attr-defined]
