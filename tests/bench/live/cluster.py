"""One scenario's world: a fresh database with its topic and clerks, two daphne processes of
the platform and two relay processes, the client side's thread pool and loop-lag monitor."""

import contextlib
import os
from collections import Counter
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from redis import Redis

from .clients import LagMonitor
from .servers import Database, Processes, Server, free_port, platform_env, run_django


@dataclass
class Settings:
    """What every scenario shares (from the command line or the environment)."""

    redis_url: str
    rate_limit: int  # WS_RATE_BURST and WS_RATE_PER_SECOND of the platform
    http_concurrency: int  # browsers loading pages at once during set-up


@dataclass
class Cluster:
    platform: list[Server]  # two daphne processes
    relay: list[Server]  # two bare relay processes
    executor: ThreadPoolExecutor
    lag: LagMonitor
    http_concurrency: int
    notes: dict[str, Counter[str]] = field(default_factory=dict)

    @property
    def servers(self) -> list[Server]:
        return [*self.platform, *self.relay]


@contextlib.asynccontextmanager
async def open_cluster(
    name: str, settings: Settings, database: Database, *, clerks: int, capacity: int
) -> AsyncIterator[Cluster]:
    """Fresh database, topic and clerks; start the four processes; stop them on the way out
    (also on failure) and keep each process's notable log lines in ``cluster.notes``."""
    database_url = database.fresh()
    run_django(
        ["-m", "tests.bench.live.setup_data", "--clerks", str(clerks), "--capacity", str(capacity)],
        database_url,
    )
    prefix = f"bench{os.getpid()}{name}"
    env = platform_env(
        database_url=database_url,
        redis_url=settings.redis_url,
        prefix=prefix,
        rate_limit=settings.rate_limit,
    )
    lag = LagMonitor()
    with (
        Processes() as processes,
        ThreadPoolExecutor(settings.http_concurrency, thread_name_prefix="browser") as executor,
    ):
        # Behind a proxy both processes share one origin; here the clients reach each
        # directly, so each process trusts the other's origin (a clerk's chat on process B
        # from a console page of process A).
        ports = [free_port(), free_port()]
        env["CSRF_TRUSTED_ORIGINS"] = ",".join(f"http://127.0.0.1:{p}" for p in ports)
        platform = [
            processes.start_daphne(f"{name}-daphne-{i}", env, port) for i, port in enumerate(ports)
        ]
        relay = [
            processes.start_relay(f"{name}-relay-{i}", settings.redis_url, f"{prefix}relay")
            for i in (0, 1)
        ]
        cluster = Cluster(platform, relay, executor, lag, settings.http_concurrency)
        lag.start()
        try:
            yield cluster
        finally:
            lag.stop()
            processes.stop_all()
            cluster.notes = {s.name: s.log_notes() for s in cluster.servers}
            forget(settings.redis_url, prefix)


def forget(redis_url: str, prefix: str) -> None:
    """Delete this scenario's keys (channels-redis keeps group keys for a day); only keys
    under its own prefix, nothing else in the database."""
    redis = Redis.from_url(redis_url)
    try:
        keys = list(redis.scan_iter(match=f"{prefix}*", count=1000))
        for start in range(0, len(keys), 1000):
            redis.delete(*keys[start : start + 1000])
    finally:
        redis.close()
