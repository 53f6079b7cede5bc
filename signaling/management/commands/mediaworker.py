"""``python manage.py mediaworker --index N``: a worker of the media pool until SIGTERM.

Its id is ``N-<random>`` (new at every start), its channel ``mediaworker.<id>``; it joins the
pool with its heartbeat (docs/media.md, "The pool")."""

import asyncio
import signal
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from signaling.media import worker
from signaling.media.pool import pool


class Command(BaseCommand):
    help = "Run a media worker (aiortc relay) of the pool; relay sessions are placed on it."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--index", type=int, default=0, help="the worker's number on this host (its name)"
        )

    def handle(self, *args: Any, index: int, **options: Any) -> None:
        if not 0 <= index < 10_000:
            raise CommandError("--index must be between 0 and 9999")
        if settings.MEDIA_WORKER_EMBEDDED:
            self.stderr.write(
                "MEDIA_WORKER_EMBEDDED is true: the web processes serve the media channels "
                "themselves; set MEDIA_WORKER_EMBEDDED=false for them."
            )
        worker_id = worker.new_worker_id(str(index))
        asyncio.run(self._serve(worker_id))
        self.stdout.write(f"media worker {worker_id} stopped; all peer connections closed")

    async def _serve(self, worker_id: str) -> None:
        layer = worker.channel_layer()
        registry = worker.make_registry(layer)
        listening = asyncio.Event()
        task = asyncio.ensure_future(
            worker.serve(
                worker_ids=[worker_id],
                layer=layer,
                registry=registry,
                pool=pool(),
                listening=listening,
            )
        )
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, task.cancel)
        try:
            # "serving" once commands reach it: on Redis pub/sub one sent earlier is lost.
            await asyncio.wait(
                {task, asyncio.ensure_future(listening.wait())}, return_when=asyncio.FIRST_COMPLETED
            )
            if listening.is_set():
                channel = worker.worker_channel(worker_id)
                self.stdout.write(f"media worker {worker_id} serving {channel}")
                self.stdout.flush()
            await task
        except asyncio.CancelledError:
            pass
