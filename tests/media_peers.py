"""aiortc peers standing in for browsers in the media tests and the relay benchmark."""

import asyncio
import time
from collections.abc import Callable
from typing import Any

from aiortc import (
    AudioStreamTrack,
    RTCConfiguration,
    RTCPeerConnection,
    RTCRtpSender,
    RTCSessionDescription,
    VideoStreamTrack,
)
from aiortc.codecs.base import Encoder
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from av import VideoFrame

WIDTH, HEIGHT = 640, 480
PATTERN_FRAMES = 60


def _pattern() -> list[tuple[bytes, bytes, bytes]]:
    """Moving diagonal gradients (real motion for the encoders), computed once."""
    base = bytes((i * 3) % 256 for i in range(WIDTH + HEIGHT + 8 * PATTERN_FRAMES))
    chroma = bytes((i * 5) % 256 for i in range(WIDTH // 2 + HEIGHT // 2 + 8 * PATTERN_FRAMES))
    frames = []
    for n in range(PATTERN_FRAMES):
        luma = b"".join(base[y + 8 * n : y + 8 * n + WIDTH] for y in range(HEIGHT))
        u = b"".join(chroma[y + 4 * n : y + 4 * n + WIDTH // 2] for y in range(HEIGHT // 2))
        v = u[::-1]
        frames.append((luma, u, v))
    return frames


_PATTERN: list[tuple[bytes, bytes, bytes]] = []


class SyntheticVideo(VideoStreamTrack):
    """640x480 at 30 fps, a moving pattern; counts the frames it produced."""

    def __init__(self) -> None:
        super().__init__()
        if not _PATTERN:
            _PATTERN.extend(_pattern())
        self.sent = 0
        self.sent_event = asyncio.Event()
        self.wanted = 0

    async def recv(self) -> VideoFrame:  # type: ignore[override]
        pts, time_base = await self.next_timestamp()
        frame = VideoFrame(width=WIDTH, height=HEIGHT, format="yuv420p")
        for plane, data in zip(frame.planes, _PATTERN[self.sent % PATTERN_FRAMES], strict=True):
            plane.update(data)
        frame.pts, frame.time_base = pts, time_base
        self.sent += 1
        if self.sent >= self.wanted:
            self.sent_event.set()
        return frame

    async def wait_sent(self, count: int, timeout: float = 20) -> None:
        self.wanted, self.sent_event = self.sent + count, asyncio.Event()
        await asyncio.wait_for(self.sent_event.wait(), timeout)


class Counter:
    """Counts frames a receiving peer decoded per kind, with events to wait on."""

    def __init__(self) -> None:
        self.frames: dict[str, int] = {"audio": 0, "video": 0}
        self.first_video_at: float | None = None
        self._waiters: list[tuple[str, int, asyncio.Event]] = []
        self.tasks: list[asyncio.Task[None]] = []

    def consume(self, track: MediaStreamTrack) -> None:
        self.tasks.append(asyncio.ensure_future(self._run(track)))

    async def _run(self, track: MediaStreamTrack) -> None:
        while True:
            try:
                await track.recv()
            except MediaStreamError:
                return
            self.frames[track.kind] += 1
            if track.kind == "video" and self.first_video_at is None:
                self.first_video_at = time.monotonic()
            for kind, count, event in self._waiters:
                if kind == track.kind and self.frames[kind] >= count:
                    event.set()

    async def wait(self, kind: str, count: int, timeout: float = 20) -> None:
        event = asyncio.Event()
        if self.frames[kind] >= count:
            return
        self._waiters.append((kind, count, event))
        await asyncio.wait_for(event.wait(), timeout)


def peer() -> RTCPeerConnection:
    # No ICE servers: aiortc would otherwise ask Google's STUN server.
    return RTCPeerConnection(RTCConfiguration(iceServers=[]))


def only_codec(pc: RTCPeerConnection, kind: str, mime: str) -> None:
    """Offer only ``mime`` (e.g. "video/H264") for ``kind``: a browser without VP8."""
    codecs = [c for c in RTCRtpSender.getCapabilities(kind).codecs if c.mimeType == mime]
    for transceiver in pc.getTransceivers():
        if transceiver.kind == kind:
            transceiver.setCodecPreferences(codecs)


def sender_peer() -> tuple[RTCPeerConnection, SyntheticVideo]:
    """A browser sending a camera (synthetic video) and a microphone (silence)."""
    pc = peer()
    video = SyntheticVideo()
    pc.addTransceiver(video, direction="sendonly")
    pc.addTransceiver(AudioStreamTrack(), direction="sendonly")
    return pc, video


def call_peer() -> tuple[RTCPeerConnection, SyntheticVideo, Counter]:
    """A browser in a call: sends camera and microphone, counts what it decodes."""
    pc = peer()
    video, counter = SyntheticVideo(), Counter()
    pc.addTransceiver(video, direction="sendrecv")
    pc.addTransceiver(AudioStreamTrack(), direction="sendrecv")
    pc.on("track", counter.consume)
    return pc, video, counter


def receiver_peer() -> tuple[RTCPeerConnection, Counter]:
    """A browser that only watches and listens, counting decoded frames."""
    pc = peer()
    counter = Counter()
    pc.addTransceiver("video", direction="recvonly")
    pc.addTransceiver("audio", direction="recvonly")
    pc.on("track", counter.consume)
    return pc, counter


async def offer(pc: RTCPeerConnection) -> str:
    await pc.setLocalDescription(await pc.createOffer())
    return str(pc.localDescription.sdp)


async def accept(pc: RTCPeerConnection, sdp: str) -> None:
    await pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="answer"))


async def wait_connected(pc: RTCPeerConnection, timeout: float = 20) -> None:
    connected = asyncio.Event()

    def check() -> None:
        if pc.connectionState == "connected":
            connected.set()

    pc.on("connectionstatechange", check)
    check()
    await asyncio.wait_for(connected.wait(), timeout)


def keyframe_requests(pc: RTCPeerConnection) -> list[float]:
    """Times at which the video sender of ``pc`` was asked for a keyframe (PLI/FIR)."""
    times: list[float] = []
    for transceiver in pc.getTransceivers():
        if transceiver.kind == "video":
            sender = transceiver.sender
            original = sender._send_keyframe

            def record(original: Callable[[], None] = original) -> None:
                times.append(time.monotonic())
                original()

            sender._send_keyframe = record  # type: ignore[method-assign]
    return times


class EncoderCalls:
    """Counts ``encode()`` calls per aiortc encoder instance (install with ``patch``)."""

    def __init__(self) -> None:
        self.calls: dict[int, int] = {}

    def patch(self, monkeypatch: Any) -> None:
        from aiortc.codecs import g711, g722, h264, opus, vpx

        for cls in (
            vpx.Vp8Encoder,
            h264.H264Encoder,
            opus.OpusEncoder,
            g711.PcmuEncoder,
            g711.PcmaEncoder,
            g722.G722Encoder,
        ):
            monkeypatch.setattr(cls, "encode", self._wrap(cls.encode))

    def _wrap(self, encode: Callable[..., Any]) -> Callable[..., Any]:
        def counted(encoder: Encoder, *args: Any, **kwargs: Any) -> Any:
            self.calls[id(encoder)] = self.calls.get(id(encoder), 0) + 1
            return encode(encoder, *args, **kwargs)

        return counted

    def of(self, pcs: list[RTCPeerConnection]) -> int:
        """Encoder calls made by the senders of ``pcs``."""
        total = 0
        for pc in pcs:
            for transceiver in pc.getTransceivers():
                encoder = transceiver.sender._RTCRtpSender__encoder  # type: ignore[attr-defined]
                if encoder is not None:
                    total += self.calls.get(id(encoder), 0)
        return total
