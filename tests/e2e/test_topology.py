"""The production topology as shipped in deploy/ (tests/e2e/topology.py starts it): everything
goes through nginx over TLS, to two daphne processes with a Redis of their own.

A chat runs with the citizen on one process and the clerk on the other; in its middle one
fault: the clerk's process is killed (kill -9), the Redis restarted, or the processes'
PostgreSQL connections terminated. The clients behave as chat.js and console.js do
(tests/bench/live/clients.py, plus reconnecting as the pages do): a socket that closes is
opened again through nginx, resumes from its last sequence number, and sends again what the
server has not confirmed. Afterwards every message is in the log exactly once and each party
has seen each exactly once.
"""

import asyncio
import contextlib
import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from websockets.exceptions import InvalidHandshake, WebSocketException

from consult.consultations.models import Consultation, Message
from consult.queue import lifecycle, routing
from tests.bench.live.clients import ChatSocket, QueueSocket, Socket, of_type

from .conftest import tokens_in_platform_logs
from .test_two_processes import cookie_of
from .topology import Daphne, Topology, running_topology

pytestmark = pytest.mark.e2e
# Generous: a loaded 2-core machine. Nothing waits for these unless something is wrong.
WAIT_SECONDS = 90.0
RESEND_SECONDS = 3.0
# chat.js: a chat that has heard nothing for this long resumes (a dropped last entry).
IDLE_RESUME_SECONDS = 20.0


@pytest.fixture(scope="module")
def topology(django_db_setup: None, django_db_blocker: Any, tmp_path_factory: Any) -> Iterator:
    with django_db_blocker.unblock(), running_topology(tmp_path_factory.mktemp("topology")) as t:
        yield t


@pytest.fixture
def deployment(
    topology: Topology, transactional_db: None, monkeypatch: pytest.MonkeyPatch, settings: Any
) -> Topology:
    return topology.prepared(monkeypatch, settings)


def upstream_connections(port: int) -> set[int]:
    """The client ports of the established TCP connections to 127.0.0.1:``port`` (nginx's
    connections to one daphne), from /proc/net/tcp."""
    found = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        local, remote, state = line.split()[1:4]
        if state == "01" and int(local.split(":")[1], 16) == port:
            found.add(int(remote.split(":")[1], 16))
    return found


async def connect_on(topology: Topology, daphne: Daphne, keeper: "Keeper") -> None:
    """Open the keeper's socket through nginx until nginx's round robin puts it on ``daphne``
    (no frame is sent before: they count against the rate limit), then start the page."""
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        before = {d.port: upstream_connections(d.port) for d in topology.daphnes}
        await keeper.connect()
        landed = [d for d in topology.daphnes if upstream_connections(d.port) - before[d.port]]
        if landed == [daphne]:
            await keeper.begin()
            return
        await keeper.socket.close()
        assert time.monotonic() < deadline, f"nginx never passed a socket to {daphne.port}"
        await asyncio.sleep(0.2)  # e.g. nginx rests a restarted process for fail_timeout


class Keeper:
    """A page's socket that is opened again whenever it closes (through nginx, so to
    whichever process nginx picks)."""

    def __init__(self, socket: Socket) -> None:
        self.socket = socket
        self.reconnects = 0
        self.task: asyncio.Task[None] | None = None

    async def connect(self) -> None:
        """Open the websocket (through nginx), nothing sent yet."""
        self.socket.closed_by_server = False  # set by the reader of a closed connection
        await self.socket.connect(timeout=30)

    async def begin(self) -> None:
        """What the page does once its socket is open."""

    async def tick(self) -> None:
        """What the page does while it is connected (sending what is unconfirmed)."""

    def start(self) -> None:
        self.task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task
        await self.socket.close()

    async def _run(self) -> None:
        while True:
            if self.socket.closed_by_server:
                await self._reopen()
            await self.tick()
            await asyncio.sleep(0.2)

    async def _reopen(self) -> None:
        self.reconnects += 1
        deadline = time.monotonic() + WAIT_SECONDS
        while True:
            try:
                await asyncio.wait_for(self.connect(), 30)
                await asyncio.wait_for(self.begin(), 30)
                return
            except (OSError, TimeoutError, WebSocketException, InvalidHandshake):
                if time.monotonic() > deadline:
                    raise
                await self.socket.close()
                await asyncio.sleep(0.5)  # the page's reconnect back-off


class Console(Keeper):
    """The clerk's console (``/ws/clerk/queue/``): while it is open the clerk is present."""

    socket: QueueSocket

    async def connect(self) -> None:
        self.snapshot = self.socket.expect(of_type("queue"))  # sent at once on connect
        await super().connect()

    async def begin(self) -> None:
        await asyncio.wait_for(self.snapshot, 30)


class Chat(Keeper):
    """A chat page (citizen or clerk): resumes on every connect, takes each entry once (by
    ``seq``), sends again every message the server has not confirmed."""

    socket: ChatSocket

    def __init__(self, socket: ChatSocket) -> None:
        super().__init__(socket)
        self.unconfirmed: dict[str, tuple[str, float]] = {}  # client_id -> body, last sent
        self.seen: list[tuple[str, str]] = []  # (sender, client_id) of the text entries
        socket.on_text = self._on_text

    def _on_text(self, client: Any, frame: dict, received: float) -> None:
        self.seen.append((frame["sender"], frame["client_id"]))
        if frame["sender"] == self.socket.role:
            self.unconfirmed.pop(frame["client_id"], None)

    async def begin(self) -> None:
        ready = self.socket.expect(of_type("ready"))
        await self.socket.resume()
        await asyncio.wait_for(ready, 30)
        self.unconfirmed = {cid: (body, 0.0) for cid, (body, _) in self.unconfirmed.items()}

    async def say(self, client_id: str) -> None:
        self.unconfirmed[client_id] = (f"{self.socket.role} {client_id}", 0.0)
        await self.tick()

    async def tick(self) -> None:
        if not self.socket.ready or self.socket.closed_by_server:
            return
        now = time.monotonic()
        for client_id, (body, sent) in list(self.unconfirmed.items()):
            if now - sent >= RESEND_SECONDS:
                self.unconfirmed[client_id] = (body, now)
                with contextlib.suppress(WebSocketException):
                    await self.socket.send_text(client_id, body)


async def all_seen(chats: list[Chat], sent: list[tuple[str, str]]) -> None:
    """Until every chat has seen every message sent; a chat that heard nothing new for
    IDLE_RESUME_SECONDS resumes, as chat.js does."""
    deadline = time.monotonic() + WAIT_SECONDS
    progress = {id(chat): (len(chat.seen), time.monotonic()) for chat in chats}
    while not all(set(sent) <= set(chat.seen) for chat in chats):
        assert time.monotonic() < deadline, (
            f"not seen: {[sorted(set(sent) - set(chat.seen)) for chat in chats]}"
        )
        for chat in chats:
            count, since = progress[id(chat)]
            if len(chat.seen) != count:
                progress[id(chat)] = (len(chat.seen), time.monotonic())
            elif time.monotonic() - since > IDLE_RESUME_SECONDS and chat.socket.ready:
                progress[id(chat)] = (count, time.monotonic())
                with contextlib.suppress(WebSocketException):
                    await chat.socket.resume()
        await asyncio.sleep(0.1)


class Conversation:
    """A consultation accepted by a clerk; the clerk's console and chat on the first daphne,
    the citizen's chat on the second."""

    def __init__(self, topology: Topology, consultation: Consultation, cookie: str) -> None:
        ws, origin = topology.ws_url, topology.url
        self.topology = topology
        self.console = Console(QueueSocket(f"{ws}/ws/clerk/queue/", origin=origin, cookie=cookie))
        self.clerk = Chat(
            ChatSocket(
                f"{ws}/ws/clerk/consultations/{consultation.pk}/",
                origin=origin,
                role="clerk",
                cookie=cookie,
            )
        )
        self.citizen = Chat(
            ChatSocket(
                f"{ws}/ws/citizen/{consultation.public_token}/", origin=origin, role="citizen"
            )
        )
        self.sent: list[tuple[str, str]] = []

    @property
    def keepers(self) -> list[Keeper]:
        return [self.console, self.clerk, self.citizen]

    async def open(self) -> None:
        clerks_process, citizens_process = self.topology.daphnes
        places = [clerks_process, clerks_process, citizens_process]
        for keeper, daphne in zip(self.keepers, places, strict=True):
            await connect_on(self.topology, daphne, keeper)
        for keeper in self.keepers:
            keeper.start()

    async def exchange(self, rounds: range) -> None:
        """Each party says one message per round, without waiting for the other."""
        for i in rounds:
            for chat in (self.citizen, self.clerk):
                self.sent.append((chat.socket.role, f"m{i}"))
                await chat.say(f"m{i}")

    async def all_seen(self) -> None:
        await all_seen([self.citizen, self.clerk], self.sent)

    async def close(self) -> None:
        for keeper in self.keepers:
            await keeper.stop()


def converse(topology: Topology, consultation: Consultation, cookie: str, fault: Callable) -> Any:
    """Four rounds, the fault, four rounds at once (while the clients recover), four more."""

    async def run() -> Conversation:
        talk = Conversation(topology, consultation, cookie)
        await talk.open()
        try:
            await talk.exchange(range(4))
            await talk.all_seen()
            await asyncio.get_running_loop().run_in_executor(None, fault)
            await talk.exchange(range(4, 8))
            await talk.all_seen()
            await talk.exchange(range(8, 12))
            await talk.all_seen()
        finally:
            await talk.close()
        return talk

    return asyncio.run(run())


@pytest.fixture
def accepted(deployment: Topology, topic: Any, make_clerk: Any) -> tuple[Consultation, str]:
    """A consultation of the topic, accepted by a clerk who is signed in (a session cookie)."""
    anna = make_clerk("anna", [topic], status="available")
    waiting = lifecycle.start_consultation(topic_slug=topic.slug)
    consultation = routing.accept(consultation_id=waiting.pk, clerk=anna)
    assert consultation.clerk_id == anna.pk
    return consultation, cookie_of(anna)


def assert_every_message_once(consultation: Consultation, talk: Any) -> None:
    stored = list(
        Message.objects.filter(consultation=consultation, kind=Message.Kind.TEXT).values_list(
            "sender", "client_id"
        )
    )
    assert sorted(stored) == sorted(talk.sent), "stored: every message exactly once"
    for chat in (talk.citizen, talk.clerk):
        assert sorted(chat.seen) == sorted(talk.sent), f"{chat.socket.role} saw each once"


def assert_still_with_the_clerk(consultation: Consultation) -> None:
    clerk = consultation.clerk_id
    consultation.refresh_from_db()
    assert consultation.state == Consultation.State.ACTIVE
    assert consultation.clerk_id == clerk
    assert not Message.objects.filter(
        consultation=consultation, kind=Message.Kind.REQUEUED
    ).exists()


def assert_no_token_logged(topology: Topology, consultation: Consultation) -> None:
    """nginx's access log names the citizen's socket, masked; no log holds the token."""
    deadline = time.monotonic() + WAIT_SECONDS
    while "/ws/citizen/***/" not in topology.nginx_logs():  # written when the socket closed
        assert time.monotonic() < deadline, "nginx logged no citizen socket"
        time.sleep(0.1)
    assert consultation.public_token not in topology.nginx_logs()
    assert tokens_in_platform_logs() == []


def test_chat_across_processes_survives_a_killed_process(deployment, accepted):
    """The clerk's process dies (kill -9) in mid-chat: console and chat reconnect through
    nginx to the other process within the grace period, resume, and send again; the citizen's
    socket, on the other process, stays; the consultation stays with the clerk."""
    consultation, cookie = accepted
    clerks_process = deployment.daphnes[0]
    talk = converse(deployment, consultation, cookie, clerks_process.kill)
    assert_every_message_once(consultation, talk)
    assert (talk.console.reconnects, talk.clerk.reconnects, talk.citizen.reconnects) == (1, 1, 0)
    assert_still_with_the_clerk(consultation)
    assert_no_token_logged(deployment, consultation)


def test_chat_survives_a_redis_restart(deployment, accepted):
    consultation, cookie = accepted

    def restart_redis() -> None:
        deployment.redis.stop()
        deployment.redis.start()

    talk = converse(deployment, consultation, cookie, restart_redis)
    assert_every_message_once(consultation, talk)


def test_chat_survives_terminated_database_connections(deployment, accepted):
    """Every PostgreSQL connection of the two daphne processes (found by the application
    name their unit gives them, in this run's database only) is terminated in mid-chat."""
    consultation, cookie = accepted
    names = [daphne.application_name for daphne in deployment.daphnes]
    terminated: list[int] = []

    def terminate() -> None:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE application_name = ANY(%s) AND datname = current_database()",
                [names],
            )
            terminated.extend(row[0] for row in cursor.fetchall())
        connection.close()  # this thread's own connection, opened for the statement

    talk = converse(deployment, consultation, cookie, terminate)
    assert terminated and all(terminated), "the processes' connections were found"
    assert_every_message_once(consultation, talk)


def test_nginx_serves_the_site_as_shipped(deployment):
    """Static files come from the collectstatic root through nginx itself (a file written
    there after daphne started, which WhiteNoise does not know); plain http redirects to
    https except the health check; the upstream is healthy through TLS."""
    probe = deployment.static_root / "topology-probe.txt"
    probe.write_text("served by nginx")
    with urllib.request.urlopen(f"{deployment.url}/static/topology-probe.txt") as response:  # noqa: S310
        assert response.read() == b"served by nginx"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
    with urllib.request.urlopen(f"{deployment.url}/healthz") as response:  # noqa: S310
        assert json.loads(response.read())
    http = f"http://127.0.0.1:{deployment.http_port}"
    with urllib.request.urlopen(f"{http}/healthz") as response:  # noqa: S310
        assert response.status == 200

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: Any, **kwargs: Any) -> None:
            return None

    with pytest.raises(urllib.error.HTTPError) as redirected:
        urllib.request.build_opener(NoRedirect).open(f"{http}/c/some-token/")
    assert redirected.value.code == 301
    assert redirected.value.headers["Location"] == "https://127.0.0.1/c/some-token/"


@pytest.mark.parametrize("timer", ["purge", "reminders", "statistics"])
def test_the_timers_commands_run(deployment, timer):
    """What each rendered timer starts (its service's ExecStart, environment and folder)."""
    done = deployment.unit(f"sprechstunde-{timer}.service").run()
    assert done.returncode == 0, done.stderr
