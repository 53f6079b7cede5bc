"""Open sockets per citizen token, counted over every process: numbered slots in the cache.

A socket takes the first free of ``WS_SOCKETS_PER_TOKEN`` slots with an atomic ``add`` (Redis
when configured, so every process counts together). Its process renews all the slots it holds
in one ``set_many`` every ``RENEW_SECONDS``; the slots of a process that died lapse after
``LEASE_SECONDS``. One socket more is refused (close code 4029, docs/protocol.md). The cache
calls run on a worker thread, never on the event loop and never on Channels' shared database
thread.
"""

import asyncio
import logging
import weakref

from django.conf import settings
from django.core.cache import cache

logger = logging.getLogger(__name__)

# A slot lapses this long after its last renewal (a process that died gives nothing back).
LEASE_SECONDS = 60.0
# Every process renews the slots of its sockets this often.
RENEW_SECONDS = 20.0


def _slot_key(credential: str, n: int) -> str:
    return f"ws.socket.{credential}.{n}"


def _take(credential: str, channel: str) -> str | None:
    for n in range(settings.WS_SOCKETS_PER_TOKEN):
        key = _slot_key(credential, n)
        if cache.add(key, channel, timeout=LEASE_SECONDS):
            return key
    return None


def _give_back(key: str, channel: str) -> None:
    if cache.get(key) == channel:  # not a slot that lapsed and was taken by another socket
        cache.delete(key)


def holders(credential: str) -> list[str]:
    """The channels that hold a slot of this credential (any process)."""
    keys = [_slot_key(credential, n) for n in range(settings.WS_SOCKETS_PER_TOKEN)]
    return list(cache.get_many(keys).values())


class Leases:
    """The slots this process's (event loop's) sockets hold, renewed together."""

    def __init__(self) -> None:
        self.held: dict[str, str] = {}  # channel -> slot key
        self.task: asyncio.Task[None] | None = None

    async def take(self, credential: str, channel: str) -> bool:
        """A slot for this socket, or False when the credential has all its sockets open."""
        key = await asyncio.to_thread(_take, credential, channel)
        if key is None:
            return False
        self.held[channel] = key
        if self.task is None or self.task.done():
            self.task = asyncio.get_running_loop().create_task(self._renew())
        return True

    async def give_back(self, channel: str) -> None:
        key = self.held.pop(channel, None)
        if not self.held and self.task is not None:
            self.task.cancel()
            self.task = None
        if key is not None:
            await asyncio.to_thread(_give_back, key, channel)

    async def _renew(self) -> None:
        while True:
            await asyncio.sleep(RENEW_SECONDS)
            slots = {key: channel for channel, key in self.held.items()}
            try:
                await asyncio.to_thread(cache.set_many, slots, LEASE_SECONDS)
            except Exception:  # e.g. Redis restarting: the next round renews them
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
