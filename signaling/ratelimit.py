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
    sockets on one token get what one socket gets, not 25 times that."""

    def __init__(self, key: str, *, limit: int, window: float) -> None:
        self.key = key
        self.limit = limit
        self.window = window

    def allow(self) -> bool:
        """One cache round trip or two (the first frame of a window); call it off the loop."""
        slot = int(time.time() // self.window)
        key = f"ws.rate.{self.key}.{slot}"
        timeout = int(self.window * 2) + 1
        try:
            count = cache.incr(key)
        except ValueError:  # the window's first frame (the key does not exist yet)
            if cache.add(key, 1, timeout=timeout):
                return True
            count = cache.incr(key)
        return count <= self.limit
