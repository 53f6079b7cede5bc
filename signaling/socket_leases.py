"""Open sockets per citizen token, counted over every process: numbered slots in the cache.

A socket takes the first free of ``WS_SOCKETS_PER_TOKEN`` slots with an atomic ``add`` (Redis
when configured, so every process counts together). Its process renews all the slots it holds
in one ``set_many`` every ``RENEW_SECONDS``, and notes in the same round that those citizens are
there (consult/queue/presence.py, one statement); the slots of a process that died lapse after
``LEASE_SECONDS``. One socket more is refused (close code 4029, docs/protocol.md). The cache
calls run on a worker thread, never on the event loop and never on Channels' shared database
thread.
"""

import asyncio
import logging
import weakref

from django.conf import settings
from django.core.cache import cache

from consult.queue import presence

from .base import off_thread

logger = logging.getLogger(__name__)

# A slot lapses this long after its last renewal (a process that died gives nothing back).
LEASE_SECONDS = 60.0
# Every process renews the slots of its sockets this often.
RENEW_SECONDS = 20.0


def _slot_key(consultation_id: int, n: int) -> str:
    return f"ws.socket.consultation.{consultation_id}.{n}"


def _renew_seconds() -> float:
    """Often enough that a citizen who is there is never taken for gone."""
    return min(RENEW_SECONDS, settings.CITIZEN_GRACE_SECONDS / 3)


def _take(consultation_id: int, channel: str) -> str | None:
    for n in range(settings.WS_SOCKETS_PER_TOKEN):
        key = _slot_key(consultation_id, n)
        if cache.add(key, channel, timeout=LEASE_SECONDS):
            return key
    return None


def _give_back(key: str, channel: str, consultation_id: int) -> bool:
    """Free the slot; True when the citizen holds no other."""
    if cache.get(key) == channel:  # not a slot that lapsed and was taken by another socket
        cache.delete(key)
    return not holders(consultation_id)


def holders(consultation_id: int) -> list[str]:
    """The channels that hold a slot of this citizen (any process)."""
    keys = [_slot_key(consultation_id, n) for n in range(settings.WS_SOCKETS_PER_TOKEN)]
    return list(cache.get_many(keys).values())


class Leases:
    """The slots this process's (event loop's) sockets hold, renewed together."""

    def __init__(self) -> None:
        self.held: dict[str, tuple[str, int]] = {}  # channel -> (slot key, consultation)
        self.task: asyncio.Task[None] | None = None

    async def take(self, consultation_id: int, channel: str) -> bool:
        """A slot for this socket, or False when the citizen has all their sockets open."""
        key = await asyncio.to_thread(_take, consultation_id, channel)
        if key is None:
            return False
        self.held[channel] = (key, consultation_id)
        if self.task is None or self.task.done():
            self.task = asyncio.get_running_loop().create_task(self._renew())
        return True

    async def give_back(self, channel: str) -> bool:
        """Free this socket's slot; True when it was the citizen's last open socket."""
        held = self.held.pop(channel, None)
        if not self.held and self.task is not None:
            self.task.cancel()
            self.task = None
        if held is None:
            return False
        key, consultation_id = held
        return await asyncio.to_thread(_give_back, key, channel, consultation_id)

    async def _renew(self) -> None:
        note_seen = off_thread(presence.note_citizens_seen)
        while True:
            await asyncio.sleep(_renew_seconds())
            held = list(self.held.items())
            try:
                slots = {key: channel for channel, (key, _id) in held}
                await asyncio.to_thread(cache.set_many, slots, LEASE_SECONDS)
                await note_seen(consultation_ids={cid for _channel, (_key, cid) in held})
            except asyncio.CancelledError:
                raise
            except Exception:  # e.g. Redis or PostgreSQL restarting: the next round renews
                logger.exception("socket leases: renewal failed")


_leases: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Leases]" = (
    weakref.WeakKeyDictionary()
)


def leases() -> Leases:
    """This event loop's leases (one per process in production; tests run a loop per test)."""
    loop = asyncio.get_running_loop()
    found = _leases.get(loop)
    if found is None:
        found = _leases[loop] = Leases()
    return found
