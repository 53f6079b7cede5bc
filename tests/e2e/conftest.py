"""End to end: a real daphne process on the test database, driven by headless Chromium."""

import contextlib
import functools
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.db import connection

from tests.conftest import CHROMIUM

ROOT = Path(__file__).resolve().parents[2]
BROWSER_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--use-fake-ui-for-media-stream",
    "--use-fake-device-for-media-stream=fps=30",
]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _test_database_url() -> str:
    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


@pytest.fixture(scope="session")
def widget_host() -> Iterator[tuple[str, Path]]:
    """A second origin (another port) standing in for the city's website: serves the files
    of a folder; the widget tests write their host page into it."""
    folder = ROOT / "var" / "e2e-widget-host"
    folder.mkdir(parents=True, exist_ok=True)
    handler = functools.partial(QuietHandler, directory=str(folder))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", folder
    server.shutdown()
    server.server_close()


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="session")
def mail_folder() -> Path:
    """Where the e2e daphne writes its e-mails (Django's file-based backend)."""
    folder = ROOT / "var" / f"e2e-mail-{os.getpid()}"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _spawn(args: list[str], env: dict[str, str], log: Any) -> subprocess.Popen:
    return subprocess.Popen(  # noqa: S603
        [sys.executable, *args], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
    )


# The deadlines of every platform the suite starts (the topology's too). They share the test
# database, and whichever process holds the sweep leadership (signaling/leader.py) sweeps
# every consultation with its own deadlines: one platform with a longer grace would see its
# clerks requeued by another's sweep. Short, so the tests can wait for them (the defaults
# are 15 s, 5 s and 60 s): a clerk's console counts as gone after 3 s without a heartbeat,
# a waiting citizen's page after 5 s.
SWEEP_SETTINGS = {
    "QUEUE_GRACE_SECONDS": "3",
    "QUEUE_HEARTBEAT_SECONDS": "0.5",
    "CITIZEN_GRACE_SECONDS": "5",
}


def platform_log(name: str) -> Path:
    """Where the processes of ``running_platform(name)`` write their output and logs."""
    return ROOT / "var" / f"e2e-{name}.log"


# The media worker processes of each running platform, by its name and the workers' index.
MEDIA_WORKERS: dict[str, list[subprocess.Popen]] = {}


def wait_until_healthy(url: str, process: subprocess.Popen, log: Path, timeout: float = 30) -> None:
    """Until ``url`` (a daphne, or the proxy before it) answers ``/healthz`` with 200 (the
    database and channel layer answer); fails when the process ends first or after
    ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2) as response:  # noqa: S310
                if response.status == 200:
                    return
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{url}/healthz did not answer; see {log}") from None
            time.sleep(0.1)


@contextlib.contextmanager
def running_platform(
    name: str, *, media: bool = True, media_workers: int = 1, **settings: str
) -> Iterator[str]:
    """A daphne process like production's, on the test database and Redis, and (``media``)
    ``media_workers`` media worker processes beside it (the relay's pool, in
    ``MEDIA_WORKERS[name]``); yields the base URL. A second process of the same deployment
    passes the first one's ``CHANNEL_PREFIX``."""
    port = _free_port()
    env = {
        **{k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"},
        "DATABASE_URL": _test_database_url(),
        "WHITENOISE_USE_FINDERS": "true",
        "CHANNEL_PREFIX": f"e2e{port}",
        **SWEEP_SETTINGS,
        "PUBLIC_HOLIDAYS_STATE": "none",  # the tests run on any day of the year
        "MEDIA_WORKER_EMBEDDED": "false",
        "SITE_URL": f"http://127.0.0.1:{port}",
        **settings,
    }
    (ROOT / "var").mkdir(exist_ok=True)
    with open(platform_log(name), "w") as log:
        # No access log, as the README's production command: it would hold room paths.
        daphne = ["-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "--access-log", "/dev/null"]
        daphne.append("config.asgi:application")
        processes = [_spawn(daphne, env, log)]
        workers = [
            _spawn(["manage.py", "mediaworker", "--index", str(i)], env, log)
            for i in range(media_workers if media else 0)
        ]
        MEDIA_WORKERS[name] = workers
        processes.extend(workers)
        url = f"http://127.0.0.1:{port}"
        wait_until_healthy(url, processes[0], platform_log(name))
        try:
            yield url
        finally:
            for process in processes:
                if process.poll() is None:
                    process.terminate()
            for process in processes:
                process.wait(timeout=10)
            MEDIA_WORKERS.pop(name, None)


@pytest.fixture(scope="session")
def live_server_url(
    django_db_setup: None,
    django_db_blocker: Any,
    widget_host: tuple[str, Path],
    mail_folder: Path,
) -> Iterator[str]:
    # Appointment e-mails as files the tests read; the widget's host page may frame us.
    with (
        django_db_blocker.unblock(),
        running_platform(
            "daphne",
            EMAIL_BACKEND="django.core.mail.backends.filebased.EmailBackend",
            EMAIL_FILE_PATH=str(mail_folder),
            WIDGET_ALLOWED_ORIGINS=widget_host[0],
        ) as url,
    ):
        yield url


@pytest.fixture(scope="module")
def browser(request: pytest.FixtureRequest) -> Iterator[Any]:
    """Per module: Playwright's sync API keeps an event loop in this thread while it runs,
    which must be gone before asyncio tests (pytest-asyncio) run in the same process. A module
    may add flags (``EXTRA_BROWSER_ARGS``)."""
    from playwright.sync_api import sync_playwright

    # The ORM calls of the test itself (fixtures, checks) are synchronous and safe here,
    # but Django sees Playwright's loop and would refuse them. Only while Playwright runs.
    mp = pytest.MonkeyPatch()
    mp.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[*BROWSER_ARGS, *getattr(request.module, "EXTRA_BROWSER_ARGS", [])],
        )
        yield browser
        browser.close()
    mp.undo()


class Pages:
    """New browser contexts (one per person) that record every request they make."""

    def __init__(self, browser: Any, base_url: str) -> None:
        self.browser = browser
        self.base_url = base_url
        self.contexts: list[Any] = []
        self.requests: list[str] = []
        self.errors: list[str] = []
        self.other_hosts: set[str] = set()  # e.g. the widget's host page

    def new(self) -> Any:
        context = self.browser.new_context(base_url=self.base_url)
        context.on("request", lambda request: self.requests.append(request.url))
        self.contexts.append(context)
        page = context.new_page()
        page.on("websocket", lambda ws: self.requests.append(ws.url))
        page.on("pageerror", lambda error: self.errors.append(str(error)))
        page.on(
            "console",
            lambda message: message.type == "error" and self.errors.append(message.text),
        )
        return page

    def close(self) -> None:
        for context in self.contexts:
            context.close()

    def foreign_requests(self) -> list[str]:
        host = self.base_url.split("://", 1)[1]
        allowed = {host, *self.other_hosts}
        return [u for u in self.requests if u.split("://", 1)[-1].split("/", 1)[0] not in allowed]


@pytest.fixture
def pages(browser: Any, live_server_url: str, transactional_db: None) -> Iterator[Pages]:
    pages = Pages(browser, live_server_url)
    yield pages
    pages.close()
    assert pages.foreign_requests() == [], "a page requested another host"
    assert pages.errors == [], "a page reported script errors"
    assert tokens_in_platform_logs() == [], "a citizen's token reached a log"


def tokens_in_platform_logs() -> list[str]:
    """Every token this test issued (rooms, appointments) that a platform log line holds
    (issue 16, finding 6: the platform's processes log through config/logfilters.py)."""
    from consult.appointments.models import Appointment
    from consult.consultations.models import Consultation

    tokens = [
        *Consultation.objects.values_list("public_token", flat=True),
        *Appointment.objects.values_list("token", flat=True),
    ]
    written = "".join(
        path.read_text(encoding="utf-8", errors="replace")
        for path in (ROOT / "var").glob("e2e-*.log")
    )
    return [token for token in tokens if token and token in written]


_axe = Axe()


def assert_accessible(page: Any) -> None:
    """axe-core (inside the axe-playwright-python wheel): zero WCAG 2.2 A/AA violations."""
    results = _axe.run(
        page,
        options={
            "runOnly": {
                "type": "tag",
                "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"],
            }
        },
    )
    assert results.violations_count == 0, results.generate_report()
