"""The per-credential frame limit, shared by all sockets of a credential through the cache."""

import itertools
import uuid

import pytest

from signaling import ratelimit
from signaling.ratelimit import SharedLimit


@pytest.fixture
def frozen_time(monkeypatch):
    clock = {"now": 1_000_000.0}
    monkeypatch.setattr(ratelimit.time, "time", lambda: clock["now"])
    return clock


def send(limit: SharedLimit) -> bool:
    """What the consumer does for one frame."""
    return limit.take() or limit.reserve()


def test_all_sockets_of_a_credential_together_never_exceed_the_limit(frozen_time):
    key = f"test-{uuid.uuid4()}"
    sockets = [SharedLimit(key, limit=30, window=10, chunk=5) for _ in range(4)]
    allowed = sum(send(s) for s, _ in zip(itertools.cycle(sockets), range(200), strict=False))
    assert 30 - 3 * 4 <= allowed <= 30  # unused reservations may make it stricter, not looser
    frozen_time["now"] += 10  # the next window
    assert send(sockets[0])


def test_one_socket_alone_gets_the_whole_limit_with_few_cache_calls(frozen_time, monkeypatch):
    limit = SharedLimit(f"test-{uuid.uuid4()}", limit=30, window=10, chunk=5)
    calls = []
    incr = ratelimit.cache.incr
    monkeypatch.setattr(ratelimit.cache, "incr", lambda *a, **k: calls.append(1) or incr(*a, **k))
    results = [send(limit) for _ in range(40)]
    assert results == [True] * 30 + [False] * 10
    assert len(calls) <= 30 // 5 + 1  # one per chunk, one to learn it ran out
