# ruff: noqa: F811  (the fixtures session and peers are imported from test_passthrough)
"""Recording in the relay: each party's encoded frames muxed to webm in a thread, while the
frames keep flowing to the other party; withdrawal deletes the files."""

import asyncio
from pathlib import Path
from typing import Any

import av
import pytest

from signaling.media.recorder import PartyRecorder, vp8_size
from signaling.media.session import Session
from tests.media_peers import EncoderCalls, call_peer
from tests.unit.media.test_passthrough import Notes, join, peers, session  # noqa: F401


def probe(path: Path) -> dict[str, Any]:
    """Decode a file completely: its duration and frames per kind."""
    with av.open(str(path)) as container:
        kinds = [s.type for s in container.streams]
        frames = {"video": 0, "audio": 0}
        for frame in container.decode(*container.streams):
            kind = "video" if isinstance(frame, av.VideoFrame) else "audio"
            frames[kind] += 1
        duration = (container.duration or 0) / av.time_base
        width = container.streams.video[0].codec_context.width if "video" in kinds else 0
    return {"kinds": kinds, "frames": frames, "duration": duration, "width": width}


async def test_both_parties_are_recorded_while_frames_keep_flowing(
    session: Session, peers: list[Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    encoders = EncoderCalls()
    encoders.patch(monkeypatch)
    citizen, _citizen_video, citizen_sees = call_peer()
    clerk, _clerk_video, clerk_sees = call_peer()
    peers += [citizen, clerk]
    await join(session, "citizen", citizen)
    await join(session, "clerk", clerk)
    await clerk_sees.wait("video", 10)

    session.start_recording(
        recording_id=5, directory=tmp_path / "5", relative_dir="5", reply_group="rec"
    )
    before = dict(clerk_sees.frames), dict(citizen_sees.frames)
    await clerk_sees.wait("video", before[0]["video"] + 60)  # two seconds of video
    await citizen_sees.wait("video", before[1]["video"] + 60)
    await clerk_sees.wait("audio", before[0]["audio"] + 50)
    files = await session.stop_recording()

    # the relay still forwards without encoding; the recording encoded nothing either
    assert encoders.of([session.legs["citizen"].pc, session.legs["clerk"].pc]) == 0
    assert {f.party for f in files} == {"citizen", "clerk"}
    for recorded in files:
        path = tmp_path / recorded.path
        assert path.exists() and path.stat().st_size == recorded.size_bytes > 10_000
        seen = probe(path)
        assert seen["kinds"] == ["video", "audio"] and seen["width"] == 640
        assert seen["frames"]["video"] == recorded.video_frames >= 50
        assert seen["frames"]["audio"] >= 80
        assert 1.5 <= seen["duration"] <= 10
    notes = session.notify
    assert isinstance(notes, Notes)
    reports = [m for g, m in notes.sent if m["type"] == "media.recorded"]
    assert reports and reports[0]["recording"] == 5 and len(reports[0]["files"]) == 2
    assert {f["path"] for f in reports[0]["files"]} == {"5/citizen.webm", "5/clerk.webm"}
    # the call goes on after the recording
    seen_now = clerk_sees.frames["video"]
    await clerk_sees.wait("video", seen_now + 15)


async def recording_call(session: Session, peers: list[Any], tmp_path: Path, recording: int):
    """Both parties in the relay, recorded since a second of video; the clerk's counter."""
    citizen, _video, _sees = call_peer()
    clerk, _clerk_video, clerk_sees = call_peer()
    peers += [citizen, clerk]
    await join(session, "citizen", citizen)
    await join(session, "clerk", clerk)
    session.start_recording(
        recording_id=recording,
        directory=tmp_path / str(recording),
        relative_dir=str(recording),
        reply_group="rec",
    )
    await clerk_sees.wait("video", clerk_sees.frames["video"] + 30)
    await recorded(session, video=30)
    return clerk_sees


async def recorded(session: Session, *, video: int, timeout: float = 20) -> None:
    """Wait until each party's recorder has taken ``video`` frames for its file (it starts at
    the party's next keyframe, which under load may come a while after the recording)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    recorders = session.relay.recorders
    while not (len(recorders) == 2 and all(r.queued["video"] >= video for r in recorders.values())):
        assert loop.time() < deadline, {p: r.queued for p, r in recorders.items()}
        await asyncio.sleep(0.05)


async def test_discarding_deletes_what_was_written(
    session: Session,
    peers: list[Any],
    tmp_path: Path,
) -> None:
    await recording_call(session, peers, tmp_path, 6)
    assert (tmp_path / "6" / "citizen.webm").exists()
    await session.discard_recording(recording_id=6)
    assert list((tmp_path / "6").iterdir()) == []
    assert session.recording is None and session.relay.recorders == {}


async def test_closing_the_session_finishes_and_reports_the_recording(
    session: Session, peers: list[Any], tmp_path: Path
) -> None:
    await recording_call(session, peers, tmp_path, 7)
    await session.close()
    notes = session.notify
    assert isinstance(notes, Notes)
    (report,) = [m for g, m in notes.sent if m["type"] == "media.recorded"]
    assert len(report["files"]) == 2
    clerk_file = next(f for f in report["files"] if f["path"] == "7/clerk.webm")
    written = probe(tmp_path / "7" / "clerk.webm")["frames"]["video"]
    assert written == clerk_file["video_frames"] >= 30  # every frame taken is in the file


def test_a_recorder_waits_for_a_keyframe_and_asks_for_one(tmp_path: Path) -> None:
    recorder = PartyRecorder(
        directory=tmp_path, relative_dir="x", party="citizen", consultation_id=1, recording_id=1
    )
    delta = bytes([0x31, 0, 0]) + bytes(20)  # P bit set: not a keyframe
    assert recorder.feed(
        kind="video", mime="video/VP8", clock_rate=90000, data=delta, timestamp=1, source=1
    )
    assert not recorder.feed(
        kind="video", mime="video/H264", clock_rate=90000, data=delta, timestamp=1, source=1
    )
    assert recorder.unsupported == 1
    recorder.discard()
    assert not (tmp_path / "citizen.webm").exists()


def test_vp8_size_reads_a_keyframe_header() -> None:
    header = bytes([0x10, 0x02, 0x00, 0x9D, 0x01, 0x2A, 0x80, 0x02, 0xE0, 0x01])
    assert vp8_size(header) == (640, 480)
    assert vp8_size(bytes([0x11]) + header[1:]) is None
