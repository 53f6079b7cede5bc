"""Recording one party's media to webm without re-encoding, off the event loop.

The relay already holds every frame a browser sends, still encoded (VP8 video, Opus audio).
``PartyRecorder.feed`` runs on the event loop for each such frame: it turns the RTP
timestamp into a presentation time (unwrapping the 32-bit clock, starting each kind at its
arrival time so audio and video stay together) and puts the bytes into a queue. A thread of
its own muxes them into a webm file with PyAV: no decoder, no encoder, and nothing on the
loop but a queue put. aiortc's ``MediaRecorder`` instead decodes and encodes on the loop.

The file is opened at the first video keyframe (its width and height go into the header);
if no video comes within ``AUDIO_ONLY_AFTER`` seconds of audio, the file holds audio only.
Other codecs (H.264 from a browser that offers nothing else) are not recorded: webm has no
H.264; ``unsupported`` counts such frames.

A finished file gets a manifest beside it, ``<party>.manifest.json``, written atomically
(a temporary file, fsync, rename) after the file itself is on disk: the durable report of
the file that consult/recording/reconcile.py registers when the live ``media.recorded``
event is lost (docs/media.md, "Recording").
"""

from __future__ import annotations

import fractions
import json
import logging
import os
import queue
import threading
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import av

logger = logging.getLogger(__name__)

RECORDED = {"video": "video/vp8", "audio": "audio/opus"}
AUDIO_ONLY_AFTER = 3.0  # seconds of audio without a video keyframe
MAX_QUEUED = 2000  # about a minute of media: a stalled disk drops rather than grows
WRAP = 1 << 32
MANIFEST_SUFFIX = ".manifest.json"
MANIFEST_VERSION = 1


@dataclass(frozen=True)
class RecordedFile:
    """What the worker reports about a finished file (path relative to RECORDINGS_DIR)."""

    party: str
    path: str
    size_bytes: int
    duration_seconds: float
    video_frames: int
    audio_frames: int


def manifest_name(party: str) -> str:
    return f"{party}{MANIFEST_SUFFIX}"


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_manifest(
    directory: Path,
    recorded: RecordedFile,
    *,
    consultation_id: int,
    recording_id: int,
    started_at: datetime,
    finished_at: datetime,
) -> Path:
    """Write ``<party>.manifest.json`` beside a finished file, atomically: a reader sees the
    whole manifest or none, and the file it names is on disk before it (both fsynced)."""
    _fsync(directory / Path(recorded.path).name)
    target = directory / manifest_name(recorded.party)
    temporary = directory / f".{target.name}.tmp"
    body = {
        "version": MANIFEST_VERSION,
        "consultation": consultation_id,
        "recording": recording_id,
        **asdict(recorded),
        "started_at": started_at.isoformat(),
        "finished_at": finished_at.isoformat(),
    }
    with open(temporary, "w", encoding="utf-8") as handle:
        json.dump(body, handle)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, target)
    _fsync(directory)  # the rename itself survives a crash
    return target


def vp8_size(data: bytes) -> tuple[int, int] | None:
    """Width and height from a VP8 keyframe header (RFC 6386 9.1), else None."""
    if len(data) < 10 or data[0] & 0x01 or data[3:6] != b"\x9d\x01\x2a":
        return None
    width = int.from_bytes(data[6:8], "little") & 0x3FFF
    return width, int.from_bytes(data[8:10], "little") & 0x3FFF


class _Clock:
    """One kind's RTP clock mapped to recording time, per source (a reconnect is a new one)."""

    def __init__(self, rate: int) -> None:
        self.rate = rate
        self.source: object = None
        self.first = 0
        self.last_raw = 0
        self.unwrapped = 0
        self.offset = 0  # recording time of the source's first frame, in clock units
        self.last_pts = -1

    def pts(self, timestamp: int, *, source: object, elapsed: float) -> int:
        if source is not self.source:
            self.source = source
            self.first = self.unwrapped = self.last_raw = timestamp
            self.offset = max(round(elapsed * self.rate), self.last_pts + 1)
        else:
            delta = (timestamp - self.last_raw) % WRAP
            if delta >= WRAP // 2:  # reordered or old: count it backwards
                delta -= WRAP
            self.unwrapped += delta
            self.last_raw = timestamp
        pts = max(self.offset + self.unwrapped - self.first, self.last_pts + 1)
        self.last_pts = pts
        return pts


class PartyRecorder:
    """Writes one party's VP8 and Opus frames to ``directory/<party>.webm`` in a thread."""

    def __init__(
        self,
        *,
        directory: Path,
        relative_dir: str,
        party: str,
        consultation_id: int,
        recording_id: int,
    ) -> None:
        self.party = party
        self.directory = directory
        self.path = directory / f"{party}.webm"
        self.manifest = directory / manifest_name(party)
        self.relative = f"{relative_dir}/{party}.webm"
        self.consultation_id = consultation_id
        self.recording_id = recording_id
        directory.mkdir(parents=True, exist_ok=True)
        self.started = time.monotonic()
        self.started_at = datetime.now(UTC)
        self.dropped = 0
        self.unsupported = 0
        self._clocks: dict[str, _Clock] = {}
        self._need_keyframe = True
        self._queue: queue.Queue[tuple[str, bytes, int, int, bool] | None] = queue.Queue(
            maxsize=MAX_QUEUED
        )
        self._frames = {"video": 0, "audio": 0}
        self.queued = {"video": 0, "audio": 0}  # frames taken for the file (event loop side)
        self._last_seconds = 0.0
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name=f"recorder-{party}", daemon=True)
        self._thread.start()

    # --- on the event loop

    def feed(
        self, *, kind: str, mime: str, clock_rate: int, data: bytes, timestamp: int, source: object
    ) -> bool:
        """Queue one encoded frame; returns whether a video keyframe should be requested."""
        if mime.lower() != RECORDED.get(kind):
            self.unsupported += 1
            return False
        keyframe = kind == "audio" or vp8_size(data) is not None
        clock = self._clocks.get(kind)
        if kind == "video" and clock is not None and source is not clock.source:
            self._need_keyframe = True  # a reconnected browser: its deltas need its keyframe
        if kind == "video" and self._need_keyframe:
            if not keyframe:
                return True
            self._need_keyframe = False
        if clock is None:
            clock = self._clocks[kind] = _Clock(clock_rate)
        pts = clock.pts(timestamp, source=source, elapsed=time.monotonic() - self.started)
        try:
            self._queue.put_nowait((kind, data, pts, clock_rate, keyframe))
            self.queued[kind] += 1
        except queue.Full:
            self.dropped += 1
            if kind == "video":
                self._need_keyframe = True
                return True
        return False

    # --- blocking: call through asyncio.to_thread

    def finish(self) -> RecordedFile:
        """Close the file, write its manifest and report it (an empty recording leaves no
        file and no manifest)."""
        self._queue.put(None)
        self._thread.join()
        exists = self.path.exists()
        recorded = RecordedFile(
            party=self.party,
            path=self.relative,
            size_bytes=self.path.stat().st_size if exists else 0,
            duration_seconds=round(self._last_seconds, 3),
            video_frames=self._frames["video"],
            audio_frames=self._frames["audio"],
        )
        if recorded.size_bytes:
            try:
                write_manifest(
                    self.directory,
                    recorded,
                    consultation_id=self.consultation_id,
                    recording_id=self.recording_id,
                    started_at=self.started_at,
                    finished_at=datetime.now(UTC),
                )
            except OSError:  # the live report still goes out; the log says what is missing
                logger.exception("recorder: no manifest for %s", self.relative)
        return recorded

    def discard(self) -> None:
        """Stop writing and delete the file (and a manifest, should one exist)."""
        self._queue.put(None)
        self._thread.join()
        self.path.unlink(missing_ok=True)
        self.manifest.unlink(missing_ok=True)

    # --- the writer thread

    def _run(self) -> None:
        container: Any = None
        streams: dict[str, Any] = {}
        pending: list[tuple[str, bytes, int, int, bool]] = []
        try:
            while (item := self._queue.get()) is not None:
                if container is None:
                    pending.append(item)
                    container, streams = self._open(pending)
                    if container is None:
                        continue
                    for queued in pending:
                        self._mux(container, streams, queued)
                    pending.clear()
                else:
                    self._mux(container, streams, item)
        except Exception as error:  # a broken disk must not take the relay down
            self._error = error
            logger.exception("recorder: writing %s failed", self.relative)
            while self._queue.get() is not None:  # drain until finish() or discard()
                pass
        finally:
            if container is not None:
                container.close()

    def _open(self, pending: list[tuple[str, bytes, int, int, bool]]) -> tuple[Any, dict]:
        kind, data, *_ = pending[-1]
        size = vp8_size(data) if kind == "video" else None
        audio = [p for p in pending if p[0] == "audio"]
        audio_only = bool(audio) and (audio[-1][2] - audio[0][2]) / 48000 >= AUDIO_ONLY_AFTER
        if size is None and not audio_only:
            return None, {}
        if size is None:
            pending[:] = audio
        else:  # video starts at this keyframe; audio from before it is kept
            pending[:] = [p for p in pending if p[0] == "audio" or p is pending[-1]]
        container = av.open(str(self.path), "w", format="webm")
        streams = {}
        if size is not None:
            streams["video"] = container.add_mux_stream("vp8", width=size[0], height=size[1])
        streams["audio"] = container.add_mux_stream("opus", rate=48000)
        return container, streams

    def _mux(self, container: Any, streams: dict, item: tuple[str, bytes, int, int, bool]) -> None:
        kind, data, pts, rate, keyframe = item
        stream = streams.get(kind)
        if stream is None:
            return
        packet = av.Packet(data)
        packet.pts = packet.dts = pts
        packet.time_base = fractions.Fraction(1, rate)
        packet.stream = stream
        packet.is_keyframe = keyframe
        container.mux(packet)
        self._frames[kind] += 1
        self._last_seconds = max(self._last_seconds, pts / rate)
