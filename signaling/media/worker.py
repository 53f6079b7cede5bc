"""The media worker: serves ``mediaworker.<index>`` on the channel layer (docs/media.md).

Each command runs in a task of its own, after the earlier commands of the same
consultation; nothing a client sends can stop the loop.
"""

import asyncio
import logging
from pathlib import Path
from typing import Any

from aiortc import RTCIceServer
from channels.layers import BaseChannelLayer, get_channel_layer
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from . import messages
from .registry import Registry
from .session import SessionError

logger = logging.getLogger(__name__)

# What a worker sends itself until its channel is delivered to it (``MediaWorker.listening``).
PROBE = "media.probe"
PROBE_INTERVAL_SECONDS = 0.05
# While the channel layer is unreachable (a Redis restart), the loop retries after these
# pauses, doubling up to the last.
RETRY_FIRST_SECONDS = 0.1
RETRY_MAX_SECONDS = 2.0


class Outage:
    """Retries with backoff while the channel layer is down; logs once per outage (when it
    starts and when it ends), not once per retry."""

    def __init__(self, what: str) -> None:
        self.what = what
        self.since: float | None = None
        self.pause = RETRY_FIRST_SECONDS

    async def failed(self, error: BaseException) -> None:
        loop = asyncio.get_running_loop()
        if self.since is None:
            self.since = loop.time()
            logger.warning(
                "%s: channel layer unreachable (%s); retrying", self.what, type(error).__name__
            )
        await asyncio.sleep(self.pause)
        self.pause = min(self.pause * 2, RETRY_MAX_SECONDS)

    def succeeded(self) -> None:
        if self.since is not None:
            down = asyncio.get_running_loop().time() - self.since
            logger.warning("%s: channel layer reachable again after %.1f s", self.what, down)
            self.since, self.pause = None, RETRY_FIRST_SECONDS


def ice_servers() -> list[RTCIceServer]:
    """The worker's own ICE servers from ``settings.MEDIA_ICE_SERVERS`` (default none)."""
    servers = settings.MEDIA_ICE_SERVERS
    if not isinstance(servers, list) or not all(
        isinstance(s, dict) and isinstance(s.get("urls"), str | list) for s in servers
    ):
        raise ImproperlyConfigured('MEDIA_ICE_SERVERS must be a JSON list like [{"urls": "…"}]')
    return [
        RTCIceServer(urls=s["urls"], username=s.get("username"), credential=s.get("credential"))
        for s in servers
    ]


def channel_layer() -> BaseChannelLayer:
    layer = get_channel_layer()
    if layer is None:
        raise ImproperlyConfigured("the media worker needs CHANNEL_LAYERS")
    return layer


def make_registry(layer: BaseChannelLayer) -> Registry:
    return Registry(ice_servers=ice_servers(), notify=layer.group_send)


class MediaWorker:
    """Receives commands on one worker channel and answers to their reply groups."""

    def __init__(self, *, index: int, layer: BaseChannelLayer, registry: Registry) -> None:
        self.index = index
        self.channel = f"mediaworker.{index}"
        self.layer = layer
        self._first: Any = None  # a message ``listening`` received and ``run`` still owes
        self.registry = registry
        self._tasks: set[asyncio.Task[None]] = set()

    async def listening(self) -> None:
        """Return once the layer delivers this worker's channel to it.

        Redis pub/sub (``CHANNEL_LAYER=pubsub``) keeps nothing for a channel nobody has
        subscribed to yet, and a subscription starts with the first ``receive``: so the
        worker sends itself a probe until one comes back. Probes that arrive later are
        dropped by ``run``."""
        outage = Outage(f"media worker {self.index}")
        while self._first is None:
            receiving = asyncio.ensure_future(self.layer.receive(self.channel))
            try:
                while not receiving.done():
                    await self.layer.send(self.channel, {"type": PROBE})
                    await asyncio.wait({receiving}, timeout=PROBE_INTERVAL_SECONDS)
                self._first = receiving.result()
            except asyncio.CancelledError:
                receiving.cancel()
                raise
            except Exception as error:  # Redis down while starting: wait for it
                receiving.cancel()
                await asyncio.gather(receiving, return_exceptions=True)
                await outage.failed(error)
        outage.succeeded()

    async def run(self) -> None:
        """Serve until cancelled; then let running commands finish being cancelled."""
        outage = Outage(f"media worker {self.index}")
        try:
            await self.listening()
            while True:
                message, self._first = self._first, None
                if message is None:
                    try:
                        message = await self.layer.receive(self.channel)
                    except asyncio.CancelledError:
                        raise
                    except Exception as error:  # Redis restarted: reconnect and carry on
                        await outage.failed(error)
                        continue
                    outage.succeeded()
                if isinstance(message, dict) and message.get("type") == PROBE:
                    continue
                task = asyncio.ensure_future(self.handle(message))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)
        finally:
            for task in list(self._tasks):
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def handle(self, message: Any) -> None:
        try:
            command = messages.decode_command(message)
            if command.consultation % settings.MEDIA_WORKERS != self.index:
                raise messages.InvalidCommand("wrong_worker")
            async with self.registry.serialised(command.consultation):
                await self._run(command)
        except messages.InvalidCommand as error:
            await self._fail(message, error.reason)
        except SessionError as error:
            await self._fail(message, error.reason)
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.exception("media worker %s: command failed", self.index)
            await self._fail(message, "internal_error")

    async def _run(self, command: messages.Command) -> None:
        if isinstance(command, messages.Offer):
            session = self.registry.session(command.consultation)
            try:
                sdp = await session.accept_offer(
                    party=command.party, sdp=command.sdp, reply_group=command.reply_group
                )
            finally:
                if session.empty:
                    await self.registry.close(consultation_id=command.consultation)
            reply = messages.answer(consultation=command.consultation, party=command.party, sdp=sdp)
            await self.layer.group_send(command.reply_group, reply)
        elif isinstance(command, messages.RecordStart):
            relative = str(command.recording)
            self.registry.session(command.consultation).start_recording(
                recording_id=command.recording,
                directory=Path(settings.RECORDINGS_DIR) / relative,
                relative_dir=relative,
                reply_group=command.reply_group,
            )
        elif isinstance(command, messages.RecordDiscard):
            running = self.registry.sessions.get(command.consultation)
            if running is not None:
                await running.discard_recording(recording_id=command.recording)
        elif isinstance(command, messages.RecordStop):
            running = self.registry.sessions.get(command.consultation)
            if running is not None:
                await running.stop_recording(recording_id=command.recording)
        elif isinstance(command, messages.Hangup):
            await self.registry.hangup(consultation_id=command.consultation, party=command.party)
        else:
            await self.registry.close(consultation_id=command.consultation)

    async def _fail(self, message: Any, reason: str) -> None:
        group = messages.reply_group_of(message)
        logger.info("media worker %s: refused a command (%s)", self.index, reason)
        if group is None:
            return
        fields = message if isinstance(message, dict) else {}
        reply = messages.failed(
            consultation=fields.get("consultation"), party=fields.get("party"), reason=reason
        )
        try:
            await self.layer.group_send(group, reply)
        except Exception:
            logger.exception("media worker %s: could not report a failure", self.index)


async def serve(
    *,
    indexes: list[int],
    layer: BaseChannelLayer,
    registry: Registry,
    listening: asyncio.Event | None = None,
) -> None:
    """Run the workers for ``indexes`` until cancelled, then close every session; set
    ``listening`` once every worker's channel is delivered to it."""
    workers = [MediaWorker(index=i, layer=layer, registry=registry) for i in indexes]
    try:
        await asyncio.gather(*(worker.listening() for worker in workers))
        if listening is not None:
            listening.set()
        await asyncio.gather(*(worker.run() for worker in workers))
    finally:
        await asyncio.shield(registry.close_all())
