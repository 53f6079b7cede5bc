"""Live-path benchmark (issue 12): the platform on two daphne processes, PostgreSQL and Redis,
driven over the documented protocol as browsers would, against a bare websockets + Redis
pub/sub relay on two processes in the same run. Prints figures and ratios; asserts nothing.

    make bench-live SCENARIO=chat CONVERSATIONS=20,50 RATE=20 DURATION=20
    make bench-live SCENARIO=rooms CITIZENS=1000
    make bench-live SCENARIO=idle IDLE_SOCKETS=2000
    make bench-live SCENARIO=dispatch
    (or: python -m tests.bench.live_bench --help)

Scenarios (tests/bench/live/): ``chat`` (latency, throughput, lost and twice, and the
ceiling), ``rooms`` (one queue change reaching every waiting room; accept round trips and
heartbeat health meanwhile), ``idle`` (memory per idle socket; a chat beside them) and
``dispatch`` (routing's dispatch against 100 and 10,000 waiting beside a bare SKIP LOCKED).

Every scenario gets a fresh database (copied from a template migrated once per run; both are
dropped at the end unless --keep-db), its own Redis key prefix on ``REDIS_URL`` (db 8 by
default), and its own four processes, stopped on the way out. Logs: var/bench-live/.
"""

import argparse
import asyncio
import math
import os
import resource
import shlex
import signal
import time
from collections.abc import Awaitable, Callable
from types import FrameType

from tests.bench.live import chat, idle, rooms
from tests.bench.live.cluster import Cluster, Settings, open_cluster
from tests.bench.live.servers import Database, run_django

SCENARIOS = ("chat", "rooms", "idle", "dispatch")
DEFAULT_DATABASE = "postgres://root@127.0.0.1:5432/sprechstunde_bench"
DEFAULT_REDIS = "redis://127.0.0.1:6379/8"

# option, environment variable, type, default, help
OPTIONS: list[tuple[str, str, Callable[[str], object], str, str]] = [
    ("scenario", "SCENARIO", str, "all", "chat, rooms, idle, dispatch, comma-separated, or all"),
    ("conversations", "CONVERSATIONS", str, "20,50", "chat: conversations per step"),
    ("rate", "RATE", float, "20", "chat: messages per second in total"),
    ("duration", "DURATION", float, "20", "chat: seconds per step"),
    ("push_duration", "PUSH_DURATION", float, "10", "chat: seconds per push-harder step"),
    ("push_steps", "PUSH_STEPS", int, "6", "chat: at most this many doublings"),
    ("max_rate", "MAX_RATE", float, "3200", "chat: never offer more messages per second"),
    ("capacity", "CAPACITY", int, "3", "chat: chats per clerk"),
    ("citizens", "CITIZENS", int, "100", "rooms: waiting citizens"),
    ("clerks", "CLERKS", int, "2", "rooms: clerks (one chat each)"),
    ("cycles", "CYCLES", int, "5", "rooms: end -> offer -> accept cycles"),
    ("timeout", "TIMEOUT", float, "120", "rooms: seconds to wait for the last room"),
    ("idle_sockets", "IDLE_SOCKETS", int, "200", "idle: idle citizen sockets on one process"),
    ("idle_rate", "IDLE_RATE", float, "2", "idle: chat messages per second beside them"),
    ("idle_duration", "IDLE_DURATION", float, "30", "idle: seconds of chat"),
    ("rate_limit", "RATE_LIMIT", int, "100000", "platform's WS_RATE_BURST/PER_SECOND"),
    ("http_concurrency", "HTTP_CONCURRENCY", int, "8", "browsers loading pages at once"),
    ("max_minutes", "MAX_MINUTES", float, "60", "stop a scenario after this long"),
]


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter
    )
    for name, variable, kind, default, text in OPTIONS:
        parser.add_argument(
            f"--{name.replace('_', '-')}",
            type=kind,
            default=kind(os.environ.get(variable, default)),
            help=f"{text} (${variable}, default {default})",
        )
    default_database = os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE)
    parser.add_argument("--database-url", default=default_database, help="name must hold 'bench'")
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL", DEFAULT_REDIS))
    parser.add_argument("--keep-db", action="store_true", help="keep the databases at the end")
    args = parser.parse_args()
    args.scenarios = SCENARIOS if args.scenario == "all" else args.scenario.split(",")
    unknown = set(args.scenarios) - set(SCENARIOS)
    if unknown:
        parser.error(f"unknown scenario(s): {', '.join(sorted(unknown))}")
    return args


def reproduce(args: argparse.Namespace) -> str:
    """The make command with every value of this run that its scenarios use."""
    values = [f"SCENARIO={','.join(args.scenarios)}"]
    for name, variable, _kind, _default, text in OPTIONS[1:]:
        scenario = text.split(":", 1)[0]
        if scenario in args.scenarios or scenario not in SCENARIOS:
            value = getattr(args, name)
            values.append(
                f"{variable}={value:g}" if isinstance(value, float) else f"{variable}={value}"
            )
    return "make bench-live " + " ".join(shlex.quote(v) for v in values)


Scenario = Callable[[Cluster], Awaitable[list[str]]]


def plan(name: str, args: argparse.Namespace) -> tuple[int, int, Scenario]:
    """Clerks and their capacity for the scenario's database, and the scenario itself."""
    if name == "chat":
        conversations = [int(n) for n in args.conversations.split(",")]
        options = chat.ChatOptions(
            conversations=conversations,
            rate=args.rate,
            seconds=args.duration,
            push_seconds=args.push_duration,
            push_steps=args.push_steps,
            max_rate=args.max_rate,
            capacity=args.capacity,
        )
        clerks = math.ceil(max(conversations) / args.capacity)
        return clerks, args.capacity, lambda cluster: chat.run(cluster, options)
    if name == "rooms":
        room_options = rooms.RoomsOptions(args.citizens, args.clerks, args.cycles, args.timeout)
        return args.clerks, 1, lambda cluster: rooms.run(cluster, room_options)
    idle_options = idle.IdleOptions(args.idle_sockets, args.idle_rate, args.idle_duration)
    return 1, 1, lambda cluster: idle.run(cluster, idle_options)


async def run_scenario(name: str, args: argparse.Namespace, database: Database) -> list[str]:
    if name == "dispatch":
        output = run_django(["-m", "tests.bench.live.dispatch"], database.fresh())
        return output.rstrip().splitlines()
    settings = Settings(
        redis_url=args.redis_url,
        rate_limit=args.rate_limit,
        http_concurrency=args.http_concurrency,
    )
    clerks, capacity, scenario = plan(name, args)
    async with open_cluster(name, settings, database, clerks=clerks, capacity=capacity) as cluster:
        lines = await scenario(cluster)
    for server, notes in cluster.notes.items():
        if notes:
            lines.append(f"  log of {server}: {dict(notes.most_common(8))}")
    return lines


def raise_open_files() -> None:
    """Thousands of sockets need as many descriptors, in this process and in the servers it
    starts (they inherit the limit): the soft limit goes up to the hard one."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = hard if hard != resource.RLIM_INFINITY else 65536
    if soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))


def _stop(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(f"stopped by signal {signum}")  # unwinds: every process is stopped


def main() -> None:
    args = arguments()
    signal.signal(signal.SIGTERM, _stop)
    raise_open_files()
    database = Database(args.database_url)
    print(f"live-path benchmark, {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f} at start")
    database.prepare_template()
    try:
        for name in args.scenarios:
            started = time.perf_counter()
            lines = asyncio.run(
                asyncio.wait_for(run_scenario(name, args, database), args.max_minutes * 60)
            )
            print()
            print("\n".join(lines))
            print(f"  ({name}: {time.perf_counter() - started:.0f} s in all)", flush=True)
    finally:
        if not args.keep_db:
            database.drop()
    print(f"\nload {os.getloadavg()[0]:.1f} at the end; to reproduce:\n  {reproduce(args)}")


if __name__ == "__main__":
    main()
