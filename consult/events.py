"""The one way the domain tells the live side what changed.

Every channel-layer event is a dataclass below; ``publish`` sends one to a group after the
surrounding transaction commits, ``publish_now`` sends an ephemeral one at once, and
``decode`` turns what a consumer receives back into the dataclass. Channels calls the
consumer method named like the type with dots as underscores (``queue.changed`` →
``queue_changed``). The channel layer delivers at most once, so every event a client must not
miss also exists in the database (log entries carry sequence numbers and are replayed on
reconnect). The media worker's own traffic (``media.*``) lives in ``signaling/media/``.
"""

import asyncio
import contextlib
import contextvars
import dataclasses
import logging
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any, ClassVar, TypeVar

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.core.cache import cache
from django.db import transaction

E = TypeVar("E", bound="Event")
logger = logging.getLogger(__name__)


def consultation_group(consultation_id: int) -> str:
    """Both parties of a consultation (their chat sockets)."""
    return f"consultation.{consultation_id}"


def topic_group(topic_id: int) -> str:
    """Everyone who watches a topic's queue: its clerks and its waiting citizens."""
    return f"topic.{topic_id}"


def clerk_group(user_id: int) -> str:
    """One clerk's queue console."""
    return f"clerk.{user_id}"


def staff_group(user_id: int) -> str:
    """Every socket of one staff user (console, chats, wallboard): closed when their access
    changes (consult/staff/access.py)."""
    return f"staff.{user_id}"


WALLBOARD_GROUP = "wallboard"
EVENTS: dict[str, type["Event"]] = {}


@dataclasses.dataclass(frozen=True)
class Event:
    type: ClassVar[str]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        EVENTS[cls.type] = cls

    def as_dict(self) -> dict[str, Any]:
        return {"type": self.type, **dataclasses.asdict(self)}


@dataclasses.dataclass(frozen=True)
class LogEntry(Event):
    """A new entry of a consultation's log (serialized, with the state that follows it)."""

    type: ClassVar[str] = "chat.message"
    message: dict[str, Any]


@dataclasses.dataclass(frozen=True)
class Typing(Event):
    """A party started or stopped typing (ephemeral: not stored, no sequence number)."""

    type: ClassVar[str] = "chat.typing"
    sender: str
    active: bool


@dataclasses.dataclass(frozen=True)
class RtcSignal(Event):
    """A video-call signalling frame for the other party of the consultation (ephemeral)."""

    type: ClassVar[str] = "rtc.signal"
    sender: str
    frame: str
    fields: dict[str, Any]


@dataclasses.dataclass(frozen=True)
class CitizenPresence(Event):
    """The citizen's last socket closed, or a socket opened again (ephemeral: the clerk's
    chat reads the current state when it connects)."""

    type: ClassVar[str] = "citizen.presence"
    connected: bool


@dataclasses.dataclass(frozen=True)
class RecordingChanged(Event):
    type: ClassVar[str] = "recording.changed"
    recording: dict[str, Any]


@dataclasses.dataclass(frozen=True)
class QueueChanged(Event):
    """A topic's queue changed (arrival, offer, accept, departure, transfer) at ``at`` (a
    timestamp taken after the commit): a view of the queue computed before is stale."""

    type: ClassVar[str] = "queue.changed"
    topic: int
    at: float


@dataclasses.dataclass(frozen=True)
class ClerkAssigned(Event):
    """A clerk's conversations or ringing offer changed: their console refreshes."""

    type: ClassVar[str] = "clerk.assigned"
    clerk: int


@dataclasses.dataclass(frozen=True)
class ClerkStatus(Event):
    type: ClassVar[str] = "clerk.status"
    status: str


@dataclasses.dataclass(frozen=True)
class AccessChanged(Event):
    """A staff user logged out, was deactivated or deleted, got a new password or other
    topics: their sockets close, and the browser comes back with what its session still
    allows."""

    type: ClassVar[str] = "access.changed"
    user: int
    reason: str


@dataclasses.dataclass(frozen=True)
class WallboardChanged(Event):
    type: ClassVar[str] = "wallboard.changed"


def decode(message: dict[str, Any], expected: type[E]) -> E:
    """The event a consumer received, as its dataclass (``expected`` names the type)."""
    cls = EVENTS[message["type"]]
    if cls is not expected:
        raise TypeError(f"expected {expected.type}, got {message['type']}")
    fields = {f.name: message[f.name] for f in dataclasses.fields(cls)}
    return expected(**fields)


# Where committed events go instead of straight to the channel layer while ``collecting``.
_outbox: contextvars.ContextVar[list[tuple[str, dict[str, Any]]] | None] = contextvars.ContextVar(
    "events_outbox", default=None
)


@contextlib.contextmanager
def collecting(outbox: list[tuple[str, dict[str, Any]]]) -> Iterator[None]:
    """Events committed inside go to ``outbox`` for the caller to send with ``send_all``
    (from the event loop, once the domain call on a worker thread has returned) instead of
    each holding that thread while the event loop sends it."""
    token = _outbox.set(outbox)
    try:
        yield
    finally:
        _outbox.reset(token)


async def _deliver(layer: Any, group: str, message: dict[str, Any]) -> None:
    """One group send, tried twice: after a Redis restart the first command on each of a
    process's pooled connections fails (and the pool connects anew), which lost an event
    whenever it happened to be the first (an "ended" entry in a test). A send that fails twice
    is logged, never raised: the database has the change, and clients resume from it."""
    for attempt in (1, 2):
        try:
            await layer.group_send(group, message)
            return
        except Exception:
            if attempt == 2:
                logger.exception("could not publish %s", message.get("type"))


async def send_all(outbox: list[tuple[str, dict[str, Any]]]) -> None:
    """Send what ``collecting`` kept, in order."""
    layer = get_channel_layer()
    if layer is None:
        return
    for group, message in outbox:
        await _deliver(layer, group, message)


def _send(group: str, event: Event) -> None:
    outbox = _outbox.get()
    if outbox is not None:
        outbox.append((group, event.as_dict()))
        return
    layer = get_channel_layer()
    if layer is None:
        return
    send = async_to_sync(_deliver)
    if _loop_running():
        # Sync code called from a thread that runs an event loop (a test driving Playwright's
        # sync API): AsyncToSync refuses to run there, so the send runs on a thread of its own.
        with ThreadPoolExecutor(max_workers=1) as pool:
            pool.submit(send, layer, group, event.as_dict()).result()
        return
    send(layer, group, event.as_dict())


def _loop_running() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def publish(group: str, event: Event) -> None:
    """Send an event to a group once the current transaction (if any) has committed."""
    transaction.on_commit(lambda: _send(group, event), robust=True)


async def publish_now(group: str, event: Event) -> None:
    """Send an ephemeral event that has no database state (typing, call signalling)."""
    layer = get_channel_layer()
    if layer is not None:
        await layer.group_send(group, event.as_dict())


def queue_changed_key(topic_id: int) -> str:
    """The cache key of the time a topic's queue last changed (consult/queue/rooms.py)."""
    return f"queue.changed.{topic_id}"


def publish_queue_changed(topic_id: int) -> None:
    """A topic's queue changed: its consoles, its waiting citizens and the wallboard. The time
    of the change is kept in the cache too, so that every reader of the topic's view (a
    reconnecting citizen, the start page) knows a view computed before it is stale."""

    def send() -> None:  # the time is taken after the commit
        at = time.time()
        cache.set(queue_changed_key(topic_id), at, timeout=None)
        _send(topic_group(topic_id), QueueChanged(topic=topic_id, at=at))

    transaction.on_commit(send, robust=True)
    publish_wallboard_changed()


def publish_clerk_changed(clerk_id: int) -> None:
    publish(clerk_group(clerk_id), ClerkAssigned(clerk=clerk_id))


def publish_wallboard_changed() -> None:
    publish(WALLBOARD_GROUP, WallboardChanged())
