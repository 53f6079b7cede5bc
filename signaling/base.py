"""The consumer base: decode, rate-limit, dispatch, and the one place errors become frames."""

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any, ClassVar, TypeVar, cast

from asgiref.typing import ASGIReceiveCallable, ASGISendCallable, Scope, WebSocketDisconnectEvent
from channels.consumer import get_handler_name
from channels.db import aclose_old_connections, database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import DatabaseError, connections

from consult import events
from consult.errors import DomainError

from . import open_sockets, protocol
from .ratelimit import SharedLimit, TokenBucket

logger = logging.getLogger(__name__)
R = TypeVar("R")
# How long the clean-up of a consumer that died of an error may take (docs/protocol.md).
RELEASE_TIMEOUT_SECONDS = 5.0
# The close code of a staff socket whose user's access changed (docs/protocol.md).
ACCESS_CHANGED = 4003


def off_thread(function: Callable[..., R]) -> Callable[..., Awaitable[R]]:
    """A domain call on the executor's threads instead of Channels' one shared database
    thread, where every socket's work of the process queues up: the hot path (accept,
    decline, status, heartbeat, chat message) and the sweep never wait behind the waiting
    rooms' updates. The thread's connection is closed afterwards, and the events the call
    committed are sent from the event loop once it returns (or raised), so the thread is not
    held while they are sent."""

    def call(outbox: list[tuple[str, dict[str, Any]]], *args: Any, **kwargs: Any) -> R:
        try:
            with events.collecting(outbox):
                return function(*args, **kwargs)
        finally:
            connections.close_all()

    on_thread = database_sync_to_async(call, thread_sensitive=False)

    async def run(*args: Any, **kwargs: Any) -> R:
        outbox: list[tuple[str, dict[str, Any]]] = []
        try:
            return await on_thread(outbox, *args, **kwargs)
        finally:
            await events.send_all(outbox)

    return run


class Coalesced:
    """An async refresh run in the background: asks that come while it runs make one more run
    after it, not one each. A burst of changes costs a console or a wallboard one or two
    rebuilds, and the consumer's other messages (an accept, a decline) never queue behind
    them."""

    def __init__(self, refresh: Callable[[], Awaitable[None]]) -> None:
        self.refresh = refresh
        self.task: asyncio.Task[None] | None = None
        self.again = False

    def request(self) -> None:
        if self.task is not None and not self.task.done():
            self.again = True
            return
        self.task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        while True:
            self.again = False
            try:
                await self.refresh()
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("refresh failed")
            if not self.again:
                return

    def cancel(self) -> None:
        if self.task is not None:
            self.task.cancel()


class FrameConsumer(AsyncWebsocketConsumer):
    """Subclasses list the client frame types they take and define ``on_<type>`` handlers."""

    accepted_frames: ClassVar[frozenset[str]] = frozenset()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.bucket = TokenBucket(burst=settings.WS_RATE_BURST, rate=settings.WS_RATE_PER_SECOND)
        self.shared: SharedLimit | None = None
        self.disconnected = False
        self.counted = False  # in the open sockets of /metrics (open_sockets.py)

    @classmethod
    def endpoint(cls) -> str:
        """The consumer's name in /metrics: ``CitizenChatConsumer`` is ``citizen_chat``."""
        name = cls.__name__.removesuffix("Consumer")
        return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()

    async def __call__(
        self, scope: Scope, receive: ASGIReceiveCallable, send: ASGISendCallable
    ) -> None:
        """Channels calls ``disconnect()`` only for the browser's ``websocket.disconnect``. A
        consumer that dies of an error (the channel layer's connection lost, say) never gets
        it, and what it started would outlive the socket: a console's heartbeat would keep a
        clerk who is gone present, a citizen's slot would be renewed for ever. So a consumer
        that ends without it runs its ``disconnect()`` here, bounded in time. A socket counted
        open (/metrics) is uncounted however it ends."""
        try:
            await super().__call__(scope, receive, send)  # type: ignore[arg-type]
        finally:
            try:
                if not self.disconnected:
                    await self.release()
            finally:
                if self.counted:
                    self.counted = False
                    open_sockets.closed(self.endpoint())

    async def accept(self, subprotocol: str | None = None, headers: Any = None) -> None:
        await super().accept(subprotocol, headers)
        if not self.counted:
            self.counted = True
            open_sockets.opened(self.endpoint())

    async def websocket_disconnect(self, message: WebSocketDisconnectEvent) -> None:
        self.disconnected = True
        await super().websocket_disconnect(message)

    async def release(self) -> None:
        self.disconnected = True
        logger.warning("%s ended without a disconnect; releasing it", type(self).__name__)
        try:
            async with asyncio.timeout(RELEASE_TIMEOUT_SECONDS):
                await self.disconnect(1011)
        except Exception as error:  # the layer may still be down: what is local is released
            logger.error("releasing %s: %s", type(self).__name__, type(error).__name__)

    async def dispatch(self, message: dict[str, Any]) -> None:
        """Channels' ``dispatch``, with its ``aclose_old_connections()`` only when a socket
        opens or closes instead of before every message: it is a hop to the shared database
        thread, for each frame and each group event (a chat message, every waiting room's
        view). Every database call of these consumers runs through ``database_sync_to_async``
        or ``off_thread``, which look after their connections themselves. (Without it at
        connect and disconnect too, a test's database teardown hung on the shared thread's
        connection.)"""
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        if message["type"] in ("websocket.connect", "websocket.disconnect"):
            await aclose_old_connections()
        await handler(message)

    def limit_credential(self, key: str) -> None:
        """Count this socket's frames also against its credential (all its sockets, every
        process): as many frames per window as one connection may send in it."""
        window = settings.WS_RATE_SHARED_WINDOW_SECONDS
        limit = int(settings.WS_RATE_BURST + window * settings.WS_RATE_PER_SECOND)
        self.shared = SharedLimit(key, limit=limit, window=window)

    def user(self) -> AbstractBaseUser:
        """The authenticated user; consumers that need one refuse anonymous connects."""
        return cast(AbstractBaseUser, self.scope["user"])

    async def follow_access(self) -> None:
        """A staff socket: closed when the user's access changes (consult/staff/access.py)."""
        self.access_group = events.staff_group(self.user().pk)
        await self.channel_layer.group_add(self.access_group, self.channel_name)

    async def leave_access(self) -> None:
        if getattr(self, "access_group", None):
            await self.channel_layer.group_discard(self.access_group, self.channel_name)

    async def access_changed(self, event: dict[str, Any]) -> None:
        """Logout, deactivation, a new password, other topics: the browser reconnects (or
        reloads the page) with what its session still allows."""
        await self.close(code=ACCESS_CHANGED)

    async def send_frame(self, frame: protocol.Frame) -> None:
        await self.send(text_data=protocol.encode(frame))

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        try:
            if not self.bucket.allow() or (
                self.shared is not None
                and not self.shared.take()
                and not await database_sync_to_async(self.shared.reserve, thread_sensitive=False)()
            ):
                raise protocol.ClientError("rate_limited", "Too many frames; slow down.")
            frame = protocol.decode(text_data, accepted=self.accepted_frames)
            await getattr(self, f"on_{frame.type}")(frame)
        except (protocol.ClientError, DomainError) as error:
            logger.info("client error %s on %s", error.code, type(self).__name__)
            await self.send_frame(protocol.Error(code=error.code, detail=error.detail))
        except DatabaseError as error:
            # e.g. a deadlock victim or a lost connection: nothing was changed; say so. Only
            # the error's type is logged: its text could quote a chat message.
            logger.error("database error %s on %s", type(error).__name__, type(self).__name__)
            await self.send_frame(
                protocol.Error(code="try_again", detail="A temporary error; please retry.")
            )
