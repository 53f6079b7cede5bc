"""The channel layer the suite runs on (Redis pub/sub, ``CHANNEL_LAYER=pubsub``) when its
Redis connection drops: as after a Redis restart or a network blip, a process's groups are
delivered again without a restart of the process (docs/queueing.md, "The channel layer")."""

import asyncio

import pytest
import redis
from channels.layers import get_channel_layer
from django.conf import settings

pytestmark = [
    pytest.mark.asyncio,
    pytest.mark.skipif(
        getattr(settings, "CHANNEL_LAYER", "") != "pubsub", reason="Redis pub/sub layer only"
    ),
]


async def test_groups_are_delivered_again_after_the_subscription_connection_dropped() -> None:
    layer = get_channel_layer()
    channel = await layer.new_channel()
    await layer.group_add("test-layer-reconnect", channel)
    await layer.group_send("test-layer-reconnect", {"type": "probe", "n": 0})
    assert (await asyncio.wait_for(layer.receive(channel), 5))["n"] == 0

    # Drop this process's subscription connection from the server's side (only ours: other
    # processes may share this Redis).
    subscriber = layer._get_layer()._shards[0]._pubsub.connection
    host, port = subscriber._writer.get_extra_info("sockname")[:2]
    killed = redis.Redis.from_url(settings.REDIS_URL).execute_command(
        "CLIENT", "KILL", "ADDR", f"{host}:{port}", "SKIPME", "yes"
    )
    assert killed == 1

    # What is published while the connection is down is lost (at most once; clients resume
    # by sequence number); once the layer has subscribed again, messages arrive.
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 15
    received = asyncio.ensure_future(layer.receive(channel))
    n = 0
    while not received.done():
        assert loop.time() < deadline, "the group was not delivered again after the drop"
        n += 1
        await layer.group_send("test-layer-reconnect", {"type": "probe", "n": n})
        await asyncio.wait({received}, timeout=0.2)
    assert received.result()["type"] == "probe"
    await layer.group_discard("test-layer-reconnect", channel)


async def test_an_event_published_first_after_the_connection_dropped_is_delivered() -> None:
    """After a Redis restart the first publish on each pooled connection fails; the domain's
    events are sent once more instead of being lost (consult/events.py)."""
    from consult import events

    layer = get_channel_layer()
    channel = await layer.new_channel()
    await layer.group_add("test-layer-first-publish", channel)
    await events.send_all([("test-layer-first-publish", {"type": "probe", "n": 0})])
    assert (await asyncio.wait_for(layer.receive(channel), 5))["n"] == 0

    # Drop the connections this process publishes on (not the subscription, not others').
    shard = layer._get_layer()._shards[0]
    pool = shard._redis.connection_pool
    addresses = [
        "%s:%s" % c._writer.get_extra_info("sockname")[:2]  # noqa: UP031
        for c in pool._available_connections
        if c._writer is not None
    ]
    assert addresses
    server = redis.Redis.from_url(settings.REDIS_URL)
    for address in addresses:
        server.execute_command("CLIENT", "KILL", "ADDR", address, "SKIPME", "yes")

    await events.send_all([("test-layer-first-publish", {"type": "probe", "n": 1})])
    assert (await asyncio.wait_for(layer.receive(channel), 5))["n"] == 1
    await layer.group_discard("test-layer-first-publish", channel)
