"""Websocket clients that speak docs/protocol.md as the browser code does (frontend/static/
frontend/js/chat.js and console.js), and the same chat client shape for the bare relay.

Every frame is read by one task per socket as it arrives and stamped with
``time.perf_counter()``; all clients live in this one process, so send and receive times come
from the same clock.
"""

import asyncio
import json
import time
from collections import Counter
from collections.abc import Callable, Coroutine
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

Frame = dict[str, Any]
TextHandler = Callable[["ChatClient", Frame, float], None]
_background: set[asyncio.Task[None]] = set()


def spawn(coroutine: Coroutine[Any, Any, None]) -> None:
    """Run a send in the background (from a frame handler) and keep a reference to it."""
    task = asyncio.create_task(coroutine)
    _background.add(task)
    task.add_done_callback(_background.discard)


class Socket:
    """One websocket: a reader task, handlers per frame, and waiting for a frame."""

    def __init__(self, url: str, *, origin: str, cookie: str = "") -> None:
        self.url = url
        self.origin = origin
        self.cookie = cookie
        self.ws: ClientConnection | None = None
        self.reader: asyncio.Task[None] | None = None
        self.waiters: list[tuple[Callable[[Frame], bool], asyncio.Future[Frame]]] = []
        self.errors: Counter[str] = Counter()
        self.closed_by_server = False

    async def connect(self, timeout: float = 60) -> None:
        headers = {"Cookie": self.cookie} if self.cookie else {}
        # No permessage-deflate and no client pings: the same for platform and relay, and
        # what a browser page does not do on its own (daphne pings the client itself).
        self.ws = await connect(
            self.url,
            origin=self.origin,  # type: ignore[arg-type]
            additional_headers=headers,
            compression=None,
            open_timeout=timeout,
            ping_interval=None,
            max_size=2**20,
        )
        self.reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        assert self.ws is not None
        try:
            async for text in self.ws:
                received = time.perf_counter()
                frame = json.loads(text)
                if frame.get("type") == "error":
                    self.errors[frame.get("code", "?")] += 1
                self.handle(frame, received)
                self._wake(frame)
        except ConnectionClosed:
            pass
        self.closed_by_server = True

    def _wake(self, frame: Frame) -> None:
        for predicate, future in self.waiters:
            if not future.done() and predicate(frame):
                future.set_result(frame)
        self.waiters = [(p, f) for p, f in self.waiters if not f.done()]

    def handle(self, frame: Frame, received: float) -> None:
        """Subclasses keep what they need of each frame."""

    def expect(self, predicate: Callable[[Frame], bool]) -> asyncio.Future[Frame]:
        """A future for the next frame matching ``predicate``; register before sending."""
        future: asyncio.Future[Frame] = asyncio.get_running_loop().create_future()
        self.waiters.append((predicate, future))
        return future

    async def send(self, frame: Frame) -> None:
        assert self.ws is not None
        await self.ws.send(json.dumps(frame))

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()
        if self.reader is not None:
            await asyncio.wait([self.reader], timeout=5)


def of_type(kind: str) -> Callable[[Frame], bool]:
    return lambda frame: frame.get("type") == kind


class ChatClient(Socket):
    """What the chat benchmark needs of either side of a conversation: a role, the
    conversation's index and the handler that counts received texts."""

    role: str
    conv: int | None = None
    on_text: TextHandler | None = None

    async def send_text(self, client_id: str, body: str) -> None:
        await self.send({"type": "message", "client_id": client_id, "body": body})


class ChatSocket(ChatClient):
    """``/ws/citizen/<token>/`` or ``/ws/clerk/consultations/<id>/``, as chat.js: resume after
    every connect, ignore entries already seen, resume again on a gap in ``seq``."""

    def __init__(self, url: str, *, origin: str, role: str, cookie: str = "") -> None:
        super().__init__(url, origin=origin, cookie=cookie)
        self.role = role
        self.last_seq = 0
        self.ahead = 0  # the highest live entry passed over while a replay was under way
        self.ready = False
        self.state = ""
        self.kinds: Counter[str] = Counter()  # log entries by kind (e.g. "requeued")
        self.positions: list[tuple[float, Frame]] = []
        self.gaps = 0  # live entries that skipped a seq (the channel layer dropped one)
        self.repeats = 0  # entries seen twice (replay overlap), ignored like the browser
        self.hello_from: int | None = None  # the citizen index of a "hello-<i>" message

    async def open(self, url: str | None = None) -> Frame:
        """Connect (again, maybe to another process) and resume; returns the ``ready``."""
        if url is not None:
            await self.close()
            self.url = url
        ready = self.expect(of_type("ready"))
        await self.connect()
        await self.resume()
        return await asyncio.wait_for(ready, 300)

    async def resume(self) -> None:
        self.ready = False
        await self.send({"type": "resume", "last_seq": self.last_seq})

    def handle(self, frame: Frame, received: float) -> None:
        kind = frame.get("type")
        if kind == "message":
            self._entry(frame, received)
        elif kind == "ready":
            if self.ahead > self.last_seq:  # as chat.js: the replay ended before that entry
                self.ahead = 0
                spawn(self.resume())
                return
            self.ahead = 0
            self.ready = True
            self.state = frame["state"]
        elif kind == "position":
            self.positions.append((received, frame))

    def _entry(self, frame: Frame, received: float) -> None:
        seq = frame["seq"]
        if seq <= self.last_seq:
            self.repeats += 1
            return
        if seq > self.last_seq + 1:
            if self.ready:
                self.gaps += 1
                spawn(self.resume())  # as chat.js: fetch the gap from the database
            else:
                self.ahead = max(self.ahead, seq)
            return
        self.last_seq = seq
        self.kinds[frame["kind"]] += 1
        self.state = frame["state"]  # the consultation's state once the entry was written
        if frame["kind"] != "text":
            return
        client_id = frame.get("client_id") or ""
        if client_id.startswith("hello-") and frame["sender"] == "citizen":
            self.hello_from = int(client_id.removeprefix("hello-"))
        if self.on_text is not None:
            self.on_text(self, frame, received)


class QueueSocket(Socket):
    """``/ws/clerk/queue/``, as console.js: the snapshot, the ring, and (when
    ``auto_accept``) an ``accept`` for every offer, timed until its ``accepted``."""

    def __init__(self, url: str, *, origin: str, cookie: str) -> None:
        super().__init__(url, origin=origin, cookie=cookie)
        self.status = ""
        self.statuses: list[str] = []  # every status the snapshots showed, in order
        self.auto_accept = False
        self.offers_seen: dict[int, float] = {}  # consultation id -> first seen
        self.pending: tuple[int, float] | None = None  # the accept in flight
        self.accepted: list[int] = []
        self.accepted_at: list[float] = []  # when each ``accepted`` arrived
        self.accept_rtts: list[float] = []  # seconds, accept -> accepted
        self.refused: Counter[str] = Counter()  # error codes answering an accept
        self.snapshots = 0

    def handle(self, frame: Frame, received: float) -> None:
        kind = frame.get("type")
        if kind == "queue":
            self.snapshots += 1
            if frame["status"] != self.status:
                self.status = frame["status"]
                self.statuses.append(self.status)
            offer = frame.get("offer")
            if offer is not None:
                self.offers_seen.setdefault(offer["id"], received)
                if self.auto_accept and self.pending is None:
                    spawn(self.accept(offer["id"]))
        elif kind == "accepted" and self.pending is not None:
            self.accept_rtts.append(received - self.pending[1])
            self.accepted.append(frame["consultation"])
            self.accepted_at.append(received)
            self.pending = None
        elif kind == "error" and self.pending is not None:
            self.refused[frame["code"]] += 1
            self.pending = None

    def left_available(self) -> bool:
        """Did the console show another status after it first showed available (e.g. away
        after missed offers, or offline)?"""
        if "available" not in self.statuses:
            return False
        return any(s != "available" for s in self.statuses[self.statuses.index("available") :])

    async def accept(self, consultation_id: int) -> None:
        if self.pending is not None:
            return
        self.pending = (consultation_id, time.perf_counter())
        await self.send({"type": "accept", "consultation": consultation_id})

    async def set_status(self, status: str) -> None:
        shown = self.expect(lambda f: f.get("type") == "queue" and f["status"] == status)
        await self.send({"type": "set_status", "status": status})
        await asyncio.wait_for(shown, 120)


class RelaySocket(ChatClient):
    """A socket of the bare relay (tests/bench/live/relay.py): ``/pair/<conv>/<role>/`` for a
    chat party, ``/room/<name>/`` for a room member; ``ping`` is answered by the process."""

    def __init__(self, url: str, *, origin: str, role: str = "", conv: int | None = None) -> None:
        super().__init__(url, origin=origin)
        self.role = role
        self.conv = conv
        self.room_frames: list[tuple[float, Frame]] = []

    def handle(self, frame: Frame, received: float) -> None:
        kind = frame.get("type")
        if kind == "message" and self.on_text is not None:
            self.on_text(self, frame, received)
        elif kind == "room":
            self.room_frames.append((received, frame))

    async def ping(self) -> float:
        """Round trip of one frame answered by the relay process itself (seconds)."""
        pong = self.expect(of_type("pong"))
        started = time.perf_counter()
        await self.send({"type": "ping"})
        await asyncio.wait_for(pong, 60)
        return time.perf_counter() - started


class LagMonitor:
    """How late this process's event loop wakes up: the clients' own delay, which is part of
    every latency measured here (the same for platform and relay)."""

    def __init__(self, interval: float = 0.05) -> None:
        self.interval = interval
        self.samples: list[float] = []
        self.task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        while True:
            started = time.perf_counter()
            await asyncio.sleep(self.interval)
            self.samples.append(time.perf_counter() - started - self.interval)

    def start(self) -> None:
        self.task = asyncio.create_task(self._run())

    def reset(self) -> None:
        self.samples = []

    def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
