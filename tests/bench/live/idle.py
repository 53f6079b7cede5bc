"""Idle scenario: N idle citizen sockets on one daphne process (A): its memory per socket,
and a chat on the same process before and after they connected.

Set-up: one clerk (one chat) on A accepts one citizen; both chat on A. The N idle citizens
start their consultations over HTTP (pages from both processes, before anything is
measured); they wait in the topic (the clerk is full). Then A's resident memory (VmRSS) is
read, the N sockets connect to A and resume, every room gets its first ``position``, and
after a short settling the memory is read again.

The chat: ``rate`` messages per second for ``seconds``, alternating direction, once before
and once after the idle sockets connected; p50 and p99 latency. The bare relay does the same
on its process A (N idle pair sockets, one chat pair on A) in the same run.
"""

import asyncio
import time
from dataclasses import dataclass

from .actors import Citizen, available_clerks, bounded, wait_until
from .chat import Pair, Router, Step, run_step
from .clients import RelaySocket
from .cluster import Cluster
from .report import ms, ratio, table

SETTLE_SECONDS = 3.0


@dataclass
class IdleOptions:
    sockets: int
    rate: float
    seconds: float


@dataclass
class Memory:
    system: str
    before_kib: int
    after_kib: int
    sockets: int
    connect_seconds: float

    @property
    def per_socket(self) -> float:
        return (self.after_kib - self.before_kib) / max(self.sockets, 1)


async def chat(cluster: Cluster, system: str, pair: Pair, options: IdleOptions, tag: str) -> Step:
    return await run_step(
        system, [pair], cluster, Router(), rate=options.rate, seconds=options.seconds, tag=tag
    )


async def relay_side(cluster: Cluster, options: IdleOptions) -> tuple[Memory, Step, Step]:
    a = cluster.relay[0]
    ends = []
    for role in ("citizen", "clerk"):
        url = f"{a.ws_base}/pair/chat/{role}/"
        socket = RelaySocket(url, origin=a.base_url, role=role, conv=0)
        await socket.connect()
        ends.append(socket)
    pair = Pair(0, ends[0], ends[1])
    alone = await chat(cluster, "relay", pair, options, "r1")
    before = a.rss_kib()
    started = time.perf_counter()
    idle = []
    for i in range(options.sockets):
        socket = RelaySocket(f"{a.ws_base}/pair/idle{i}/citizen/", origin=a.base_url)
        await socket.connect()
        idle.append(socket)
    connect_seconds = time.perf_counter() - started
    await asyncio.sleep(SETTLE_SECONDS)
    memory = Memory("relay", before, a.rss_kib(), options.sockets, connect_seconds)
    crowded = await chat(cluster, "relay", pair, options, "r2")
    for socket in [*idle, *ends]:
        await socket.close()
    return memory, alone, crowded


async def platform_side(cluster: Cluster, options: IdleOptions) -> tuple[Memory, Step, Step]:
    a, b = cluster.platform
    (clerk,) = await available_clerks([a], 1, cluster.executor, 1)
    queue = clerk.queue
    assert queue is not None
    talker = Citizen(0, a, cluster.executor)
    await talker.start()
    await wait_until(lambda: bool(queue.accepted), 120, "the clerk's accept")
    clerk_chat = await clerk.open_chat(queue.accepted[0], a)
    citizen_chat = await talker.connect(a)
    clerk_chat.conv = citizen_chat.conv = 0
    pair = Pair(0, citizen_chat, clerk_chat)
    # Their pages come from both processes (set-up time); A's memory is read after that.
    idle = [Citizen(i + 1, (a, b)[i % 2], cluster.executor) for i in range(options.sockets)]
    await bounded((c.start() for c in idle), cluster.http_concurrency)
    alone = await chat(cluster, "platform", pair, options, "i1")
    before = a.rss_kib()
    started = time.perf_counter()
    await bounded((c.connect(a) for c in idle), cluster.http_concurrency)
    await wait_until(
        lambda: all(c.socket and c.socket.positions for c in idle), 600, "the first positions"
    )
    connect_seconds = time.perf_counter() - started
    await asyncio.sleep(SETTLE_SECONDS)
    memory = Memory("platform", before, a.rss_kib(), options.sockets, connect_seconds)
    crowded = await chat(cluster, "platform", pair, options, "i2")
    return memory, alone, crowded


async def run(cluster: Cluster, options: IdleOptions) -> list[str]:
    relay = await relay_side(cluster, options)
    platform = await platform_side(cluster, options)
    header = [
        "system",
        "RSS before",
        "RSS after",
        "KiB/socket",
        "connect",
        "chat p50/p99 alone",
        "chat p50/p99 with idle",
        "lost",
    ]
    rows = []
    for memory, alone, crowded in (relay, platform):
        rows.append(
            [
                memory.system,
                f"{memory.before_kib / 1024:.1f} MiB",
                f"{memory.after_kib / 1024:.1f} MiB",
                f"{memory.per_socket:.1f}",
                f"{memory.connect_seconds:.1f} s",
                f"{ms(alone.overall(0.5))} / {ms(alone.overall(0.99))}",
                f"{ms(crowded.overall(0.5))} / {ms(crowded.overall(0.99))}",
                alone.lost + crowded.lost,
            ]
        )
    return [
        f"idle: {options.sockets} idle citizen sockets on one process (A); a chat on A at "
        f"{options.rate:g} messages/s for {options.seconds:g} s before and after they connected",
        table(header, rows),
        f"  memory per idle socket: platform/relay "
        f"{ratio(platform[0].per_socket, relay[0].per_socket)} "
        f"(goal < 50 KiB); chat p99 with idle sockets: platform {ms(platform[2].overall(0.99))} "
        f"(goal within 100 ms), relay {ms(relay[2].overall(0.99))}",
    ]
