"""Waiting-rooms scenario: N citizens wait in one topic, their sockets split over the two
processes; how long until one queue change reached every waiting room, and does the clerks'
side stay responsive meanwhile.

Set-up through the protocol: K clerks (one chat each) log in and set themselves available
with auto-accept; N + K citizens start over HTTP (the first K are offered and accepted), then
every citizen connects and resumes; the clerks open their chats. Once every waiting room has
its first ``position`` and the platform has been quiet for a moment:

1. The citizen at the head leaves (the room's leave form). Measured: the time from that POST
   until each remaining waiting room received a ``position`` with the new ``waiting`` count
   (first, median, last, and how many within the time limit).
2. Cycles: a clerk ends their chat (``end``), routing offers them the head, their console
   accepts it. Measured: end -> offer seen on the console, ``accept`` -> ``accepted``, and
   from the ``accepted`` until the last waiting room shows the shorter queue.

Heartbeat health: ``requeued`` entries on the clerks' chats (the sweep took a clerk for
absent while the console was open), statuses other than available, refused accepts.

Baseline in the same run: N sockets in one room of the bare relay over its two processes,
one frame sent to the room (first, median, last receipt), and the relay's ping round trip.
"""

import asyncio
import statistics
import time
from collections import Counter
from dataclasses import dataclass

from .actors import Citizen, Clerk, available_clerks, bounded, eventually, wait_until
from .browser import Browser
from .chat import health
from .clients import ChatSocket, RelaySocket
from .cluster import Cluster
from .report import cpu_percent, ms, percentile, ratio, table

SETTLE_SECONDS = 2.0  # no position frame for this long: the queue is quiet


@dataclass
class RoomsOptions:
    citizens: int  # waiting
    clerks: int
    cycles: int  # end -> offer -> accept
    timeout: float  # how long to wait for the last room of one change


@dataclass
class Spread:
    """How one change reached the rooms: delays after the change, and how many got it."""

    what: str
    delays: list[float]
    expected: int
    cpu: str = ""

    def row(self) -> list[object]:
        return [
            self.what,
            f"{len(self.delays)}/{self.expected}",
            ms(min(self.delays, default=None)),
            ms(statistics.median(self.delays) if self.delays else None),
            ms(max(self.delays, default=None)),
            self.cpu,
        ]


# --- The relay's baseline ----------------------------------------------------------------


async def relay_rooms(
    cluster: Cluster, members: int, changes: int
) -> tuple[list[Spread], list[float]]:
    sockets = []
    for i in range(members):
        server = cluster.relay[i % 2]
        socket = RelaySocket(f"{server.ws_base}/room/waiting/", origin=server.base_url)
        await socket.connect()
        sockets.append(socket)
    source = cluster.relay[0]
    trigger = RelaySocket(f"{source.ws_base}/room/waiting/", origin=source.base_url)
    await trigger.connect()
    spreads = []
    for n in range(changes):
        before = [s.cpu_seconds() for s in cluster.relay]
        started = time.perf_counter()
        await trigger.send({"type": "room", "change": n})

        def reached(n: int = n, started: float = started) -> list[float]:
            return [t - started for s in sockets for t, f in s.room_frames if f["change"] == n]

        await eventually(lambda: len(reached()) >= members, 60)
        after = [s.cpu_seconds() for s in cluster.relay]
        cpu = cpu_percent(before, after, time.perf_counter() - started)
        spreads.append(Spread(f"relay: one frame to the room (#{n + 1})", reached(), members, cpu))
    pings = [await trigger.ping() for _ in range(30)]
    for socket in [*sockets, trigger]:
        await socket.close()
    return spreads, pings


# --- The platform ------------------------------------------------------------------------


@dataclass
class Platform:
    clerks: list[Clerk]
    citizens: list[Citizen]
    setup: list[str]

    def waiting(self) -> list[ChatSocket]:
        return [
            c.socket
            for c in self.citizens
            if c.socket is not None and c.socket.state == "waiting" and c.socket.positions
        ]


async def set_up(cluster: Cluster, options: RoomsOptions) -> Platform:
    a_b = cluster.platform
    clerks = await available_clerks(a_b, options.clerks, cluster.executor, cluster.http_concurrency)
    total = options.citizens + options.clerks
    citizens = [Citizen(i, a_b[i % 2], cluster.executor) for i in range(total)]
    started = time.perf_counter()
    await bounded((c.start() for c in citizens), cluster.http_concurrency)
    started_seconds = time.perf_counter() - started
    await wait_until(
        lambda: all(c.queue and c.queue.accepted for c in clerks), 300, "the first accepts"
    )
    for clerk in clerks:
        assert clerk.queue is not None
        await clerk.open_chat(clerk.queue.accepted[-1], clerk.server)
    connected = time.perf_counter()
    await bounded((c.connect(a_b[c.index % 2]) for c in citizens), cluster.http_concurrency)
    connect_seconds = time.perf_counter() - connected
    platform = Platform(clerks, citizens, [])
    waiting = [c.socket for c in citizens if c.socket is not None and c.socket.state == "waiting"]
    await wait_until(
        lambda: all(s.positions for s in waiting), 600, "every waiting room's first position"
    )
    first_positions = time.perf_counter() - connected
    await settle(platform, options.timeout)
    platform.setup = [
        f"  set-up: {total} consultations started over HTTP in {started_seconds:.1f} s; "
        f"{total} sockets connected and resumed in {connect_seconds:.1f} s, every waiting room "
        f"had its first position after {first_positions:.1f} s"
    ]
    return platform


async def settle(platform: Platform, timeout: float) -> None:
    """Wait until no waiting room received a position for SETTLE_SECONDS (bounded)."""

    def last_position() -> float:
        return max((s.positions[-1][0] for s in platform.waiting()), default=0.0)

    deadline = time.perf_counter() + timeout
    while time.perf_counter() - last_position() < SETTLE_SECONDS:
        if time.perf_counter() > deadline:
            return
        await asyncio.sleep(0.1)


async def spread(
    what: str, rooms: list[ChatSocket], started: float, waiting: int, timeout: float
) -> Spread:
    """Delays after ``started`` until each room still waiting got a position with
    ``waiting`` in it (a room whose consultation was accepted meanwhile drops out)."""

    def still() -> list[ChatSocket]:
        return [room for room in rooms if room.state == "waiting"]

    def delays() -> list[float]:
        found = []
        for room in still():
            times = [t for t, f in room.positions if t >= started and f["waiting"] == waiting]
            if times:
                found.append(times[0] - started)
        return found

    await eventually(lambda: len(delays()) >= len(still()), timeout)
    return Spread(what, delays(), len(still()))


def head(rooms: list[ChatSocket]) -> ChatSocket:
    return min(rooms, key=lambda s: s.positions[-1][1]["position"])


async def leave_head(cluster: Cluster, platform: Platform, options: RoomsOptions) -> Spread:
    rooms = platform.waiting()
    leaver = head(rooms)
    citizen = next(c for c in platform.citizens if c.socket is leaver)
    count = rooms[0].positions[-1][1]["waiting"]
    before = [s.cpu_seconds() for s in cluster.platform]
    started = time.perf_counter()
    await citizen.leave()
    others = [s for s in rooms if s is not leaver]
    what = "platform: the head leaves (leave form)"
    result = await spread(what, others, started, count - 1, options.timeout)
    result.cpu = cpu_since(cluster, before, started)
    return result


def cpu_since(cluster: Cluster, before: list[float], started: float) -> str:
    after = [s.cpu_seconds() for s in cluster.platform]
    return cpu_percent(before, after, time.perf_counter() - started)


@dataclass
class Cycle:
    spread: Spread
    end_rtt: float | None = None  # end -> closed
    end_to_offer: float | None = None  # end sent -> the offer on the console
    accept_rtt: float | None = None  # accept -> accepted


async def accept_cycle(
    cluster: Cluster, platform: Platform, clerk: Clerk, n: int, options: RoomsOptions
) -> Cycle:
    """The clerk ends their chat; routing offers the head; the console accepts it."""
    assert clerk.queue is not None
    queue, chat = clerk.queue, clerk.chats[clerk.queue.accepted[-1]]
    rooms = platform.waiting()
    count = rooms[0].positions[-1][1]["waiting"]
    accepted_before = len(queue.accepted)
    before = [s.cpu_seconds() for s in cluster.platform]
    what = f"platform: clerk {clerk.index} accepts the head (#{n})"
    answer = chat.expect(lambda f: f.get("type") in ("closed", "error"))
    ended = time.perf_counter()
    await chat.send({"type": "end", "outcome": "resolved"})
    try:
        frame = await asyncio.wait_for(answer, options.timeout)
    except TimeoutError:
        return Cycle(Spread(f"{what}: no answer to end", [], len(rooms)))
    if frame["type"] == "error":  # e.g. the chat was taken back (requeued) meanwhile
        return Cycle(Spread(f"{what}: end refused ({frame['code']})", [], len(rooms)))
    end_rtt = time.perf_counter() - ended
    if not await eventually(lambda: len(queue.accepted) > accepted_before, options.timeout):
        return Cycle(Spread(f"{what}: no accept within the limit", [], len(rooms)), end_rtt)
    accepted_id = queue.accepted[-1]
    offer_seen = queue.offers_seen.get(accepted_id)
    result = await spread(what, rooms, queue.accepted_at[-1], count - 1, options.timeout)
    result.cpu = cpu_since(cluster, before, ended)
    await clerk.open_chat(accepted_id, clerk.server)
    return Cycle(
        result,
        end_rtt,
        offer_seen - ended if offer_seen else None,
        queue.accept_rtts[-1],
    )


class HealthProbe:
    """``GET /healthz`` on both processes every half second while the changes spread, as a
    load balancer would: its round trips."""

    def __init__(self, cluster: Cluster) -> None:
        self.browsers = [Browser(s.base_url, cluster.executor) for s in cluster.platform]
        self.samples: list[float] = []
        self.failures = 0
        self.task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        while True:
            for browser in self.browsers:
                started = time.perf_counter()
                page = await browser.get("/healthz")
                self.samples.append(time.perf_counter() - started)
                self.failures += page.status != 200
            await asyncio.sleep(0.5)

    def start(self) -> None:
        self.task = asyncio.create_task(self._run())

    def stop(self) -> str:
        if self.task is not None:
            self.task.cancel()
        return summary("GET /healthz meanwhile", self.samples) + f", failed {self.failures}"


async def run(cluster: Cluster, options: RoomsOptions) -> list[str]:
    relay_spreads, pings = await relay_rooms(cluster, options.citizens, 1 + options.cycles)
    platform = await set_up(cluster, options)
    probe = HealthProbe(cluster)
    probe.start()
    spreads = [await leave_head(cluster, platform, options)]
    cycles = []
    for n in range(options.cycles):
        await settle(platform, options.timeout)
        clerk = platform.clerks[n % len(platform.clerks)]
        cycles.append(await accept_cycle(cluster, platform, clerk, n + 1, options))
    spreads += [c.spread for c in cycles]
    lines = report(options, platform, relay_spreads, spreads, cycles, pings)
    lines.insert(-1, "  " + probe.stop())
    return lines


def summary(name: str, values: list[float], goal: str = "") -> str:
    return (
        f"{name} (n={len(values)}): p50 {ms(percentile(values, 0.5))}, "
        f"p99 {ms(percentile(values, 0.99))}, max {ms(max(values, default=None))}{goal}"
    )


def report(
    options: RoomsOptions,
    platform: Platform,
    relay_spreads: list[Spread],
    spreads: list[Spread],
    cycles: list[Cycle],
    pings: list[float],
) -> list[str]:
    header = ["change", "rooms updated", "first", "median", "last", "CPU % A/B"]
    accepts = [c.accept_rtt for c in cycles if c.accept_rtt is not None]
    at_set_up = [r for c in platform.clerks if c.queue for r in c.queue.accept_rtts[:1]]
    relay_last = max((max(s.delays, default=0) for s in relay_spreads), default=None)
    ours_last = max((max(s.delays, default=0) for s in spreads), default=None)
    refused = sum((c.queue.refused for c in platform.clerks if c.queue), start=Counter())
    missing = sum(s.expected - len(s.delays) for s in spreads)
    return [
        f"rooms: {options.citizens} citizens waiting in one topic, sockets split over the two "
        f"processes; {options.clerks} clerks with one chat each; time limit "
        f"{options.timeout:g} s per change",
        *platform.setup,
        table(header, [s.row() for s in relay_spreads + spreads]),
        f"  last room: platform {ms(ours_last)} (worst change) against relay {ms(relay_last)} "
        f"({ratio(ours_last, relay_last)}; goal: the last room within 1 s); "
        f"rooms never updated within the limit: {missing}",
        "  " + summary("accept -> accepted in the cycles", accepts, " (goal p99 <= 100 ms)"),
        "  " + summary("accept -> accepted at set-up, queue filling", at_set_up),
        "  " + summary("end -> closed (clerk's chat)", [c.end_rtt for c in cycles if c.end_rtt]),
        "  "
        + summary(
            "end -> offer on the console", [c.end_to_offer for c in cycles if c.end_to_offer]
        ),
        "  " + summary("relay ping (a process answers at once)", pings),
        f"  refused accepts {dict(refused) or 0}",
        health(platform.clerks, platform.citizens),
    ]
