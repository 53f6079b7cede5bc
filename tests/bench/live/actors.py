"""Citizens and clerks as their browsers act: pages and forms over HTTP, then websockets.

- A citizen opens the start page, posts the start form (topic, channel chat) with the page's
  CSRF token, follows the redirect to the room ``/c/<token>/`` and connects
  ``/ws/citizen/<token>/``; leaving posts the room's leave form.
- A clerk opens ``/console/login/``, posts the login form, lands on the console, connects
  ``/ws/clerk/queue/`` with the session cookie, sets the status and accepts; each accepted
  consultation gets a chat socket ``/ws/clerk/consultations/<id>/``.
"""

import asyncio
import re
import time
from collections.abc import Awaitable, Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from .browser import Browser, Page
from .clients import ChatSocket, QueueSocket
from .servers import Server

TOPIC = "bench"
PASSWORD = "bench-live-password"
ROOM_URL = re.compile(r"/c/([^/]+)/$")
T = TypeVar("T")


def clerk_name(k: int) -> str:
    return f"bench-clerk-{k}"


async def bounded(jobs: Iterable[Awaitable[T]], limit: int) -> list[T]:
    """Await the jobs, at most ``limit`` at a time (as many browsers at once)."""
    semaphore = asyncio.Semaphore(limit)

    async def one(job: Awaitable[T]) -> T:
        async with semaphore:
            return await job

    return await asyncio.gather(*(one(job) for job in jobs))


async def wait_until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    """Poll ``condition`` every 50 ms; fail after ``timeout`` seconds."""
    deadline = time.perf_counter() + timeout
    while not condition():
        if time.perf_counter() > deadline:
            raise RuntimeError(f"timed out after {timeout:.0f} s waiting for {what}")
        await asyncio.sleep(0.05)


async def eventually(condition: Callable[[], bool], timeout: float) -> bool:
    """Like ``wait_until``, but says whether it came true instead of failing."""
    try:
        await wait_until(condition, timeout, "")
    except RuntimeError:
        return False
    return True


class Citizen:
    def __init__(self, index: int, server: Server, executor: ThreadPoolExecutor) -> None:
        self.index = index
        self.server = server  # where the browser's pages come from
        self.browser = Browser(server.base_url, executor)
        self.token = ""
        self.room: Page | None = None
        self.socket: ChatSocket | None = None

    async def start(self, topic: str = TOPIC) -> None:
        front = await self.browser.get("/")
        fields = {"csrfmiddlewaretoken": front.csrf_token(), "topic": topic, "channel": "chat"}
        room = await self.browser.post_form("/consultations/", fields, referer=front.url)
        match = ROOM_URL.search(room.url)
        if room.status != 200 or match is None:
            raise RuntimeError(f"start refused: HTTP {room.status} at {room.url}")
        self.token, self.room = match.group(1), room

    def socket_url(self, server: Server) -> str:
        return f"{server.ws_base}/ws/citizen/{self.token}/"

    async def connect(self, server: Server) -> ChatSocket:
        """Open the room's socket on ``server`` (any process serves any socket) and resume."""
        self.socket = ChatSocket(
            self.socket_url(server), origin=self.server.base_url, role="citizen"
        )
        await self.socket.open()
        return self.socket

    async def leave(self) -> Page:
        assert self.room is not None
        fields = {"csrfmiddlewaretoken": self.room.csrf_token()}
        return await self.browser.post_form(
            f"/c/{self.token}/leave/", fields, referer=self.room.url
        )


class Clerk:
    def __init__(self, index: int, server: Server, executor: ThreadPoolExecutor) -> None:
        self.index = index
        self.server = server  # console page and queue socket
        self.browser = Browser(server.base_url, executor)
        self.queue: QueueSocket | None = None
        self.chats: dict[int, ChatSocket] = {}

    async def login(self) -> None:
        form = await self.browser.get("/console/login/")
        fields = {
            "csrfmiddlewaretoken": form.csrf_token(),
            "username": clerk_name(self.index),
            "password": PASSWORD,
        }
        console = await self.browser.post_form("/console/login/", fields, referer=form.url)
        if not console.url.endswith("/console/"):
            raise RuntimeError(f"login of {clerk_name(self.index)} failed: {console.url}")

    async def open_console(self, *, auto_accept: bool) -> QueueSocket:
        self.queue = QueueSocket(
            f"{self.server.ws_base}/ws/clerk/queue/",
            origin=self.server.base_url,
            cookie=self.browser.cookie_header(),
        )
        self.queue.auto_accept = auto_accept
        first = self.queue.expect(lambda f: f.get("type") == "queue")
        await self.queue.connect()
        await asyncio.wait_for(first, 120)
        return self.queue

    async def open_chat(self, consultation_id: int, server: Server) -> ChatSocket:
        """The chat panel the console opens for an accepted consultation, on ``server``."""
        chat = ChatSocket(
            f"{server.ws_base}/ws/clerk/consultations/{consultation_id}/",
            origin=self.server.base_url,
            role="clerk",
            cookie=self.browser.cookie_header(),
        )
        await chat.open()
        self.chats[consultation_id] = chat
        return chat

    async def close(self) -> None:
        for chat in self.chats.values():
            await chat.close()
        if self.queue is not None:
            await self.queue.close()


async def available_clerks(
    servers: list[Server], count: int, executor: ThreadPoolExecutor, concurrency: int
) -> list[Clerk]:
    """``count`` clerks logged in, consoles open (clerk k on ``servers[k % len]``), status
    available, accepting every offer."""
    clerks = [Clerk(k, servers[k % len(servers)], executor) for k in range(count)]
    await bounded((c.login() for c in clerks), concurrency)
    for clerk in clerks:
        queue = await clerk.open_console(auto_accept=True)
        await queue.set_status("available")
    return clerks
