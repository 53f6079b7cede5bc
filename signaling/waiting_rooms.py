"""The waiting rooms of this process: one subscriber per topic, one view per change, one frame
per socket.

A waiting citizen's socket does not join the topic's group itself: the process's hub does, once
per topic, so a queue change is one channel-layer message per process instead of one per
socket. The hub reads the topic's view once (consult/queue/rooms.py: computed by one process,
cached for all) and hands every local waiting room its slice, with no database access per
socket. Changes that arrive while a view is being read and sent are coalesced into the next one,
so a burst of changes costs at most a few views per second. docs/queueing.md, "One view per
change".
"""

import asyncio
import logging
import time
import weakref
from collections.abc import Awaitable, Callable
from typing import Any

from channels.layers import BaseChannelLayer, get_channel_layer
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured

from consult import events
from consult.queue import rooms

from .base import off_thread

logger = logging.getLogger(__name__)

# After a view went out, the next one waits this long: changes meanwhile share it.
MIN_INTERVAL_SECONDS = 0.2
# Frames to local sockets between two yields to the event loop: a thousand rooms must not
# hold up a clerk's accept reply or a chat message for the whole fan-out.
SEND_BATCH = 50
# With no change event for this long, the hub reads its topics' last change times from the
# cache (one read for all) and sends a view for a change it has not handled: a change whose
# event the channel layer dropped (it delivers at most once) reaches the rooms within seconds.
REPAIR_SECONDS = 5.0
# Group memberships expire in the channel layer (channels-redis: after a day); the hub renews
# its own well before.
RENEW_SECONDS = 3600.0

Deliver = Callable[[dict[str, Any]], Awaitable[None]]


class Hub:
    """The per-process (per event loop) fan-out of topic views to waiting rooms."""

    def __init__(self, layer: BaseChannelLayer) -> None:
        self.layer = layer
        self.rooms: dict[int, dict[str, Deliver]] = {}
        self.joined_at: dict[int, float] = {}
        self.pending: dict[int, float] = {}  # topic -> the newest change's time
        self.sent: dict[int, float] = {}  # topic -> the computed_at of the last view sent
        self.handled: dict[int, float] = {}  # topic -> the newest change a view was asked for
        self.wake = asyncio.Event()
        self.membership = asyncio.Lock()
        self.channel = ""
        self.tasks: list[asyncio.Task[None]] = []

    async def enter(self, topic_id: int, key: str, deliver: Deliver) -> None:
        """``deliver`` gets every new view of the topic until ``leave``."""
        async with self.membership:
            if not self.tasks:
                # The layer's default prefix: channels-redis receives all of a process's
                # channels through one Redis list, named by that prefix.
                self.channel = await self.layer.new_channel()
                loop = asyncio.get_running_loop()
                self.tasks = [loop.create_task(self._listen()), loop.create_task(self._publish())]
            if topic_id not in self.rooms:
                self.rooms[topic_id] = {}
                await self._join(topic_id)
            self.rooms[topic_id][key] = deliver

    async def leave(self, topic_id: int, key: str) -> None:
        async with self.membership:
            room = self.rooms.get(topic_id)
            if room is None or room.pop(key, None) is None or room:
                return
            del self.rooms[topic_id]
            self.joined_at.pop(topic_id, None)
            self.sent.pop(topic_id, None)
            self.handled.pop(topic_id, None)
            await self.layer.group_discard(events.topic_group(topic_id), self.channel)
            if not self.rooms:  # nobody waits here any more: stop listening
                for task in self.tasks:
                    task.cancel()
                await asyncio.gather(*self.tasks, return_exceptions=True)
                self.tasks = []

    async def _join(self, topic_id: int) -> None:
        await self.layer.group_add(events.topic_group(topic_id), self.channel)
        self.joined_at[topic_id] = time.monotonic()
        # Earlier changes are in the places the rooms read when they enter.
        self.handled.setdefault(topic_id, time.time())

    async def _listen(self) -> None:
        """Note each change; the publisher reads the view (this loop must never wait on it)."""
        while True:
            try:
                message = await self.layer.receive(self.channel)
            except asyncio.CancelledError:
                raise
            except Exception:  # e.g. Redis restarting: try again shortly
                logger.exception("waiting rooms: receive failed")
                await asyncio.sleep(1)
                continue
            if message.get("type") == events.QueueChanged.type:
                change = events.decode(message, events.QueueChanged)
                self.pending[change.topic] = max(change.at, self.pending.get(change.topic, 0.0))
                self.wake.set()

    async def _publish(self) -> None:
        while True:
            try:
                await asyncio.wait_for(self.wake.wait(), timeout=REPAIR_SECONDS)
            except TimeoutError:
                await self._note_missed_changes()
            self.wake.clear()
            pending, self.pending = self.pending, {}
            for topic_id, changed_at in pending.items():
                if topic_id in self.rooms:
                    self.handled[topic_id] = max(changed_at, self.handled.get(topic_id, 0.0))
                    await self._send_view(topic_id, changed_at)
            await self._renew()
            await asyncio.sleep(MIN_INTERVAL_SECONDS)

    async def _note_missed_changes(self) -> None:
        """Changes noted in the cache (``events.publish_queue_changed``) whose event never
        came: as pending as if it had."""
        topics = list(self.rooms)
        keys = {events.queue_changed_key(t): t for t in topics}
        try:
            changed = await asyncio.to_thread(cache.get_many, list(keys))
        except Exception:  # e.g. Redis restarting: the next look repairs
            logger.exception("waiting rooms: reading the last changes failed")
            return
        for key, at in changed.items():
            topic_id = keys[key]
            if at > self.handled.get(topic_id, 0.0):
                self.pending[topic_id] = max(at, self.pending.get(topic_id, 0.0))

    async def _send_view(self, topic_id: int, changed_at: float) -> None:
        try:
            view = await off_thread(rooms.topic_view)(topic_id, fresh_since=changed_at)
        except Exception:
            logger.exception("waiting rooms: the view of topic %s failed", topic_id)
            return
        if self.sent.get(topic_id) == view["computed_at"]:
            return  # the rooms have this one already
        self.sent[topic_id] = view["computed_at"]
        for n, deliver in enumerate(list(self.rooms.get(topic_id, {}).values()), start=1):
            try:
                await deliver(view)
            except Exception:  # one closed socket must not cost the others their update
                logger.exception("waiting rooms: delivery failed")
            if n % SEND_BATCH == 0:
                await asyncio.sleep(0)

    async def _renew(self) -> None:
        now = time.monotonic()
        async with self.membership:
            for topic_id, joined in list(self.joined_at.items()):
                if now - joined > RENEW_SECONDS:
                    await self._join(topic_id)


_hubs: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Hub]" = weakref.WeakKeyDictionary()


def hub() -> Hub:
    """This event loop's hub (one per process in production; tests run a loop per test)."""
    loop = asyncio.get_running_loop()
    found = _hubs.get(loop)
    if found is None:
        layer = get_channel_layer()
        if layer is None:
            raise ImproperlyConfigured("The waiting rooms need a channel layer.")
        found = _hubs[loop] = Hub(layer)
    return found
