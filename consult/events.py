"""The one way the domain tells the live side what changed.

Events are sent to channel-layer groups after the surrounding transaction commits. The
channel layer delivers at most once, so every event a client must not miss also exists in
the database (messages carry sequence numbers and are replayed on reconnect).
"""

from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction


def consultation_group(consultation_id: int) -> str:
    return f"consultation.{consultation_id}"


def topic_group(topic_id: int) -> str:
    """Everyone who watches a topic's queue: its clerks and its waiting citizens."""
    return f"topic.{topic_id}"


def clerk_group(user_id: int) -> str:
    return f"clerk.{user_id}"


WALLBOARD_GROUP = "wallboard"


def _message(event_type: str, payload: dict[str, Any]) -> dict[str, Any]:
    # Channels maps "queue.changed" to the consumer method queue_changed.
    return {"type": event_type, **payload}


def publish(group: str, event_type: str, **payload: Any) -> None:
    """Send an event to a group once the current transaction (if any) has committed."""

    def send() -> None:
        layer = get_channel_layer()
        if layer is not None:
            async_to_sync(layer.group_send)(group, _message(event_type, payload))

    transaction.on_commit(send, robust=True)


async def publish_now(group: str, event_type: str, **payload: Any) -> None:
    """Send an ephemeral event that has no database state (e.g. typing)."""
    layer = get_channel_layer()
    if layer is not None:
        await layer.group_send(group, _message(event_type, payload))


def publish_queue_changed(topic_id: int) -> None:
    """A topic's queue changed: its consoles, its waiting citizens and the wallboard."""
    publish(topic_group(topic_id), "queue.changed", topic=topic_id)
    publish(WALLBOARD_GROUP, "wallboard.changed")
