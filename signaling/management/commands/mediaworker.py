"""``python manage.py mediaworker --index N``: serve ``mediaworker.N`` until SIGTERM."""

import asyncio
import signal
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from signaling.media import worker


class Command(BaseCommand):
    help = "Run a media worker (aiortc relay) for the consultations pinned to it."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--index", type=int, default=0, help="worker index, 0 … MEDIA_WORKERS - 1"
        )

    def handle(self, *args: Any, index: int, **options: Any) -> None:
        if not 0 <= index < settings.MEDIA_WORKERS:
            raise CommandError(f"--index must be between 0 and {settings.MEDIA_WORKERS - 1}")
        if settings.MEDIA_WORKER_EMBEDDED:
            self.stderr.write(
                "MEDIA_WORKER_EMBEDDED is true: the web processes serve the media channels "
                "themselves; set MEDIA_WORKER_EMBEDDED=false for them."
            )
        asyncio.run(self._serve(index))
        self.stdout.write(f"media worker {index} stopped; all peer connections closed")

    async def _serve(self, index: int) -> None:
        layer = worker.channel_layer()
        registry = worker.make_registry(layer)
        listening = asyncio.Event()
        task = asyncio.ensure_future(
            worker.serve(indexes=[index], layer=layer, registry=registry, listening=listening)
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
                self.stdout.write(f"media worker {index} serving mediaworker.{index}")
                self.stdout.flush()
            await task
        except asyncio.CancelledError:
            pass
