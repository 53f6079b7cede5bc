"""The processes of one run: a fresh PostgreSQL database per scenario, two daphne processes of
the platform and two processes of the bare relay.

Every process is started in a process group of its own and stopped by ``Processes`` on the
way out (SIGTERM to the group, SIGKILL after 10 s), also when the run fails. Logs go to
``var/bench-live/``.
"""

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql

ROOT = Path(__file__).resolve().parents[3]
LOG_DIR = ROOT / "var" / "bench-live"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
# Every Python command of the platform runs through the launcher: this checkout's code only.
LAUNCH = ["-m", "tests.bench.live.launch"]
LOG_NOTES = re.compile(r"client error \w+|database error \w+|Traceback|\w+ failed|ERROR")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# --- The database ------------------------------------------------------------------------


class Database:
    """``DATABASE_URL`` names the scenario database; a migrated template beside it
    (``<name>_template``) is copied for every scenario, so each starts empty and migrating
    happens once per run. Only names containing ``bench`` are ever dropped."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.name = urlsplit(url).path.lstrip("/")
        if "bench" not in self.name:
            sys.exit(f"refusing to drop and create {self.name!r}: its name must contain 'bench'")
        self.template = f"{self.name}_template"

    def _url_of(self, name: str) -> str:
        parts = urlsplit(self.url)
        return urlunsplit(parts._replace(path=f"/{name}"))

    def _admin(self, *statements: sql.Composed) -> None:
        with psycopg.connect(self._url_of("postgres"), autocommit=True) as conn:
            for statement in statements:
                conn.execute(statement)

    def _recreate(self, name: str, template: str | None = None) -> None:
        create = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
        if template is not None:
            create = sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                sql.Identifier(name), sql.Identifier(template)
            )
        drop = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        self._admin(drop, create)

    def prepare_template(self) -> None:
        """Create the template and migrate it (once per run)."""
        self._recreate(self.template)
        run_django(["manage.py", "migrate", "--noinput", "-v", "0"], self._url_of(self.template))

    def fresh(self) -> str:
        """An empty, migrated scenario database; returns its URL."""
        self._recreate(self.name, template=self.template)
        return self.url

    def drop(self) -> None:
        for name in (self.name, self.template):
            self._admin(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


def run_django(args: list[str], database_url: str, timeout: float = 600) -> str:
    """Run a Django command or module (``["-m", ...]`` or ``["manage.py", ...]``) on a
    database; returns its standard output."""
    env = {**os.environ, "DATABASE_URL": database_url, "DJANGO_SETTINGS_MODULE": "config.settings"}
    env.pop("REDIS_URL", None)  # setup needs no channel layer
    done = subprocess.run(  # noqa: S603
        [sys.executable, *LAUNCH, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed:\n{done.stderr[-3000:]}")
    return done.stdout


# --- Processes ---------------------------------------------------------------------------


@dataclass
class Server:
    name: str
    port: int
    process: subprocess.Popen[bytes]
    log_path: Path

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_base(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def rss_kib(self) -> int:
        """Resident memory of the process (VmRSS in /proc/<pid>/status)."""
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        match = re.search(r"^VmRSS:\s+(\d+) kB", status, re.MULTILINE)
        return int(match.group(1)) if match else 0

    def cpu_seconds(self) -> float:
        """User + system CPU time of the process so far."""
        stat = Path(f"/proc/{self.process.pid}/stat").read_text()
        fields = stat.rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS

    def log_notes(self) -> Counter[str]:
        """Notable log lines (errors, client errors by code, failures), counted."""
        if not self.log_path.exists():
            return Counter()
        return Counter(LOG_NOTES.findall(self.log_path.read_text(errors="replace")))


class Processes:
    """Starts servers and stops every one of them on exit, whatever happened."""

    def __init__(self) -> None:
        self.servers: list[Server] = []

    def __enter__(self) -> "Processes":
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.stop_all()

    def _spawn(self, name: str, port: int, args: list[str], env: dict[str, str]) -> Server:
        LOG_DIR.mkdir(parents=True, exist_ok=True)
        log_path = LOG_DIR / f"{name}.log"
        with open(log_path, "wb") as log:
            process = subprocess.Popen(  # noqa: S603
                [sys.executable, *LAUNCH, *args],
                cwd=ROOT,
                # As the README's production environment: two glibc arenas, not one per
                # thread (the executor's threads otherwise make the RSS per socket vary).
                env={"MALLOC_ARENA_MAX": "2", **env},
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: stopped as a whole
            )
        server = Server(name, port, process, log_path)
        self.servers.append(server)
        return server

    def start_daphne(self, name: str, env: dict[str, str], port: int = 0) -> Server:
        port = port or free_port()
        args = ["-m", "daphne", "-b", "127.0.0.1", "-p", str(port)]
        args += ["--websocket-max-message-size", "65536", "--access-log", "/dev/null"]
        server = self._spawn(name, port, [*args, "config.asgi:application"], env)
        _wait_healthy(server)
        return server

    def start_relay(self, name: str, redis_url: str, prefix: str) -> Server:
        port = free_port()
        args = ["-m", "tests.bench.live.relay", "--redis", redis_url, "--prefix", prefix]
        server = self._spawn(name, port, [*args, "--port", str(port)], dict(os.environ))
        _wait_listening(server)
        return server

    def stop(self, server: Server) -> None:
        if server.process.poll() is None:
            _signal_group(server.process.pid, signal.SIGTERM)
            try:
                server.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                _signal_group(server.process.pid, signal.SIGKILL)
                server.process.wait(timeout=10)
        if server in self.servers:
            self.servers.remove(server)

    def stop_all(self) -> None:
        for server in list(self.servers):
            self.stop(server)


def _signal_group(pid: int, sig: signal.Signals) -> None:
    try:
        os.killpg(pid, sig)  # the group started with the process (start_new_session)
    except ProcessLookupError:
        pass


def _wait_healthy(server: Server, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(f"{server.base_url}/healthz", timeout=5) as response:  # noqa: S310
                if response.status == 200:
                    return
        except OSError:
            pass
        if server.process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"{server.name} did not start; see {server.log_path}")
        time.sleep(0.2)


def _wait_listening(server: Server, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection(("127.0.0.1", server.port), timeout=1):
                return
        except OSError:
            if server.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{server.name} did not start; see {server.log_path}") from None
            time.sleep(0.1)


def platform_env(
    *, database_url: str, redis_url: str, prefix: str, rate_limit: int
) -> dict[str, str]:
    """Production-like settings (README, "Production"): DEBUG off, PostgreSQL, Redis, no
    media worker in the web process, default queue timings. The per-connection rate limit
    is raised so that the throughput steps measure the platform, not the limit."""
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env.update(
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        CHANNEL_PREFIX=prefix,
        SECRET_KEY="bench-live-not-a-secret",
        ALLOWED_HOSTS="127.0.0.1,localhost",
        DEBUG="false",
        MEDIA_WORKER_EMBEDDED="false",
        LOG_LEVEL="INFO",
        WS_RATE_BURST=str(rate_limit),
        WS_RATE_PER_SECOND=str(rate_limit),
        PUBLIC_HOLIDAYS_STATE="none",  # the topic is open on every day the harness runs
    )
    return env
