"""The media workers under faults (docs/media.md, "The pool"): separate ``mediaworker``
processes against a Redis of the test's own, which the tests restart or whose workers they
kill."""

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer

from consult.consultations.models import Message
from consult.queue import lifecycle, routing
from signaling.media import client
from signaling.media.pool import pool
from signaling.sweeper import move_calls_of_dead_media_workers
from tests.media_peers import accept, call_peer, offer, sender_peer, wait_connected
from tests.media_processes import (
    OwnRedis,
    Replies,
    layer_config,
    offer_message,
    start_worker,
    stop_process,
)

from .conftest import connect_both, receive_until, send

pytestmark = pytest.mark.asyncio
OFFER_SDP = (
    "v=0\r\no=- 4611731400430051336 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
    "a=group:BUNDLE 0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\nc=IN IP4 0.0.0.0\r\n"
    "a=mid:0\r\na=sendrecv\r\na=rtpmap:96 VP8/90000\r\n"
)


async def start_video(topic: Any, clerk: Any) -> Any:
    """An active video consultation of ``topic`` with ``clerk``."""
    consultation = await database_sync_to_async(lifecycle.start_consultation)(
        topic_slug=topic.slug, channel="video"
    )
    await database_sync_to_async(routing.accept)(consultation_id=consultation.pk, clerk=clerk)
    return consultation


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
    settings.REDIS_URL = own_redis.url
    process, channel = await start_worker(redis_url=own_redis.url, layer=layer)
    citizen, _ = sender_peer()
    try:
        pid = process.pid
        await asyncio.to_thread(own_redis.restart, down_seconds=3)

        replies = Replies("test-media-replies")
        await replies.open()
        refused = await until_served(channel, replies)
        assert refused["reason"] == "invalid_party"
        await get_channel_layer().send(channel, offer_message(2, await offer(citizen)))
        await accept(citizen, (await replies.next("media.answer"))["sdp"])
        await wait_connected(citizen)
        assert process.returncode is None and process.pid == pid  # the same process
    finally:
        stderr = await stop_process(process)
        await citizen.close()
    # One line when the outage began (a layer whose receive never fails notices it by its
    # heartbeat), one when it ended: not one per retry.
    assert stderr.count(b"unreachable") == 1, stderr.decode()
    assert stderr.count(b"reachable again") == 1, stderr.decode()
    # Nor does the pub/sub layer's reader, which logs a traceback per failed read.
    assert stderr.count(b"Unexpected exception in receive task") <= 1, stderr.decode()


@pytest.fixture
def pool_on_own_redis(own_redis: OwnRedis, settings: Any) -> OwnRedis:
    """This process's channel layer and media pool on the test's own Redis."""
    settings.CHANNEL_LAYERS = {"default": layer_config(own_redis.url, "pubsub")}
    settings.REDIS_URL = own_redis.url
    settings.MEDIA_WORKER_EMBEDDED = False
    return own_redis


async def start_pool(own_redis: OwnRedis, count: int) -> dict[str, asyncio.subprocess.Process]:
    """``count`` worker processes by their ids; the pool knows them once they serve."""
    started = await asyncio.gather(
        *(start_worker(redis_url=own_redis.url, layer="pubsub", index=i) for i in range(count))
    )
    return {channel.removeprefix("mediaworker."): process for process, channel in started}


async def until(
    read: Callable[[], Awaitable[Any]], check: Callable[[Any], bool], timeout: float = 5
) -> None:
    """Poll ``read()`` until ``check`` holds for what it returns (something a worker process
    does after its reply)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not check(value := await read()):
        assert loop.time() < deadline, value
        await asyncio.sleep(0.05)


@database_sync_to_async
def relay_moved_entries(consultation_id: int) -> int:
    return Message.objects.filter(
        consultation_id=consultation_id, kind=Message.Kind.RELAY_MOVED
    ).count()


async def relay_leg(ws: Any, pc: Any) -> None:
    """The party's browser connects to the relay through its socket."""
    await send(ws, type="rtc_relay_offer", sdp=await offer(pc))
    await accept(pc, (await receive_until(ws, "rtc_relay_answer", timeout=20))["sdp"])


async def test_relay_sessions_go_to_the_least_loaded_live_worker(
    pool_on_own_redis: OwnRedis,
) -> None:
    workers = await start_pool(pool_on_own_redis, 2)
    replies = Replies("test-media-replies")
    await replies.open()
    peers = [sender_peer()[0] for _ in range(3)]
    try:
        for consultation, pc in zip((31, 32, 33), peers, strict=True):
            message = offer_message(consultation, await offer(pc))
            await client.send_to_worker(consultation_id=consultation, message=message)
            await accept(pc, (await replies.next("media.answer"))["sdp"])
        held = {c: await pool().pinned(consultation=c) for c in (31, 32, 33)}
        assert set(held.values()) == set(workers)  # the second call went to the idle one
        assert sorted((await pool().live()).values()) == [1, 2]

        # The third call's hangup reaches the worker that holds it, and its load drops.
        hangup = {"type": "media.hangup", "consultation": 33, "party": "citizen"}
        await client.send_to_worker(consultation_id=33, message=hangup)
        while (closed := await replies.next("media.state"))["state"] != "closed":
            pass
        assert closed["consultation"] == 33
        await until(lambda: pool().live(), lambda live: sorted(live.values()) == [1, 1])

        # A worker that stops (SIGTERM) leaves the pool at once: new calls go elsewhere.
        leaving = held[31]
        assert leaving is not None
        workers[leaving].terminate()
        assert await workers[leaving].wait() == 0
        assert set(await pool().live()) == set(workers) - {leaving}
        # Its calls move to the other worker at the next look (no expiry to wait for).
        (other,) = set(workers) - {leaving}
        expected = sorted((c, other) for c, w in held.items() if w == leaving and c != 33)
        assert sorted(await pool().fail_over()) == expected
    finally:  # the processes first: nothing that fails below may leave them running
        for process in workers.values():
            await stop_process(process)
        for pc in peers:
            await pc.close()


@pytest.mark.django_db(transaction=True)
async def test_without_a_live_worker_a_relay_offer_gets_an_error(
    pool_on_own_redis: OwnRedis, topic: Any, make_clerk: Any
) -> None:
    clerk = await database_sync_to_async(make_clerk)("anna", [topic])
    consultation = await start_video(topic, clerk)
    citizen, clerk_ws, _ = await connect_both(consultation, clerk)
    await send(citizen, type="rtc_relay_offer", sdp=OFFER_SDP)
    assert (await receive_until(citizen, "error"))["code"] == "relay_unavailable"
    await citizen.disconnect()
    await clerk_ws.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_when_the_worker_of_a_call_is_killed_the_call_moves_to_another_worker(
    pool_on_own_redis: OwnRedis, topic: Any, make_clerk: Any
) -> None:
    """SIGKILL the worker relaying a call: within 10 s its heartbeat is missed, the call is
    pinned to the other worker, the log tells both parties, their sockets ask their
    browsers to connect to the relay anew, and the video flows again both ways."""
    workers = await start_pool(pool_on_own_redis, 2)
    topic.media_mode = "relay"
    await database_sync_to_async(topic.save)()
    clerk = await database_sync_to_async(make_clerk)("anna", [topic])
    consultation = await start_video(topic, clerk)
    citizen, clerk_ws, _ = await connect_both(consultation, clerk)
    sockets = (citizen, clerk_ws)
    first = [call_peer() for _ in sockets]
    again = [call_peer() for _ in sockets]
    try:
        for ws, (pc, _, _) in zip(sockets, first, strict=True):
            await relay_leg(ws, pc)
        for _, _, sees in first:
            await sees.wait("video", 10)
        holder = await pool().pinned(consultation=consultation.pk)
        assert holder in workers

        workers[holder].kill()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 10
        while True:  # what every web process's sweep loop does, here three at once
            tries = [move_calls_of_dead_media_workers() for _ in range(3)]
            if moved := [c for found in await asyncio.gather(*tries) for c in found]:
                break
            assert loop.time() < deadline, "the dead worker's call was not moved within 10 s"
            await asyncio.sleep(0.2)
        assert moved == [consultation.pk]  # moved once, told once
        moved_after = loop.time() - (deadline - 10)
        (survivor,) = set(workers) - {holder}
        assert await pool().pinned(consultation=consultation.pk) == survivor

        for ws in sockets:
            entry = await receive_until(ws, "message", timeout=10)
            assert entry["kind"] == "relay_moved" and entry["state"] == "active"
            await receive_until(ws, "rtc_use_relay", timeout=10)
        assert await relay_moved_entries(consultation.pk) == 1
        for ws, (pc, _, _) in zip(sockets, again, strict=True):
            await relay_leg(ws, pc)
        for _, _, sees in again:
            await sees.wait("video", 10)  # both see the other again, through the survivor
        print(  # a figure for docs/media.md, not an assertion
            f"SIGKILL -> moved {moved_after:.1f} s, -> video again "
            f"{loop.time() - (deadline - 10):.1f} s"
        )
    finally:  # the processes first: nothing that fails below may leave them running
        for process in workers.values():
            await stop_process(process)
        for pc, _, _ in first + again:
            await pc.close()
        await citizen.disconnect()
        await clerk_ws.disconnect()
