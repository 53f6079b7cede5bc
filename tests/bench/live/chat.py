"""Chat scenario: conversations across the two processes, platform against the bare relay.

Set-up through the protocol: clerks log in, open their consoles (split over the processes)
and set themselves available with auto-accept; citizens start consultations over HTTP, are
offered and accepted; then both sides connect their chat sockets. Each citizen says hello
(``client_id`` ``hello-<i>``) so the clerk's socket knows its conversation; a citizen whose
clerk socket sits on the same process reconnects to the other one (a reload, with resume),
so every message crosses processes. The relay's pairs are placed the same way.

A step sends ``rate`` messages per second in total for ``duration`` seconds (open loop,
evenly spaced, round robin over the conversations, alternating direction by round). Each
message's body starts with its send time; its ``client_id`` names the step, the
conversation and a counter. Measured at the peer: latency per direction, delivered per
second (delivered / time from the first send to the last receipt within the step's drain:
until all arrived, 5 s without any arrival, or 60 s), late (arrived after that drain),
lost (not arrived by the end of the scenario), twice (one ``client_id`` received under two
``seq``) and wrong (received by a socket of another conversation). Then "push harder": the rate
doubles for each system until it saturates (delivered below 80 % of offered, median above
1 s or over 5 % lost) or the step limit; its ceiling is the most it delivered per second.
"""

import asyncio
import math
import sys
import time
from collections import Counter
from dataclasses import dataclass, field

from websockets.exceptions import ConnectionClosed

from .actors import Citizen, Clerk, available_clerks, bounded, eventually, wait_until
from .clients import ChatClient, ChatSocket, Frame, RelaySocket
from .cluster import Cluster
from .report import cpu_percent, ms, percentile, ratio, table
from .servers import Server

BODY = "Guten Tag, ich habe eine Frage zu meinem Antrag und den Unterlagen."
QUIET_SECONDS = 5.0  # a drain ends when nothing arrived for this long ...
DRAIN_SECONDS = 60.0  # ... or after this long


@dataclass
class Pair:
    conv: int
    citizen: ChatClient
    clerk: ChatClient


@dataclass
class Delivery:
    """What one step sent, and what the other party of each conversation received."""

    tag: str
    sent: dict[str, float] = field(default_factory=dict)
    received: dict[str, int] = field(default_factory=dict)
    latency: dict[str, list[float]] = field(default_factory=lambda: {"citizen": [], "clerk": []})
    misdelivered: int = 0
    send_failures: int = 0
    last_receipt: float = 0.0
    drained_at: float | None = None  # the step's end; what arrives later is late
    late: int = 0

    def on_text(self, client: ChatClient, frame: Frame, received: float) -> None:
        client_id = frame["client_id"]
        if frame["sender"] == client.role:
            return  # the sender's own message coming back (platform)
        if int(client_id.split("-")[1]) != client.conv:
            self.misdelivered += 1
            return
        self.received[client_id] = self.received.get(client_id, 0) + 1
        sent_at = float(frame["body"].split(" ", 1)[0])
        self.latency[frame["sender"]].append(received - sent_at)
        if self.drained_at is not None:
            self.late += 1
        else:
            self.last_receipt = received

    @property
    def delivered(self) -> int:
        return len(self.received)

    @property
    def twice(self) -> int:
        return sum(n - 1 for n in self.received.values())

    async def send(self, sender: ChatClient, client_id: str) -> None:
        sent_at = time.perf_counter()
        self.sent[client_id] = sent_at
        try:
            await sender.send_text(client_id, f"{sent_at:.6f} {BODY}")
        except ConnectionClosed:
            self.send_failures += 1

    async def drain(self) -> None:
        """Wait until everything arrived, nothing arrived for a while, or the limit."""
        started = time.perf_counter()
        while self.delivered < len(self.sent):
            now = time.perf_counter()
            if now - max(self.last_receipt, started) > QUIET_SECONDS:
                return
            if now - started > DRAIN_SECONDS:
                return
            await asyncio.sleep(0.05)


class Router:
    """Hands every received text to its step's ``Delivery`` (by the tag that starts its
    ``client_id``), also after that step ended: a message arriving after its step's drain
    counts as late, not lost."""

    def __init__(self) -> None:
        self.steps: dict[str, Delivery] = {}

    def on_text(self, client: ChatClient, frame: Frame, received: float) -> None:
        delivery = self.steps.get((frame.get("client_id") or "").split("-", 1)[0])
        if delivery is not None:
            delivery.on_text(client, frame, received)

    def attach(self, pairs: list[Pair]) -> None:
        for pair in pairs:
            pair.citizen.on_text = pair.clerk.on_text = self.on_text

    async def settle(self, timeout: float = DRAIN_SECONDS) -> None:
        """At the end: give late messages a last chance to arrive (bounded)."""
        await eventually(
            lambda: all(d.delivered >= len(d.sent) for d in self.steps.values()), timeout
        )


@dataclass
class Step:
    system: str
    conversations: int
    rate: float  # offered, messages per second
    seconds: float
    delivery: Delivery
    send_rate: float  # achieved by the client
    throughput: float  # delivered per second
    cpu: str
    client_lag_p99: float | None

    @property
    def lost(self) -> int:
        return len(self.delivery.sent) - self.delivery.delivered

    def p(self, sender: str, q: float) -> float | None:
        return percentile(self.delivery.latency[sender], q)

    def overall(self, q: float) -> float | None:
        """Percentile of both directions together."""
        return percentile(self.delivery.latency["citizen"] + self.delivery.latency["clerk"], q)

    def saturated(self) -> bool:
        return (
            self.throughput < 0.8 * self.rate
            or (self.overall(0.5) or 0) > 1.0
            or self.lost > 0.05 * len(self.delivery.sent)
        )

    def row(self) -> list[object]:
        d = self.delivery
        return [
            self.system,
            self.conversations,
            f"{self.rate:g}",
            f"{self.send_rate:.0f}",
            f"{self.throughput:.1f}",
            ms(self.p("citizen", 0.5)),
            ms(self.p("citizen", 0.99)),
            ms(self.p("clerk", 0.5)),
            ms(self.p("clerk", 0.99)),
            self.lost,
            d.late,
            d.twice,
            d.misdelivered,
            self.cpu,
            ms(self.client_lag_p99),
        ]


HEADER = [
    "system",
    "conv",
    "offered/s",
    "sent/s",
    "delivered/s",
    "p50 c->k",
    "p99 c->k",
    "p50 k->c",
    "p99 k->c",
    "lost",
    "late",
    "twice",
    "wrong",
    "CPU % A/B",
    "client lag p99",
]


async def run_step(
    system: str,
    pairs: list[Pair],
    cluster: Cluster,
    router: Router,
    *,
    rate: float,
    seconds: float,
    tag: str,
) -> Step:
    delivery = Delivery(tag)
    router.steps[tag] = delivery
    router.attach(pairs)
    processes = cluster.platform if system == "platform" else cluster.relay
    total = max(1, round(rate * seconds))
    cpu_before = [s.cpu_seconds() for s in processes]
    cluster.lag.reset()
    sends: set[asyncio.Task[None]] = set()
    # Progress on stderr, e.g. to attach a profiler (py-spy) to the daphne processes.
    print(f"[{system}: {rate:.0f}/s for {seconds:.0f} s, {tag}]", file=sys.stderr, flush=True)
    started = time.perf_counter()
    for k in range(total):
        delay = started + k / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        pair = pairs[k % len(pairs)]
        sender = pair.citizen if (k // len(pairs)) % 2 == 0 else pair.clerk
        task = asyncio.create_task(delivery.send(sender, f"{tag}-{pair.conv}-{k}"))
        sends.add(task)
        task.add_done_callback(sends.discard)
    if sends:
        await asyncio.wait(list(sends))  # every message handed to its socket
    send_seconds = max(time.perf_counter() - started, 1e-9)
    await delivery.drain()
    delivery.drained_at = time.perf_counter()
    # At least the nominal window, so an unloaded system shows exactly the offered rate.
    elapsed = max(delivery.last_receipt - started, send_seconds, total / rate)
    cpu_after = [s.cpu_seconds() for s in processes]
    return Step(
        system=system,
        conversations=len(pairs),
        rate=rate,
        seconds=seconds,
        delivery=delivery,
        send_rate=total / send_seconds if total > 1 else rate,
        throughput=delivery.delivered / elapsed,
        cpu=cpu_percent(cpu_before, cpu_after, time.perf_counter() - started),
        client_lag_p99=percentile(cluster.lag.samples, 0.99),
    )


# --- Set-up ------------------------------------------------------------------------------


async def relay_pairs(cluster: Cluster, conversations: int) -> list[Pair]:
    """Citizen on one relay process, clerk on the other."""
    pairs = []
    for i in range(conversations):
        ends = []
        for role, server in (
            ("citizen", cluster.relay[i % 2]),
            ("clerk", cluster.relay[(i + 1) % 2]),
        ):
            socket = RelaySocket(
                f"{server.ws_base}/pair/{i}/{role}/", origin=server.base_url, role=role, conv=i
            )
            await socket.connect()
            ends.append(socket)
        pairs.append(Pair(i, ends[0], ends[1]))
    return pairs


async def platform_pairs(
    cluster: Cluster, conversations: int, capacity: int
) -> tuple[list[Pair], list[Clerk], list[Citizen]]:
    """Conversations set up through the protocol, each crossing the two processes."""
    a_b, limit = cluster.platform, cluster.http_concurrency
    count = math.ceil(conversations / capacity)
    clerks = await available_clerks(a_b, count, cluster.executor, limit)
    citizens = [Citizen(i, a_b[i % 2], cluster.executor) for i in range(conversations)]
    await bounded((c.start() for c in citizens), limit)
    await wait_until(
        lambda: sum(len(c.queue.accepted) for c in clerks if c.queue) >= conversations,
        300,
        "the clerks' accepts",
    )
    await bounded((c.connect(a_b[c.index % 2]) for c in citizens), limit)
    accepted = [(clerk, cid) for clerk in clerks if clerk.queue for cid in clerk.queue.accepted]
    await bounded((clerk.open_chat(cid, a_b[cid % 2]) for clerk, cid in accepted), limit)
    clerk_sockets = [chat for clerk in clerks for chat in clerk.chats.values()]
    pairs = [await pair(citizen, clerk_sockets, a_b) for citizen in citizens]
    return pairs, clerks, citizens


def server_of(socket: ChatSocket, servers: list[Server]) -> Server:
    return next(s for s in servers if socket.url.startswith(f"{s.ws_base}/"))


async def pair(citizen: Citizen, clerk_sockets: list[ChatSocket], a_b: list[Server]) -> Pair:
    """Find the clerk's socket of the citizen's conversation by a hello from the citizen,
    then make sure the two sit on different processes (the citizen reloads if not)."""
    mine = citizen.socket
    assert mine is not None
    await mine.send_text(f"hello-{citizen.index}", "Hallo")
    await wait_until(
        lambda: any(s.hello_from == citizen.index for s in clerk_sockets), 120, "a hello"
    )
    theirs = next(s for s in clerk_sockets if s.hello_from == citizen.index)
    if server_of(theirs, a_b) is server_of(mine, a_b):
        other = next(s for s in a_b if s is not server_of(theirs, a_b))
        await mine.open(citizen.socket_url(other))  # a reload, with resume
    theirs.conv = mine.conv = citizen.index
    return Pair(citizen.index, mine, theirs)


# --- The scenario ------------------------------------------------------------------------


@dataclass
class ChatOptions:
    conversations: list[int]  # e.g. [20, 50]: the first n of the conversations set up
    rate: float  # messages per second in total
    seconds: float
    push_seconds: float
    push_steps: int
    max_rate: float
    capacity: int  # chats per clerk


async def run(cluster: Cluster, options: ChatOptions) -> list[str]:
    """Returns the report's lines."""
    most = max(options.conversations)
    relay = await relay_pairs(cluster, most)
    platform, clerks, citizens = await platform_pairs(cluster, most, options.capacity)
    both = {"relay": relay, "platform": platform}
    router = Router()
    steps: list[Step] = []
    tag = 0
    for n in options.conversations:
        for system, pairs in both.items():
            tag += 1
            steps.append(
                await run_step(
                    system,
                    pairs[:n],
                    cluster,
                    router,
                    rate=options.rate,
                    seconds=options.seconds,
                    tag=f"s{tag}",
                )
            )
    pushed = await push_harder(cluster, both, router, options, first_tag=tag + 1)
    await router.settle()
    lines = _report(options, steps, pushed)
    lines.append(health(clerks, citizens))
    return lines


async def push_harder(
    cluster: Cluster,
    both: dict[str, list[Pair]],
    router: Router,
    options: ChatOptions,
    first_tag: int,
) -> list[Step]:
    """Double the rate over all conversations until each system saturates (bounded)."""
    steps: list[Step] = []
    going = set(both)
    rate = options.rate
    tag = first_tag
    for _ in range(options.push_steps):
        rate *= 2
        if not going or rate > options.max_rate:
            break
        for system in [s for s in both if s in going]:
            tag += 1
            step = await run_step(
                system,
                both[system],
                cluster,
                router,
                rate=rate,
                seconds=options.push_seconds,
                tag=f"p{tag}",
            )
            steps.append(step)
            if step.saturated():
                going.discard(system)
    return steps


def _report(options: ChatOptions, steps: list[Step], pushed: list[Step]) -> list[str]:
    lines = [
        f"chat: {options.rate:g} messages/s in total for {options.seconds:g} s, half "
        "citizen->clerk and half clerk->citizen, every conversation across the two processes",
        table(HEADER, [s.row() for s in steps]),
    ]
    for n in options.conversations:
        relay = next(s for s in steps if s.system == "relay" and s.conversations == n)
        ours = next(s for s in steps if s.system == "platform" and s.conversations == n)
        goal = 2 * (relay.overall(0.99) or 0) + 0.05
        lines.append(
            f"  {n} conversations, platform/relay: throughput "
            f"{ratio(ours.throughput, relay.throughput)} (goal >= 0.5x), "
            f"p99 {ms(ours.overall(0.99))} against {ms(relay.overall(0.99))} "
            f"(goal <= 2x relay + 50 ms = {ms(goal)}), "
            f"lost {ours.lost}, twice {ours.delivery.twice} (goal 0)"
        )
    lines += [
        "",
        f"push harder: the rate doubles per step over {max(options.conversations)} "
        f"conversations, {options.push_seconds:g} s per step, until a system saturates",
        table(HEADER, [s.row() for s in pushed]),
    ]
    ceiling = {
        system: max((s.throughput for s in pushed if s.system == system), default=None)
        for system in ("relay", "platform")
    }
    lines.append(
        f"  ceiling (most delivered per second): platform {ceiling['platform'] or 0:.0f}/s, "
        f"relay {ceiling['relay'] or 0:.0f}/s, ratio {ratio(ceiling['platform'], ceiling['relay'])}"
    )
    if not any(s.saturated() for s in pushed if s.system == "relay"):
        lines.append("  (the relay did not saturate within the steps: its ceiling is higher)")
    return lines


def health(clerks: list[Clerk], citizens: list[Citizen]) -> str:
    """What went wrong on the platform's side while it was driven (none of it should)."""
    clerk_chats = [chat for clerk in clerks for chat in clerk.chats.values()]
    chats = clerk_chats + [c.socket for c in citizens if c.socket is not None]
    queues = [clerk.queue for clerk in clerks if clerk.queue is not None]
    errors: Counter[str] = Counter()
    for socket in [*chats, *queues]:
        errors.update(socket.errors)
    left = sum(1 for q in queues if q.left_available())
    return (
        f"  platform health: requeued entries on clerks' chats "
        f"{sum(s.kinds['requeued'] for s in clerk_chats)}, clerks whose status left "
        f"'available' {left}, seq gaps {sum(s.gaps for s in chats)} (a live entry ahead of "
        f"the last seen: the client resumed), entries seen twice {sum(s.repeats for s in chats)}, "
        f"error frames {dict(errors) or 0}"
    )
