"""Relay benchmark: server CPU per relayed stream, pass-through against aiortc's MediaRelay.

Run with ``make bench-relay`` (``python -m tests.bench.relay_bench``). The relay runs in a
process of its own so that its CPU time (``time.process_time``, all threads) is measured
apart from the two synthetic browsers (aiortc peers in this process): a citizen sending the
synthetic 640x480 30 fps camera (VP8) and silence (Opus), and a clerk decoding what arrives.

For each mode, in one run: the citizen connects, the clerk joins a second later (time from
the clerk's offer to its first decoded frame is printed), then after a warm-up the relay's
CPU time is measured over a fixed window while the clerk counts decoded frames. Figures
only, no assertions (docs/performance.md).
"""

import asyncio
import multiprocessing
import os
import sys
import time
from multiprocessing.connection import Connection
from typing import Any

from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.contrib.media import MediaRelay
from aiortc.mediastreams import MediaStreamTrack

from signaling.media.session import Session
from tests.media_peers import accept, offer, receiver_peer, sender_peer, wait_connected

WARM_UP_SECONDS = float(os.environ.get("BENCH_WARM_UP", "4"))
WINDOW_SECONDS = float(os.environ.get("BENCH_WINDOW", "15"))
MODES = ("pass-through", "MediaRelay")


class TranscodingRelay:
    """The baseline: aiortc's ``MediaRelay`` (decode once, encode per outgoing leg)."""

    def __init__(self) -> None:
        self.relay = MediaRelay()
        self.incoming: dict[str, MediaStreamTrack] = {}
        self.pcs: list[RTCPeerConnection] = []

    async def accept_offer(self, *, party: str, sdp: str, reply_group: str) -> str:
        pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        self.pcs.append(pc)
        if party == "citizen":
            pc.on("track", lambda track: self.incoming.__setitem__(track.kind, track))
        await pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="offer"))
        if party == "clerk":
            for track in self.incoming.values():
                pc.addTrack(self.relay.subscribe(track))
        await pc.setLocalDescription(await pc.createAnswer())
        return str(pc.localDescription.sdp)

    async def close(self) -> None:
        for pc in self.pcs:
            await pc.close()


async def _notify(group: str, message: dict[str, Any]) -> None:
    pass


async def _serve_relay(mode: str, conn: Connection) -> None:
    loop = asyncio.get_running_loop()
    relay: Session | TranscodingRelay
    if mode == "pass-through":
        relay = Session(consultation_id=1, ice_servers=[], notify=_notify)
    else:
        relay = TranscodingRelay()
    while True:
        command, *args = await loop.run_in_executor(None, conn.recv)
        if command == "offer":
            party, sdp = args
            conn.send(await relay.accept_offer(party=party, sdp=sdp, reply_group="bench"))
        elif command == "cpu":
            conn.send(time.process_time())
        else:
            await relay.close()
            conn.send(None)
            return


def _relay_process(mode: str, conn: Connection) -> None:
    asyncio.run(_serve_relay(mode, conn))


async def _ask(conn: Connection, *message: Any) -> Any:
    loop = asyncio.get_running_loop()
    conn.send(message)
    return await loop.run_in_executor(None, conn.recv)


async def _run_mode(conn: Connection) -> dict[str, float]:
    citizen, camera = sender_peer()
    clerk, seen = receiver_peer()
    try:
        await accept(citizen, await _ask(conn, "offer", "citizen", await offer(citizen)))
        await wait_connected(citizen)
        await camera.wait_sent(30)

        joined = time.monotonic()
        await accept(clerk, await _ask(conn, "offer", "clerk", await offer(clerk)))
        await seen.wait("video", 1, timeout=30)
        assert seen.first_video_at is not None
        first_frame = seen.first_video_at - joined

        await asyncio.sleep(WARM_UP_SECONDS)  # a fixed window, not a wait for an event
        frames_before, sent_before = seen.frames["video"], camera.sent
        cpu_before, wall_before = await _ask(conn, "cpu"), time.monotonic()
        await asyncio.sleep(WINDOW_SECONDS)
        cpu_after, wall_after = await _ask(conn, "cpu"), time.monotonic()
        wall = wall_after - wall_before
        received = seen.frames["video"] - frames_before
        return {
            "first_frame": first_frame,
            "cpu": (cpu_after - cpu_before) / wall,
            # A busy machine makes a relay fall behind (fewer frames, less CPU): compare the
            # cost per frame the clerk decoded, scaled to a 30 fps stream.
            "cpu_30fps": (cpu_after - cpu_before) / max(received, 1) * 30,
            "received_fps": received / wall,
            "sent_fps": (camera.sent - sent_before) / wall,
        }
    finally:
        await _ask(conn, "stop")
        await citizen.close()
        await clerk.close()


def measure(mode: str) -> dict[str, float]:
    context = multiprocessing.get_context("fork")
    ours, theirs = context.Pipe()
    process = context.Process(target=_relay_process, args=(mode, theirs), daemon=True)
    process.start()
    try:
        return asyncio.run(_run_mode(ours))
    finally:
        process.join(timeout=10)
        if process.is_alive():
            process.kill()


def main() -> None:
    print(
        f"relay benchmark: one citizen -> relay -> one clerk, 640x480 30 fps VP8 + Opus, "
        f"warm-up {WARM_UP_SECONDS:.0f} s, window {WINDOW_SECONDS:.0f} s, "
        f"{os.cpu_count()} cores"
    )
    results = {}
    for mode in MODES:
        results[mode] = figures = measure(mode)
        print(
            f"  {mode:<13} relay CPU {figures['cpu_30fps'] * 100:5.1f} % of a core per 30 fps "
            f"stream ({figures['cpu'] * 100:4.1f} % measured; clerk decoded "
            f"{figures['received_fps']:4.1f} fps of {figures['sent_fps']:4.1f} sent); "
            f"first frame {figures['first_frame'] * 1000:4.0f} ms after the clerk's offer"
        )
    ratio = results["pass-through"]["cpu_30fps"] / results["MediaRelay"]["cpu_30fps"]
    print(f"  ratio pass-through / MediaRelay (per 30 fps stream): {ratio:.3f}   (goal <= 0.25)")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
