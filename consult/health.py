"""Reads: whether this process reaches the database and the channel layer (``/healthz``).

A base module: it imports no subdomain package. The channel-layer probe sends to a fresh
channel of this process and reads it back; it publishes nothing (events go through
``consult.events``).
"""

import asyncio
import uuid
from typing import Any

from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from django.db import connection

PROBE_TIMEOUT_SECONDS = 2


def database_ok() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        return cursor.fetchone() == (1,)


async def channel_layer_ok() -> bool:
    layer = get_channel_layer()
    if layer is None:
        return False
    channel = await layer.new_channel()
    probe = {"type": "healthz.probe", "nonce": uuid.uuid4().hex}
    await layer.send(channel, probe)
    received: dict[str, Any] = await asyncio.wait_for(
        layer.receive(channel), timeout=PROBE_TIMEOUT_SECONDS
    )
    return bool(received.get("nonce") == probe["nonce"])


async def check() -> dict[str, str]:
    """``status`` "ok" when the database and the channel layer both answer, else "error";
    with each part's state (an error names only the exception's type) and the backends."""
    report: dict[str, str] = {}
    try:
        report["database"] = "ok" if await sync_to_async(database_ok)() else "error"
    except Exception as error:
        report["database"] = f"error: {type(error).__name__}"
    try:
        report["channel_layer"] = "ok" if await channel_layer_ok() else "error"
    except Exception as error:
        report["channel_layer"] = f"error: {type(error).__name__}"
    layer = get_channel_layer()
    report["channel_layer_backend"] = type(layer).__name__ if layer else "none"
    report["database_vendor"] = connection.vendor
    healthy = report["database"] == "ok" and report["channel_layer"] == "ok"
    report["status"] = "ok" if healthy else "error"
    return report
