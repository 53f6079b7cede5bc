"""The production topology of deploy/, running: the shipped files rendered by ``deploy/render``
with loopback ports and paths of this run, nginx with that site, two daphne processes started
with the command and environment of the rendered ``sprechstunde-daphne@.service``, and a Redis
of their own (the suite's Redis and PostgreSQL are never restarted).

What differs from a server is only what a test machine needs: a self-signed certificate for
127.0.0.1, nginx's main configuration (a Debian server has /etc/nginx/nginx.conf; here one that
includes the rendered site, with its paths in a temporary folder), the test database, no
public holidays (the tests run on any day), a longer grace period for clerks (see
``Topology.test_settings``), and the site's origin with its port in
``CSRF_TRUSTED_ORIGINS`` (nginx listens on a free port, not 443; a city serving on another port
sets the same: daphne gives websockets no scheme, so behind TLS a socket's Origin is accepted
only as ``SITE_URL``'s or a trusted one, signaling/origins.py). The units' ``%i`` is the port,
as systemd has it.
"""

import contextlib
import os
import secrets
import shlex
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .conftest import ROOT, SWEEP_SETTINGS, _free_port, _test_database_url, wait_until_healthy

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


def read_environment_file(path: Path) -> dict[str, str]:
    """``NAME=VALUE`` lines as systemd's ``EnvironmentFile`` reads them (comments skipped,
    surrounding double quotes removed)."""
    values = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, _, value = line.partition("=")
        if len(value) >= 2 and value[0] == value[-1] == '"':
            value = value[1:-1]
        values[name] = value
    return values


@dataclass
class Unit:
    """The ``[Service]`` of a rendered systemd unit: what systemd would run, and with what."""

    exec_start: list[str]
    environment: dict[str, str]
    environment_file: Path
    working_directory: Path
    # What the tests change beyond the rendered environment file (the module's docstring).
    test_settings: dict[str, str]

    @classmethod
    def read(cls, path: Path, test_settings: dict[str, str], instance: str = "") -> "Unit":
        keys: dict[str, list[str]] = {}
        for line in path.read_text(encoding="utf-8").splitlines():
            name, sep, value = line.partition("=")
            if sep and not line.startswith("#"):
                keys.setdefault(name.strip(), []).append(value.strip().replace("%i", instance))
        lines = keys.get("Environment", [])
        environment = dict(item.split("=", 1) for value in lines for item in shlex.split(value))
        return cls(
            exec_start=shlex.split(keys["ExecStart"][0]),
            environment=environment,
            environment_file=Path(keys["EnvironmentFile"][0]),
            working_directory=Path(keys["WorkingDirectory"][0]),
            test_settings=test_settings,
        )

    def env(self) -> dict[str, str]:
        """A clean environment as systemd gives it: PATH, the file, the unit's own lines."""
        return {
            "PATH": os.environ["PATH"],
            **read_environment_file(self.environment_file),
            **self.environment,
            **self.test_settings,
        }

    def run(self, timeout: float = 120) -> subprocess.CompletedProcess:
        return subprocess.run(  # noqa: S603
            self.exec_start,
            cwd=self.working_directory,
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )


@dataclass
class Daphne:
    port: int
    unit: Unit
    log: Path
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def application_name(self) -> str:
        return self.unit.environment["PGAPPNAME"]

    def start(self) -> None:
        with open(self.log, "a") as log:
            self.process = subprocess.Popen(  # noqa: S603
                self.unit.exec_start,
                cwd=self.unit.working_directory,
                env=self.unit.env(),
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        wait_until_healthy(self.url, self.process, self.log, timeout=60)

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        """kill -9: no shutdown, no disconnect handlers."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.alive():
            assert self.process is not None
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


@dataclass
class Redis:
    """A Redis of the topology's own, on a free port: it may be restarted."""

    port: int
    folder: Path
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(  # noqa: S603
            [
                shutil.which("redis-server") or "/usr/bin/redis-server",
                *("--port", str(self.port), "--bind", "127.0.0.1", "--save", ""),
                *("--appendonly", "no", "--dir", str(self.folder)),
                *("--logfile", str(self.folder / "redis.log")),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while not self.answers():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"redis-server did not start; see {self.folder}/redis.log")
            time.sleep(0.05)

    def answers(self) -> bool:
        import redis

        try:
            return bool(redis.Redis(port=self.port, socket_connect_timeout=1).ping())
        except redis.RedisError:
            return False

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)


@dataclass
class Topology:
    folder: Path
    https_port: int
    http_port: int
    redis: Redis
    daphnes: list[Daphne]
    rendered: Path
    certificate: Path
    settings: dict[str, str]  # a module's own, e.g. RTC_FORCE_RELAY
    nginx: subprocess.Popen | None = None
    turn: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.https_port}"

    @property
    def ws_url(self) -> str:
        return f"wss://127.0.0.1:{self.https_port}"

    @property
    def static_root(self) -> Path:
        return self.folder / "data" / "static"

    @property
    def log_dir(self) -> Path:
        return self.folder / "logs"

    @property
    def test_settings(self) -> dict[str, str]:
        return {
            "PUBLIC_HOLIDAYS_STATE": "none",
            "CSRF_TRUSTED_ORIGINS": self.url,
            # The suite's deadlines: the suite's other platforms share the database and may
            # hold the sweep leadership (the reconnects measured take well under a second).
            **SWEEP_SETTINGS,
            **self.settings,
        }

    def unit(self, name: str, instance: str = "") -> Unit:
        return Unit.read(self.rendered / "systemd" / name, self.test_settings, instance)

    def environment(self) -> dict[str, str]:
        """The rendered environment file."""
        return read_environment_file(self.rendered / "sprechstunde.env")

    def nginx_logs(self) -> str:
        return "".join(p.read_text(errors="replace") for p in self.log_dir.glob("*.log"))

    def prepared(self, monkeypatch: Any, settings: Any) -> "Topology":
        """For a test: every process up (a test before may have killed one); this process
        trusts the self-signed certificate (wss:// clients, urllib) and signs the sessions it
        makes with the rendered SECRET_KEY, as the daphne processes do."""
        self.ensure_running()
        monkeypatch.setenv("SSL_CERT_FILE", str(self.certificate))
        settings.SECRET_KEY = self.environment()["SECRET_KEY"]
        return self

    def ensure_running(self) -> None:
        """As systemd's Restart=always would: start what is not running."""
        if self.redis.process is None or self.redis.process.poll() is not None:
            self.redis.start()
        for daphne in self.daphnes:
            if not daphne.alive():
                daphne.start()

    def start_nginx(self) -> None:
        conf = self.folder / "nginx.conf"
        temp = self.folder / "nginx-temp"
        temp.mkdir(exist_ok=True)
        # A server's /etc/nginx/nginx.conf, reduced: one worker (the upstream's round robin is
        # then one sequence), paths in this run's folder, the rendered site included.
        conf.write_text(
            f"""
user root;
worker_processes 1;
daemon off;
pid {self.folder}/nginx.pid;
error_log {self.log_dir}/nginx-main-error.log warn;
events {{ worker_connections 1024; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    client_body_temp_path {temp}/body;
    proxy_temp_path {temp}/proxy;
    fastcgi_temp_path {temp}/fastcgi;
    uwsgi_temp_path {temp}/uwsgi;
    scgi_temp_path {temp}/scgi;
    access_log off;
    include {self.rendered}/nginx/sprechstunde.conf;
}}
"""
        )
        log = self.log_dir / "nginx-stderr.log"
        with open(log, "w") as stderr:
            self.nginx = subprocess.Popen(  # noqa: S603
                [NGINX, "-p", str(self.folder), "-c", str(conf)],
                stdout=subprocess.DEVNULL,
                stderr=stderr,
            )
        wait_until_healthy(f"http://127.0.0.1:{self.http_port}", self.nginx, log)

    def start_turn(self) -> None:
        """coturn with the rendered /etc/turnserver.conf; on the command line what loopback
        needs: listen and relay on 127.0.0.1 only, and relay between two relay addresses
        there (the shipped configuration refuses loopback and private peers)."""
        self.turn = subprocess.Popen(  # noqa: S603
            [
                shutil.which("turnserver") or "/usr/bin/turnserver",
                *("-c", str(self.rendered / "coturn" / "turnserver.conf")),
                *("--listening-ip", "127.0.0.1", "--relay-ip", "127.0.0.1"),
                *("--allow-loopback-peers", "--allowed-peer-ip", "127.0.0.1"),
                *("--pidfile", str(self.folder / "turn.pid")),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def stop(self) -> None:
        if self.turn is not None and self.turn.poll() is None:
            self.turn.terminate()
            self.turn.wait(timeout=15)
        if self.nginx is not None and self.nginx.poll() is None:
            self.nginx.send_signal(signal.SIGQUIT)
            try:
                self.nginx.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.nginx.kill()
        for daphne in self.daphnes:
            daphne.stop()
        self.redis.stop()


def render(folder: Path, values: dict[str, str]) -> Path:
    """``deploy/render`` itself, on a values file like deploy/deploy.conf.example."""
    values_file = folder / "deploy.conf"
    values_file.write_text("".join(f"{k}={shlex.quote(v)}\n" for k, v in values.items()))
    out = folder / "rendered"
    subprocess.run(  # noqa: S603
        [sys.executable, str(ROOT / "deploy" / "render"), str(values_file), str(out)],
        check=True,
        capture_output=True,
        text=True,
    )
    return out


def self_signed_certificate(folder: Path) -> tuple[Path, Path]:
    certificate, key = folder / "tls.crt", folder / "tls.key"
    subprocess.run(  # noqa: S603
        [
            shutil.which("openssl") or "/usr/bin/openssl",
            *("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2"),
            *("-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"),
            *("-keyout", str(key), "-out", str(certificate)),
        ],
        check=True,
        capture_output=True,
    )
    return certificate, key


@contextlib.contextmanager
def running_topology(folder: Path, *, turn: bool = False, **settings: str) -> Iterator[Topology]:
    """Render deploy/ for this run, collect the static files, start Redis, two daphne
    processes (with ``settings`` beyond the rendered ones), nginx and (``turn``) coturn; stop
    them all on the way out."""
    (folder / "logs").mkdir(parents=True)
    (folder / "data").mkdir()
    certificate, key = self_signed_certificate(folder)
    https_port, http_port, redis_port = _free_port(), _free_port(), _free_port()
    daphne_ports = [_free_port(), _free_port()]
    redis = Redis(redis_port, folder)
    rendered = render(
        folder,
        {
            "SERVER_NAME": "127.0.0.1",
            "HTTPS_LISTEN": f"127.0.0.1:{https_port}",
            "HTTP_LISTEN": f"127.0.0.1:{http_port}",
            "TLS_CERTIFICATE": str(certificate),
            "TLS_CERTIFICATE_KEY": str(key),
            "LOG_DIR": str(folder / "logs"),
            "APP_DIR": str(ROOT),
            "APP_USER": "root",
            "DATA_DIR": str(folder / "data"),
            "ENV_FILE": str(folder / "rendered" / "sprechstunde.env"),
            "DAPHNE_PORTS": " ".join(map(str, daphne_ports)),
            "MEDIA_WORKERS": "1",
            "DATABASE_URL": _test_database_url(),
            "REDIS_URL": redis.url,
            "SECRET_KEY": secrets.token_urlsafe(50),
            "SMTP_HOST": "127.0.0.1",
            "DEFAULT_FROM_EMAIL": "Sprechstunde <sprechstunde@example.de>",
            "TURN_SECRET": secrets.token_urlsafe(32),
            "TURN_PORT": str(_free_port()),
            "TURN_TLS_PORT": str(_free_port()),
            "TURN_MIN_PORT": "49152",
            "TURN_MAX_PORT": "65535",
        },
    )
    topology = Topology(
        folder=folder,
        https_port=https_port,
        http_port=http_port,
        redis=redis,
        daphnes=[],
        rendered=rendered,
        certificate=certificate,
        settings=settings,
    )
    topology.daphnes = [
        Daphne(
            port,
            topology.unit("sprechstunde-daphne@.service", str(port)),
            ROOT / "var" / f"e2e-topology-{port}.log",
        )
        for port in daphne_ports
    ]
    try:
        redis.start()
        # What step 7 of docs/operations.md does before the units start.
        collected = Unit(
            [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
            {},
            topology.daphnes[0].unit.environment_file,
            ROOT,
            topology.test_settings,
        ).run()
        assert collected.returncode == 0, collected.stderr
        for daphne in topology.daphnes:
            daphne.start()
        topology.start_nginx()
        if turn:
            topology.start_turn()
        yield topology
    finally:
        topology.stop()
