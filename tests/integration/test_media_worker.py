"""The media worker's channel-layer contract (docs/media.md) over the real Redis layer."""

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator
from typing import Any

import pytest
from channels.layers import get_channel_layer

from signaling.media import client
from signaling.media.pool import pool
from signaling.media.registry import Registry
from signaling.media.worker import worker_channel
from tests.media_peers import accept, offer, sender_peer, wait_connected
from tests.media_processes import Replies, offer_message

pytestmark = pytest.mark.asyncio


@pytest.fixture
async def worker(settings: Any) -> AsyncIterator[Registry]:
    settings.MEDIA_WORKER_EMBEDDED = True
    settings.MEDIA_WORKERS = 2
    registry = client.ensure_embedded_workers()
    await client.embedded_workers_listening()
    yield registry
    await client.stop_embedded_workers()
    assert len(registry) == 0  # stopping closed every session


@pytest.fixture
async def replies() -> Replies:
    replies = Replies("test-media-replies")
    await replies.open()
    return replies


async def test_offer_is_answered_and_hangup_cleans_up(worker: Registry, replies: Replies) -> None:
    citizen, _ = sender_peer()
    try:
        await client.send_to_worker(
            consultation_id=3, message=offer_message(3, await offer(citizen))
        )

        answer = await replies.next("media.answer")
        assert (answer["consultation"], answer["party"]) == (3, "citizen")
        await accept(citizen, answer["sdp"])
        await wait_connected(citizen)
        while (await replies.next("media.state"))["state"] != "connected":
            pass
        states = [m["state"] for m in replies.seen if m["type"] == "media.state"]
        assert states == ["connecting", "connected"]  # "connecting" may precede the answer
        assert list(worker.sessions) == [3]

        hangup = {"type": "media.hangup", "consultation": 3, "party": "citizen"}
        await client.send_to_worker(consultation_id=3, message=hangup)
        closed = await replies.next("media.state")
        assert closed == {
            "type": "media.state",
            "consultation": 3,
            "party": "citizen",
            "state": "closed",
        }
        assert len(worker) == 0
    finally:
        await citizen.close()


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"sdp": "v=0\r\nthis is not SDP\r\n"}, "invalid_sdp"),
        ({"sdp": "v=0\r\n" + "a=x\r\n" * 20_000}, "sdp_too_large"),
        ({"sdp": ""}, "invalid_sdp"),
        ({"party": "mayor"}, "invalid_party"),
        ({"consultation": "5"}, "invalid_consultation"),
        ({"type": "media.dance"}, "unknown_type"),
        ({"extra": 1}, "invalid_message"),
    ],
)
async def test_bad_commands_fail_cleanly_and_the_worker_keeps_serving(
    worker: Registry, replies: Replies, change: dict[str, Any], reason: str
) -> None:
    message = {**offer_message(5, "v=0\r\n"), **change}
    channel = worker_channel(await pool().place(consultation=5))
    await get_channel_layer().send(channel, message)

    failed = await replies.next()
    assert failed["type"] == "media.failed" and failed["reason"] == reason
    assert len(worker) == 0

    citizen, _ = sender_peer()
    try:  # the loop survived: the next valid offer is answered
        await client.send_to_worker(
            consultation_id=5, message=offer_message(5, await offer(citizen))
        )
        assert (await replies.next("media.answer"))["consultation"] == 5
        await client.send_to_worker(
            consultation_id=5, message={"type": "media.close", "consultation": 5}
        )
        while (await replies.next("media.state"))["state"] != "closed":
            pass
        assert len(worker) == 0  # the registry let go of the session before reporting
    finally:
        await citizen.close()


async def test_a_command_sent_as_the_workers_start_is_served(
    settings: Any, replies: Replies
) -> None:
    """On Redis pub/sub a channel nobody has subscribed to yet keeps nothing: the first
    command of a process must wait until its embedded workers listen, not be lost."""
    settings.MEDIA_WORKER_EMBEDDED = True
    settings.MEDIA_WORKERS = 2
    try:
        await client.send_to_worker(  # starts the workers, then sends at once
            consultation_id=7,
            message={**offer_message(7, "v=0\r\n"), "party": "nobody"},
        )
        failed = await replies.next(timeout=10)
        assert (failed["type"], failed["consultation"]) == ("media.failed", 7)
    finally:
        await client.stop_embedded_workers()


async def test_close_ends_both_legs(worker: Registry, replies: Replies) -> None:
    citizen, _ = sender_peer()
    clerk, _ = sender_peer()
    try:
        for party, pc in (("citizen", citizen), ("clerk", clerk)):
            await client.send_to_worker(
                consultation_id=9, message=offer_message(9, await offer(pc), party)
            )
            await accept(pc, (await replies.next("media.answer"))["sdp"])
        await client.send_to_worker(
            consultation_id=9, message={"type": "media.close", "consultation": 9}
        )
        closed = set()
        while len(closed) < 2:
            message = await replies.next("media.state")
            if message["state"] == "closed":
                closed.add(message["party"])
        assert closed == {"citizen", "clerk"}
        assert len(worker) == 0
    finally:
        await citizen.close()
        await clerk.close()


async def test_mediaworker_command_serves_its_channel_and_stops_cleanly_on_sigterm(
    replies: Replies,
) -> None:
    env = {**os.environ, "MEDIA_WORKER_EMBEDDED": "false", "MEDIA_WORKERS": "1"}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "manage.py", "mediaworker", "--index", "0",
        env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    citizen, _ = sender_peer()
    try:
        assert process.stdout is not None
        line = await asyncio.wait_for(process.stdout.readline(), 30)
        assert b"serving mediaworker.0-" in line
        await client.send_to_worker(
            consultation_id=6, message=offer_message(6, await offer(citizen))
        )
        await accept(citizen, (await replies.next("media.answer"))["sdp"])
        await wait_connected(citizen)

        process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), 30) == 0  # open connections or not
        assert b"all peer connections closed" in await process.stdout.read()
        closed = await replies.next("media.state")
        while closed["state"] != "closed":
            closed = await replies.next("media.state")
        assert closed["party"] == "citizen"
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
        await citizen.close()
