"""Pass-through relay: forward encoded frames between the two legs of a consultation.

aiortc's ``MediaRelay`` decodes every incoming frame and the outgoing sender encodes it again
(about a third of a core per 640x480 30 fps VP8 stream). Here the frame that a browser sent
on one leg is handed, still encoded, to the sender of the other leg, which only packetizes
it again. Keyframe requests (PLI/FIR) from the receiving browser are forwarded as a PLI to
the sending browser. Only when the two legs negotiated different codecs for a kind are the
frames decoded (by aiortc's own decoder thread) and the sender encodes them (the fallback).

aiortc internals this module relies on (checked against aiortc 1.16, pinned ``<1.17``):

- ``RTCRtpReceiver`` puts every reassembled encoded frame as ``(codec, JitterFrame)`` into
  its private queue ``_RTCRtpReceiver__decoder_queue`` (from the event loop thread), and
  ``None`` to stop; ``receive()`` hands that queue to its decoder thread. ``ReceiverTap``
  replaces the queue before the receiver starts: encoded frames come to us, and reach the
  decoder only while we need decoded frames.
- ``RTCRtpSender._next_encoded_frame`` packs an ``av.Packet`` returned by the track's
  ``recv()`` with the codec's ``pack()`` (no encoder call) and encodes an ``av.Frame``.
- ``RTCRtpSender._handle_rtcp_packet`` calls ``self._send_keyframe()`` on PLI and FIR; we
  wrap that method per sender instance.
- ``RTCRtpReceiver._send_rtcp_pli(media_ssrc)`` sends a PLI to the remote sender.
- ``RTCRtpTransceiver._codecs[0]`` is the codec the sender uses once negotiated.
"""

from __future__ import annotations

import asyncio
import fractions
import functools
import logging
import queue
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

import av
from aiortc import RTCPeerConnection, RTCRtpSender, RTCRtpTransceiver
from aiortc.jitterbuffer import JitterFrame
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from aiortc.rtcrtpparameters import RTCRtpCodecCapability, RTCRtpCodecParameters
from av.frame import Frame

from .recorder import PartyRecorder

logger = logging.getLogger(__name__)

KINDS = ("audio", "video")
# Codec order offered to a leg when the other leg has not negotiated yet (lower first).
DEFAULT_ORDER = {
    "audio": ["audio/opus", "audio/g722", "audio/pcmu", "audio/pcma"],
    "video": ["video/vp8", "video/h264", "video/rtx"],
}
# A browser asks again if a keyframe does not come; one upstream PLI per this interval.
KEYFRAME_REQUEST_INTERVAL = 0.3
# Frames waiting for a sender; beyond this the sender is behind and we start over.
MAX_QUEUED = {"audio": 50, "video": 30}

Codec = RTCRtpCodecParameters | RTCRtpCodecCapability
MediaItem = av.Packet | Frame


def same_codec(a: Codec, b: Codec) -> bool:
    """Whether an encoded frame of codec ``a`` can be sent unchanged as codec ``b``."""
    if a.mimeType.lower() != b.mimeType.lower() or a.clockRate != b.clockRate:
        return False
    if a.mimeType.lower() == "video/h264":
        keys = ("packetization-mode", "profile-level-id")
        return all(a.parameters.get(k) == b.parameters.get(k) for k in keys)
    return True


@functools.cache
def time_base(clock_rate: int) -> fractions.Fraction:
    return fractions.Fraction(1, clock_rate)


def is_keyframe(codec: Codec, data: bytes) -> bool:
    """Whether a depayloaded frame can be decoded on its own (audio always can)."""
    name = codec.mimeType.lower()
    if name == "video/vp8":
        return bool(data) and not data[0] & 0x01  # RFC 6386 9.1: P bit 0 = key frame
    if name == "video/h264":  # Annex B from aiortc's depayloader: look for an IDR slice
        return any(nal and nal[0] & 0x1F == 5 for nal in data.split(b"\x00\x00\x01"))
    return not name.startswith("video/")


def codec_preferences(kind: str, first: Codec | None = None) -> list[RTCRtpCodecCapability]:
    """aiortc's capabilities for ``kind``, ``first`` (the other leg's codec) leading."""
    order = DEFAULT_ORDER[kind]

    def rank(capability: RTCRtpCodecCapability) -> int:
        if first is not None and same_codec(capability, first):
            return -1
        name = capability.mimeType.lower()
        return order.index(name) if name in order else len(order)

    return sorted(RTCRtpSender.getCapabilities(kind).codecs, key=rank)


class ReceiverTap(queue.Queue[Any]):
    """Stands in for a receiver's decoder queue (see the module docstring).

    ``on_frame(codec, frame)`` runs on the event loop for every encoded frame and returns
    whether the frame must also be decoded. ``None`` (stop) always reaches the decoder thread.
    """

    def __init__(self, on_frame: Callable[[RTCRtpCodecParameters, JitterFrame], bool]) -> None:
        super().__init__()
        self._on_frame = on_frame

    def put(self, item: Any, block: bool = True, timeout: float | None = None) -> None:
        decode = True
        if item is not None:
            try:
                decode = self._on_frame(*item)
            except Exception:  # never break the receiver's packet handling
                logger.exception("media relay: forwarding a frame failed")
                decode = False
        if decode:
            super().put(item, block, timeout)

    def release(self) -> None:
        """Let the decoder thread end (it is not a daemon thread)."""
        super().put(None)


class ForwardingTrack(MediaStreamTrack):
    """The outgoing track of a leg: hands the sender what the other leg received.

    Items are encoded ``av.Packet``s (pass-through) or decoded frames (fallback). Timestamps
    are shifted when the source changes (the other party reconnected) so they keep rising.
    Video starts at a keyframe: until one comes, ``push`` drops frames and asks for one.
    """

    def __init__(self, kind: str) -> None:
        super().__init__()
        self.kind = kind
        self._queue: asyncio.Queue[MediaItem | None] = asyncio.Queue()
        self._consuming = False
        self._waiting_for_keyframe = kind == "video"
        self._source: object = None
        # Shift added to every pts, and the last pts sent, each with its clock rate.
        self._offset = (0, 1)
        self._last: tuple[int, int] | None = None

    def push(self, item: MediaItem, *, source: object, keyframe: bool, clock_rate: int) -> bool:
        """Queue ``item`` (pts in 1/``clock_rate`` s); return whether to ask for a keyframe."""
        if not self._consuming or self.readyState != "live":
            return False  # the sender has not started: nothing to feed yet
        if source is not self._source and self._source is not None and self.kind == "video":
            self._waiting_for_keyframe = True  # a new source's deltas need its own keyframe
        if self._waiting_for_keyframe:
            if not keyframe:
                return True
            self._waiting_for_keyframe = False
        if self._queue.qsize() >= MAX_QUEUED[self.kind]:
            while not self._queue.empty():
                self._queue.get_nowait()
            self._waiting_for_keyframe = self.kind == "video"
            return self._waiting_for_keyframe
        self._rebase(item, source, clock_rate)
        self._queue.put_nowait(item)
        return False

    def _rebase(self, item: MediaItem, source: object, rate: int) -> None:
        """Integer arithmetic on purpose: this runs for every frame (Fraction is slow)."""
        if item.pts is None:
            return
        if source is not self._source:
            self._source = source
            if self._last is not None:  # continue 20 ms after the last frame sent
                last_pts, last_rate = self._last
                self._offset = (last_pts * rate // last_rate + rate // 50 - item.pts, rate)
        shift, shift_rate = self._offset
        item.pts += shift if shift_rate == rate else shift * rate // shift_rate
        self._last = (item.pts, rate)

    async def recv(self) -> MediaItem:  # type: ignore[override]
        self._consuming = True
        if self.readyState != "live":
            raise MediaStreamError
        item = await self._queue.get()
        if item is None:
            raise MediaStreamError
        return item

    def stop(self) -> None:
        super().stop()
        self._queue.put_nowait(None)


@dataclass
class RelayStats:
    """Counters for tests and the benchmark."""

    forwarded: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    transcoded: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    keyframe_requests: int = 0


class _End:
    """One party's peer connection as the relay sees it."""

    def __init__(self, party: str, pc: RTCPeerConnection) -> None:
        self.party = party
        self.pc = pc
        self.tracks = {kind: ForwardingTrack(kind) for kind in KINDS}
        self.transceivers: dict[str, RTCRtpTransceiver] = {}
        self.taps: dict[str, ReceiverTap] = {}
        self.last_keyframe_request = 0.0

    def negotiated_codec(self, kind: str) -> RTCRtpCodecParameters | None:
        """The codec both directions of this leg use for ``kind`` (first negotiated)."""
        codecs = self.transceivers[kind]._codecs
        return codecs[0] if codecs else None

    def send_codec(self, kind: str) -> RTCRtpCodecParameters | None:
        if self.transceivers[kind].currentDirection not in ("sendrecv", "sendonly"):
            return None
        return self.negotiated_codec(kind)

    def close(self) -> None:
        for track in self.tracks.values():
            track.stop()


class PassThroughRelay:
    """Forwards audio and video between exactly two parties' peer connections.

    Call ``attach(party, pc)`` on a fresh connection before ``setRemoteDescription(offer)``
    (it adds the sendrecv transceivers the offer's m-lines bind to, with aligned codec
    preferences), and ``detach(party)`` before closing it.
    """

    def __init__(self) -> None:
        self._ends: dict[str, _End] = {}
        self._tasks: set[asyncio.Task[Any]] = set()
        self.stats = RelayStats()
        # Per party: gets every encoded frame that party sends (recorder.py).
        self.recorders: dict[str, PartyRecorder] = {}

    def attach(self, party: str, pc: RTCPeerConnection) -> None:
        if party in self._ends:
            self.detach(party)
        end = _End(party, pc)
        other = self._other(party)
        for kind in KINDS:
            transceiver = pc.addTransceiver(end.tracks[kind], direction="sendrecv")
            first = other.negotiated_codec(kind) if other else None
            transceiver.setCodecPreferences(codec_preferences(kind, first))
            tap = ReceiverTap(self._frame_handler(end, kind))
            transceiver.receiver._RTCRtpReceiver__decoder_queue = tap  # type: ignore[attr-defined]
            end.transceivers[kind] = transceiver
            end.taps[kind] = tap
        self._forward_keyframe_requests(end)
        pc.on("track", lambda track: self._spawn(self._pump_decoded(end, track)))
        self._ends[party] = end

    def detach(self, party: str) -> None:
        end = self._ends.pop(party, None)
        if end is not None:
            end.close()

    def release_threads(self) -> None:
        """End every receiver's decoder thread now (used when the process exits)."""
        for end in self._ends.values():
            for tap in end.taps.values():
                tap.release()

    async def aclose(self) -> None:
        for party in list(self._ends):
            self.detach(party)
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    def _other(self, party: str) -> _End | None:
        return next((end for p, end in self._ends.items() if p != party), None)

    def _spawn(self, coroutine: Coroutine[Any, Any, Any]) -> None:
        task = asyncio.ensure_future(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _frame_handler(
        self, source: _End, kind: str
    ) -> Callable[[RTCRtpCodecParameters, JitterFrame], bool]:
        def on_frame(codec: RTCRtpCodecParameters, frame: JitterFrame) -> bool:
            if self._ends.get(source.party) is not source:
                return False
            recorder = self.recorders.get(source.party)
            if recorder is not None and recorder.feed(
                kind=kind,
                mime=codec.mimeType,
                clock_rate=codec.clockRate,
                data=frame.data,
                timestamp=frame.timestamp,
                source=source,
            ):
                self._request_keyframe(source)
            destination = self._other(source.party)
            out_codec = destination.send_codec(kind) if destination else None
            if destination is None or out_codec is None:
                return False
            if not same_codec(codec, out_codec):
                return True  # fallback: decode; _pump_decoded hands the frames over
            packet = av.Packet(frame.data)
            packet.pts = frame.timestamp
            packet.time_base = time_base(codec.clockRate)
            self.stats.forwarded[kind] += 1
            keyframe = is_keyframe(codec, frame.data)
            track = destination.tracks[kind]
            if track.push(packet, source=source, keyframe=keyframe, clock_rate=codec.clockRate):
                self._request_keyframe(source)
            return False

        return on_frame

    async def _pump_decoded(self, source: _End, track: MediaStreamTrack) -> None:
        """Fallback path: hand decoded frames to the other leg's sender, which encodes."""
        kind = track.kind
        while True:
            try:
                frame = await track.recv()
            except MediaStreamError:
                return
            destination = self._other(source.party)
            if destination is not None and self._ends.get(source.party) is source:
                self.stats.transcoded[kind] += 1
                rate = frame.time_base.denominator if frame.time_base else 1
                destination.tracks[kind].push(frame, source=source, keyframe=True, clock_rate=rate)

    def _forward_keyframe_requests(self, end: _End) -> None:
        sender = end.transceivers["video"].sender
        original = sender._send_keyframe

        def send_keyframe() -> None:
            original()  # still forces a keyframe when this sender encodes (fallback)
            source = self._other(end.party)
            if source is not None:
                self._request_keyframe(source)

        sender._send_keyframe = send_keyframe  # type: ignore[method-assign]

    def request_keyframes(self) -> None:
        """Ask every sending browser for a keyframe now (e.g. a recording starts)."""
        for end in self._ends.values():
            end.last_keyframe_request = 0.0
            self._request_keyframe(end)

    def _request_keyframe(self, source: _End) -> None:
        """Ask ``source``'s browser for a keyframe (RTCP PLI on its video receiver)."""
        now = time.monotonic()
        if now - source.last_keyframe_request < KEYFRAME_REQUEST_INTERVAL:
            return
        source.last_keyframe_request = now
        receiver = source.transceivers["video"].receiver
        for ssrc in receiver.getSynchronizationSources():
            self.stats.keyframe_requests += 1
            self._spawn(receiver._send_rtcp_pli(ssrc.source))
