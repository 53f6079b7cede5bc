"""The pool of media workers: who is alive, how loaded, and which one holds a consultation
(docs/media.md, "The pool").

Every worker announces itself every ``MEDIA_HEARTBEAT_SECONDS`` with a key that expires
after ``MEDIA_WORKER_TTL_SECONDS``: a worker whose key is gone is dead. A consultation's
relay session is *pinned* to one worker: the first command that needs a session (an offer,
a recording start) places it on the least-loaded live worker, later commands go to the same
worker. A worker's load is the number of consultations pinned to it (counted at placement,
before the session even exists, so a burst of calls spreads at once). When a worker dies,
``fail_over`` pins its consultations to live workers and returns them; the caller tells the
parties to connect again.

With ``REDIS_URL`` the pool lives in Redis (every web process and worker sees it); without
it (the embedded default, one process) in this process's memory, where the embedded workers
are always live.

Redis keys (below ``<CHANNEL_PREFIX>:media:``): ``workers`` (set of every id seen),
``alive:<id>`` (expiring, the heartbeat, its value the number of sessions the worker runs),
``held:<id>`` (set of the consultations pinned to it), ``pin:<consultation>`` (a worker id).
"""

import asyncio
import logging
from dataclasses import dataclass, field

import redis
import redis.asyncio as aioredis
from django.conf import settings
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff

logger = logging.getLogger(__name__)


class NoWorker(Exception):
    """No live media worker: the relay cannot take a call now."""


# Pin a consultation to ``new`` if its pin is still ``expected`` ("" for none): one atomic
# step, so two web processes placing the same consultation at once agree on one worker.
# Returns 1 if it did, 0 if the pin was something else. KEYS: pin, held:<new>,
# held:<expected or new>.
_PLACE = """
local current = redis.call('GET', KEYS[1]) or ''
if current ~= ARGV[2] then return 0 end
redis.call('SET', KEYS[1], ARGV[1])
if current ~= '' then redis.call('SREM', KEYS[3], ARGV[3]) end
redis.call('SADD', KEYS[2], ARGV[3])
return 1
"""
# Unpin a consultation if ``worker`` holds it. KEYS: pin, held:<worker>.
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
redis.call('SREM', KEYS[2], ARGV[2])
return 0
"""


class Pool:
    """The interface every backend offers (``pool()`` picks one)."""

    async def beat(self, *, worker: str, sessions: list[int]) -> list[int]:
        """The worker is alive and runs these sessions (pins lost with a Redis restart come
        back). Returns the sessions pinned to another worker meanwhile (this one was taken
        for dead and its consultations moved): the worker closes them."""
        raise NotImplementedError

    async def leave(self, *, worker: str) -> None:
        """The worker stops: place nothing more on it."""
        raise NotImplementedError

    async def live(self) -> dict[str, int]:
        """Live workers and their load (consultations pinned to each)."""
        raise NotImplementedError

    async def pinned(self, *, consultation: int) -> str | None:
        """The live worker holding the consultation, if any."""
        raise NotImplementedError

    async def place(self, *, consultation: int) -> str:
        """The live worker holding the consultation, else pin it to the least-loaded live
        worker; ``NoWorker`` if none is alive."""
        for _attempt in range(5):
            live = await self.live()
            current = await self._pin(consultation)
            if current in live:
                return current
            if not live:
                raise NoWorker
            candidate = min(live, key=lambda worker: (live[worker], worker))
            if await self._swap(consultation, expected=current or "", new=candidate):
                return candidate
        raise NoWorker  # the pin kept changing under us: give up this once

    async def release(self, *, consultation: int, worker: str) -> None:
        """The worker no longer runs the consultation's session."""
        raise NotImplementedError

    async def fail_over(self) -> list[tuple[int, str]]:
        """Pin the consultations of dead workers to live ones; returns (consultation, new
        worker) for each one this call moved. Any number of processes may call it at once:
        each consultation is moved by one of them (compare-and-set from the dead worker),
        so the caller that got it tells its parties, once. A dead worker is forgotten once
        nothing is pinned to it; without a live worker nothing moves (the next call tries
        again)."""
        moved: list[tuple[int, str]] = []
        for dead, consultations in (await self._orphans()).items():
            for consultation in consultations:
                live = await self.live()
                if not live:
                    return moved
                worker = min(live, key=lambda w: (live[w], w))
                if not await self._swap(consultation, expected=dead, new=worker):
                    await self._unhold(dead, consultation)  # moved or ended meanwhile
                    continue
                moved.append((consultation, worker))
                logger.warning(
                    "media worker %s is gone: consultation %s moves to %s",
                    *(dead, consultation, worker),
                )
            await self._forget(dead)
        return moved

    async def _pin(self, consultation: int) -> str | None:
        raise NotImplementedError

    async def _swap(self, consultation: int, *, expected: str, new: str) -> bool:
        """Pin to ``new`` if the pin is ``expected`` ("" for none); whether it did."""
        raise NotImplementedError

    async def _orphans(self) -> dict[str, list[int]]:
        raise NotImplementedError

    async def _forget(self, worker: str) -> None:
        raise NotImplementedError

    async def _unhold(self, worker: str, consultation: int) -> None:
        raise NotImplementedError


@dataclass
class LocalPool(Pool):
    """One process, the embedded workers: always live while they run."""

    workers: set[str] = field(default_factory=set)
    pins: dict[int, str] = field(default_factory=dict)

    async def beat(self, *, worker: str, sessions: list[int]) -> list[int]:
        self.workers.add(worker)
        return [c for c in sessions if self.pins.setdefault(c, worker) != worker]

    async def leave(self, *, worker: str) -> None:
        self.workers.discard(worker)

    async def live(self) -> dict[str, int]:
        load = dict.fromkeys(self.workers, 0)
        for worker in self.pins.values():
            if worker in load:
                load[worker] += 1
        return load

    async def pinned(self, *, consultation: int) -> str | None:
        worker = self.pins.get(consultation)
        return worker if worker in self.workers else None

    async def release(self, *, consultation: int, worker: str) -> None:
        if self.pins.get(consultation) == worker:
            del self.pins[consultation]

    async def _pin(self, consultation: int) -> str | None:
        return self.pins.get(consultation)

    async def _swap(self, consultation: int, *, expected: str, new: str) -> bool:
        if self.pins.get(consultation, "") != expected:
            return False
        self.pins[consultation] = new
        return True

    async def _orphans(self) -> dict[str, list[int]]:
        return {}  # embedded workers die with the process that asks

    async def _forget(self, worker: str) -> None:
        pass

    async def _unhold(self, worker: str, consultation: int) -> None:
        pass


class RedisPool(Pool):
    """Shared by every process through Redis."""

    def __init__(self, *, url: str, prefix: str, ttl_seconds: float) -> None:
        # After a Redis restart the first command on each pooled connection fails
        # ("Connection closed by server"): retried on a new connection, not raised.
        self.redis = aioredis.Redis.from_url(
            url,
            socket_timeout=5,
            socket_connect_timeout=5,
            decode_responses=True,
            retry=Retry(ExponentialBackoff(cap=1, base=0.05), retries=2),
            retry_on_error=[redis.ConnectionError],
        )
        self.prefix = f"{prefix}:media:"
        self.ttl_ms = int(ttl_seconds * 1000)
        self._place = self.redis.register_script(_PLACE)
        self._release = self.redis.register_script(_RELEASE)

    def _key(self, *parts: object) -> str:
        return self.prefix + ":".join(str(p) for p in parts)

    async def beat(self, *, worker: str, sessions: list[int]) -> list[int]:
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.set(self._key("alive", worker), len(sessions), px=self.ttl_ms)
            pipe.sadd(self._key("workers"), worker)
            for consultation in sessions:
                pipe.set(self._key("pin", consultation), worker, nx=True)
                pipe.get(self._key("pin", consultation))
            replies = await pipe.execute()
        owners = [value or "" for value in replies[3::2]]
        mine = [c for c, owner in zip(sessions, owners, strict=True) if owner == worker]
        if mine:
            await self.redis.sadd(self._key("held", worker), *mine)
        return [c for c, owner in zip(sessions, owners, strict=True) if owner != worker]

    async def leave(self, *, worker: str) -> None:
        await self.redis.delete(self._key("alive", worker))

    async def live(self) -> dict[str, int]:
        workers = sorted(str(w) for w in await self.redis.smembers(self._key("workers")))
        async with self.redis.pipeline(transaction=False) as pipe:
            for worker in workers:
                pipe.exists(self._key("alive", worker))
                pipe.scard(self._key("held", worker))
            replies = await pipe.execute()
        return {
            worker: int(replies[2 * i + 1]) for i, worker in enumerate(workers) if replies[2 * i]
        }

    async def pinned(self, *, consultation: int) -> str | None:
        worker = await self._pin(consultation)
        if worker is None or not await self.redis.exists(self._key("alive", worker)):
            return None
        return worker

    async def release(self, *, consultation: int, worker: str) -> None:
        keys = [self._key("pin", consultation), self._key("held", worker)]
        await self._release(keys=keys, args=[worker, consultation])

    async def _pin(self, consultation: int) -> str | None:
        value = await self.redis.get(self._key("pin", consultation))
        return str(value) if value is not None else None

    async def _swap(self, consultation: int, *, expected: str, new: str) -> bool:
        keys = [
            self._key("pin", consultation),
            self._key("held", new),
            self._key("held", expected or new),
        ]
        return bool(await self._place(keys=keys, args=[new, expected, consultation]))

    async def _orphans(self) -> dict[str, list[int]]:
        workers = [str(w) for w in await self.redis.smembers(self._key("workers"))]
        orphans: dict[str, list[int]] = {}
        for worker in workers:
            if not await self.redis.exists(self._key("alive", worker)):
                held = await self.redis.smembers(self._key("held", worker))
                orphans[worker] = sorted(int(c) for c in held)
        return orphans

    async def _forget(self, worker: str) -> None:
        if not await self.redis.scard(self._key("held", worker)):
            await self.redis.srem(self._key("workers"), worker)

    async def _unhold(self, worker: str, consultation: int) -> None:
        await self.redis.srem(self._key("held", worker), consultation)


_pools: dict[asyncio.AbstractEventLoop | None, Pool] = {}


def pool() -> Pool:
    """This event loop's pool (a Redis client belongs to the loop that made it)."""
    if not settings.REDIS_URL:
        return _pools.setdefault(None, LocalPool())
    loop = asyncio.get_running_loop()
    for closed in [other for other in _pools if other is not None and other.is_closed()]:
        del _pools[closed]
    found = _pools.get(loop)
    if found is None:
        found = _pools[loop] = RedisPool(
            url=settings.REDIS_URL,
            prefix=settings.CHANNEL_PREFIX,
            ttl_seconds=settings.MEDIA_WORKER_TTL_SECONDS,
        )
    return found
