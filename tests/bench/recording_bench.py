"""Recording benchmark: the media worker's CPU and the frame rate the other party receives,
recording off against recording on, in one run.

Run with ``make bench-recording`` (``python -m tests.bench.recording_bench``). The relay (a
``Session``, as in the media worker) runs in a process of its own so that its CPU time
(``time.process_time``: all its threads, the recorder threads included) is measured apart
from the two synthetic browsers (aiortc peers in this process), each sending 640x480 30 fps
VP8 and Opus and decoding what the other sends. For each mode the call is set up, warmed up,
then measured over a fixed window; with recording on, both parties are recorded to webm in a
temporary directory for the whole window. Figures only, no assertions (docs/performance.md).
"""

import asyncio
import multiprocessing
import os
import sys
import tempfile
import time
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from signaling.media.session import Session
from tests.media_peers import accept, call_peer, offer, wait_connected

WARM_UP_SECONDS = float(os.environ.get("BENCH_WARM_UP", "4"))
WINDOW_SECONDS = float(os.environ.get("BENCH_WINDOW", "15"))
MODES = ("recording off", "recording on")


async def _notify(group: str, message: dict[str, Any]) -> None:
    pass


async def _serve(record: bool, directory: str, conn: Connection) -> None:
    loop = asyncio.get_running_loop()
    session = Session(consultation_id=1, ice_servers=[], notify=_notify)
    while True:
        command, *args = await loop.run_in_executor(None, conn.recv)
        if command == "offer":
            party, sdp = args
            conn.send(await session.accept_offer(party=party, sdp=sdp, reply_group="bench"))
        elif command == "record" and record:
            session.start_recording(
                recording_id=1, directory=Path(directory), relative_dir="1", reply_group="b"
            )
            conn.send(None)
        elif command == "record":
            conn.send(None)
        elif command == "cpu":
            conn.send(time.process_time())
        else:
            files = await session.stop_recording()
            await session.close()
            conn.send([(f.party, f.size_bytes, f.video_frames, f.duration_seconds) for f in files])
            return


def _relay_process(record: bool, directory: str, conn: Connection) -> None:
    asyncio.run(_serve(record, directory, conn))


async def _ask(conn: Connection, *message: Any) -> Any:
    loop = asyncio.get_running_loop()
    conn.send(message)
    return await loop.run_in_executor(None, conn.recv)


async def _run(conn: Connection) -> dict[str, Any]:
    citizen, citizen_camera, citizen_sees = call_peer()
    clerk, _clerk_camera, clerk_sees = call_peer()
    try:
        for party, pc in (("citizen", citizen), ("clerk", clerk)):
            await accept(pc, await _ask(conn, "offer", party, await offer(pc)))
            await wait_connected(pc)
        await clerk_sees.wait("video", 1, timeout=30)
        await citizen_sees.wait("video", 1, timeout=30)
        await _ask(conn, "record")
        await asyncio.sleep(WARM_UP_SECONDS)  # a fixed window, not a wait for an event
        before = clerk_sees.frames["video"], citizen_sees.frames["video"], citizen_camera.sent
        cpu_before, wall_before = await _ask(conn, "cpu"), time.monotonic()
        await asyncio.sleep(WINDOW_SECONDS)
        cpu_after, wall_after = await _ask(conn, "cpu"), time.monotonic()
        wall = wall_after - wall_before
        return {
            "cpu": (cpu_after - cpu_before) / wall,
            "clerk_fps": (clerk_sees.frames["video"] - before[0]) / wall,
            "citizen_fps": (citizen_sees.frames["video"] - before[1]) / wall,
            "sent_fps": (citizen_camera.sent - before[2]) / wall,
        }
    finally:
        files = await _ask(conn, "stop")
        await citizen.close()
        await clerk.close()
        _run.files = files  # type: ignore[attr-defined]


def measure(record: bool, directory: str) -> dict[str, Any]:
    context = multiprocessing.get_context("fork")
    ours, theirs = context.Pipe()
    process = context.Process(target=_relay_process, args=(record, directory, theirs), daemon=True)
    process.start()
    try:
        figures = asyncio.run(_run(ours))
        figures["files"] = _run.files  # type: ignore[attr-defined]
        return figures
    finally:
        process.join(timeout=20)
        if process.is_alive():
            process.kill()


def main() -> None:
    print(
        f"recording benchmark: citizen <-> relay <-> clerk, both 640x480 30 fps VP8 + Opus, "
        f"warm-up {WARM_UP_SECONDS:.0f} s, window {WINDOW_SECONDS:.0f} s, "
        f"{os.cpu_count()} cores"
    )
    results = {}
    with tempfile.TemporaryDirectory() as directory:
        for mode in MODES:
            results[mode] = figures = measure(mode == "recording on", directory)
            print(
                f"  {mode:<14} media worker CPU {figures['cpu'] * 100:5.1f} % of a core; "
                f"received: clerk {figures['clerk_fps']:4.1f} fps, citizen "
                f"{figures['citizen_fps']:4.1f} fps (each sends {figures['sent_fps']:4.1f})"
            )
        for party, size, frames, seconds in results["recording on"]["files"]:
            print(
                f"  file {party:<8} {size / 1e6:6.2f} MB, {frames} video frames, "
                f"{seconds:5.1f} s ({size * 8 / max(seconds, 0.001) / 1e6:4.2f} Mbit/s)"
            )
    off, on = results["recording off"], results["recording on"]
    print(
        f"  recording on / off: CPU {on['cpu'] / max(off['cpu'], 1e-9):.2f}x, "
        f"received frame rate {on['clerk_fps'] / max(off['clerk_fps'], 1e-9):.2f}x (clerk), "
        f"{on['citizen_fps'] / max(off['citizen_fps'], 1e-9):.2f}x (citizen)"
    )
    sys.stdout.flush()


if __name__ == "__main__":
    main()
