"""The media workers under faults (docs/media.md, "The pool"): separate ``mediaworker``
processes against a Redis of the test's own, which the tests restart or whose workers they
kill."""

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from channels.layers import get_channel_layer

from tests.media_peers import accept, offer, sender_peer, wait_connected
from tests.media_processes import (
    OwnRedis,
    Replies,
    layer_config,
    offer_message,
    start_worker,
    stop_process,
)

pytestmark = pytest.mark.asyncio


@pytest.fixture
def own_redis() -> Iterator[OwnRedis]:
    server = OwnRedis()
    server.start()
    yield server
    server.close()


async def until_served(channel: str, replies: Replies, deadline: float = 20) -> dict[str, Any]:
    """Send a command the worker refuses with a reply, again and again, until a reply comes:
    the worker's loop serves its channel (on pub/sub a command sent before it subscribed
    again is lost, so one try proves nothing)."""
    layer = get_channel_layer()
    loop = asyncio.get_running_loop()
    end = loop.time() + deadline
    while True:
        await layer.send(channel, offer_message(1, "v=0\r\n", party="nobody"))
        try:
            return await replies.next("media.failed", timeout=0.5)
        except TimeoutError:
            if loop.time() > end:
                raise


@pytest.mark.parametrize("layer", ["pubsub", "core"])
async def test_a_media_worker_process_survives_a_redis_restart(
    own_redis: OwnRedis, settings: Any, layer: str
) -> None:
    settings.CHANNEL_LAYERS = {"default": layer_config(own_redis.url, layer)}
    process = await start_worker(redis_url=own_redis.url, layer=layer)
    citizen, _ = sender_peer()
    try:
        pid = process.pid
        await asyncio.to_thread(own_redis.restart)

        replies = Replies("test-media-replies")
        await replies.open()
        refused = await until_served("mediaworker.0", replies)
        assert refused["reason"] == "invalid_party"
        await get_channel_layer().send("mediaworker.0", offer_message(2, await offer(citizen)))
        await accept(citizen, (await replies.next("media.answer"))["sdp"])
        await wait_connected(citizen)
        assert process.returncode is None and process.pid == pid  # the same process
    finally:
        await citizen.close()
        stderr = await stop_process(process)
    # One line when the outage began (a layer whose receive never fails notices it by its
    # heartbeat), one when it ended: not one per retry.
    assert stderr.count(b"channel layer unreachable") <= 1, stderr.decode()
