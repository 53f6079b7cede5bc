"""The media worker: serves ``mediaworker.<id>`` on the channel layer (docs/media.md).

Each command runs in a task of its own, after the earlier commands of the same
consultation; nothing a client sends can stop the loop, nor can a Redis restart. Beside
the loop, a heartbeat announces the worker and its sessions to the pool (pool.py).
"""

import asyncio
import contextlib
import logging
import secrets
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import redis
from aiortc import RTCIceServer
from channels.layers import BaseChannelLayer, get_channel_layer
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from . import messages
from .pool import Pool
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
            logger.warning("%s: Redis unreachable (%s); retrying", self.what, type(error).__name__)
        await asyncio.sleep(self.pause)
        self.pause = min(self.pause * 2, RETRY_MAX_SECONDS)

    def succeeded(self) -> None:
        if self.since is not None:
            down = asyncio.get_running_loop().time() - self.since
            logger.warning("%s: Redis reachable again after %.1f s", self.what, down)
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


async def once_more(operation: Callable[..., Awaitable[None]], *args: Any) -> None:
    """Run a channel-layer send, and again if the connection it took was dead: after a Redis
    restart the first command on each pooled connection fails ("Connection closed by
    server"; channels-redis does not retry) and the next one connects anew."""
    try:
        await operation(*args)
    except (redis.ConnectionError, ConnectionError):
        await operation(*args)


def channel_layer() -> BaseChannelLayer:
    layer = get_channel_layer()
    if layer is None:
        raise ImproperlyConfigured("the media worker needs CHANNEL_LAYERS")
    return layer


def make_registry(layer: BaseChannelLayer) -> Registry:
    async def notify(group: str, message: dict[str, Any]) -> None:
        await once_more(layer.group_send, group, message)

    return Registry(ice_servers=ice_servers(), notify=notify)


def new_worker_id(name: str) -> str:
    """A worker's id: its name (an index) and a part new for every start, so that a worker
    restarted under the same name is not taken for the one that died holding calls."""
    return f"{name}-{secrets.token_hex(3)}"


def worker_channel(worker_id: str) -> str:
    return f"mediaworker.{worker_id}"


class MediaWorker:
    """Receives commands on one worker channel and answers to their reply groups."""

    def __init__(
        self, *, worker_id: str, layer: BaseChannelLayer, registry: Registry, pool: Pool
    ) -> None:
        self.id = worker_id
        self.channel = worker_channel(worker_id)
        self.layer = layer
        self.pool = pool
        self._first: Any = None  # a message ``listening`` received and ``run`` still owes
        self.registry = registry
        self.held: set[int] = set()  # consultations whose session this worker runs
        self.outage = Outage(f"media worker {worker_id}")
        self._tasks: set[asyncio.Task[None]] = set()

    async def listening(self) -> None:
        """Return once the layer delivers this worker's channel to it.

        Redis pub/sub (``CHANNEL_LAYER=pubsub``) keeps nothing for a channel nobody has
        subscribed to yet, and a subscription starts with the first ``receive``: so the
        worker sends itself a probe until one comes back. Probes that arrive later are
        dropped by ``run``."""
        outage = self.outage
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
        outage = self.outage
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

    async def beat(self) -> None:
        """Tell the pool this worker lives and what it runs; close the sessions the pool
        has moved to another worker meanwhile (this one was taken for dead)."""
        lost = await self.pool.beat(worker=self.id, sessions=sorted(self.held))
        for consultation in lost:
            logger.warning(
                "media worker %s: consultation %s moved to another worker; closing it here",
                self.id,
                consultation,
            )
            async with self.registry.serialised(consultation):
                self.held.discard(consultation)
                await self.registry.close(consultation_id=consultation)

    async def heartbeat(self) -> None:
        """Beat every ``MEDIA_HEARTBEAT_SECONDS`` until cancelled, through Redis outages."""
        while True:
            await asyncio.sleep(settings.MEDIA_HEARTBEAT_SECONDS)
            try:
                await self.beat()
            except asyncio.CancelledError:
                raise
            except Exception as error:
                await self.outage.failed(error)
            else:
                self.outage.succeeded()

    async def leave(self) -> None:
        """Stopping: the pool places nothing more here (best effort, Redis may be down)."""
        try:
            await asyncio.wait_for(self.pool.leave(worker=self.id), 2)
        except Exception:
            logger.info("media worker %s: could not leave the pool", self.id)

    async def handle(self, message: Any) -> None:
        try:
            command = messages.decode_command(message)
            async with self.registry.serialised(command.consultation):
                try:
                    await self._run(command)
                finally:
                    await self._track(command.consultation)
        except messages.InvalidCommand as error:
            await self._fail(message, error.reason)
        except SessionError as error:
            await self._fail(message, error.reason)
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.exception("media worker %s: command failed", self.id)
            await self._fail(message, "internal_error")

    async def _track(self, consultation: int) -> None:
        """After a command: a session that runs here is held, one that does not is
        released in the pool (its pin goes, so its load does)."""
        if consultation in self.registry.sessions:
            self.held.add(consultation)
            return
        self.held.discard(consultation)
        try:
            await self.pool.release(consultation=consultation, worker=self.id)
        except Exception:
            logger.info("media worker %s: could not release a pin (Redis down?)", self.id)

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
            await once_more(self.layer.group_send, command.reply_group, reply)
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
        logger.info("media worker %s: refused a command (%s)", self.id, reason)
        if group is None:
            return
        fields = message if isinstance(message, dict) else {}
        reply = messages.failed(
            consultation=fields.get("consultation"), party=fields.get("party"), reason=reason
        )
        try:
            await once_more(self.layer.group_send, group, reply)
        except Exception:
            logger.exception("media worker %s: could not report a failure", self.id)


async def serve(
    *,
    worker_ids: list[str],
    layer: BaseChannelLayer,
    registry: Registry,
    pool: Pool,
    listening: asyncio.Event | None = None,
) -> None:
    """Run the workers ``worker_ids`` until cancelled, then close every session; set
    ``listening`` once every worker's channel is delivered to it and the pool knows it."""
    workers = [
        MediaWorker(worker_id=w, layer=layer, registry=registry, pool=pool) for w in worker_ids
    ]
    try:
        await asyncio.gather(*(worker.listening() for worker in workers))
        for worker in workers:
            with contextlib.suppress(Exception):  # Redis down: the heartbeat retries
                await worker.beat()
        if listening is not None:
            listening.set()
        await asyncio.gather(*(w.run() for w in workers), *(w.heartbeat() for w in workers))
    finally:
        await asyncio.shield(_stop(workers, registry))


async def _stop(workers: list[MediaWorker], registry: Registry) -> None:
    await asyncio.gather(*(worker.leave() for worker in workers))
    await registry.close_all()
