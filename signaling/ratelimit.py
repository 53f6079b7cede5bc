"""Websocket rate limits: a token bucket per connection, and a shared limit per credential."""

import time
from collections.abc import Callable

from django.core.cache import cache


class TokenBucket:
    """Allows ``burst`` frames at once and ``rate`` frames per second on average."""

    def __init__(
        self, *, burst: int, rate: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.capacity = float(burst)
        self.rate = rate
        self.clock = clock
        self.tokens = float(burst)
        self.updated = clock()

    def allow(self) -> bool:
        now = self.clock()
        self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return True
        return False


class SharedLimit:
    """Frames per credential (a citizen's token, a clerk) over all its connections, in every
    process: a counter per fixed window in the cache (Redis when configured). Twenty-five
    sockets on one token get what one socket gets, not 25 times that.

    A socket reserves its frames in chunks (one cache call per ``chunk`` frames, not one per
    frame) and the counter counts reservations: all sockets of a credential together never
    get more than ``limit`` frames in a window; a socket's unused reservation may make the
    others' limit up to ``chunk - 1`` frames stricter, never looser."""

    def __init__(self, key: str, *, limit: int, window: float, chunk: int = 5) -> None:
        self.key = key
        self.limit = limit
        self.window = window
        self.chunk = max(1, min(chunk, limit))
        self.slot = -1
        self.reserved = 0  # frames this socket may still send in window ``slot``
        self.exhausted = -1  # the window in which the credential's frames ran out

    def _current_slot(self) -> int:
        return int(time.time() // self.window)

    def take(self) -> bool:
        """A frame from this socket's reservation (no cache call); False: ``reserve``."""
        if self.reserved > 0 and self.slot == self._current_slot():
            self.reserved -= 1
            return True
        return False

    def reserve(self) -> bool:
        """Reserve the next chunk of the window and take a frame of it: one cache call (two
        for the window's first), so call it off the event loop."""
        slot = self._current_slot()
        if slot == self.exhausted:  # the counter only grows within a window
            return False
        key = f"ws.rate.{self.key}.{slot}"
        try:
            count = cache.incr(key, self.chunk)
        except ValueError:  # the window's first reservation (the key does not exist yet)
            if cache.add(key, self.chunk, timeout=int(self.window * 2) + 1):
                count = self.chunk
            else:
                count = cache.incr(key, self.chunk)
        granted = max(0, min(self.chunk, self.limit - (count - self.chunk)))
        self.slot = slot
        self.reserved = granted - 1 if granted else 0
        if not granted:
            self.exhausted = slot
        return granted > 0
