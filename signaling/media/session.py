"""One consultation on the media worker: a leg per party, media forwarded between them."""

import asyncio
import dataclasses
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiortc import RTCConfiguration, RTCIceServer, RTCPeerConnection, RTCSessionDescription
from aiortc import sdp as aiortc_sdp

from . import messages
from .passthrough import PassThroughRelay
from .recorder import PartyRecorder, RecordedFile

logger = logging.getLogger(__name__)

Notify = Callable[[str, dict[str, Any]], Awaitable[None]]
# aiortc's connection states as the contract names them ("new" is not reported).
REPORTED_STATES = {"connecting", "connected", "failed", "closed"}


class SessionError(Exception):
    """An offer the worker cannot answer; ``reason`` is the ``media.failed`` code."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def check_offer(sdp: str) -> None:
    """Refuse an offer aiortc cannot parse or that carries neither audio nor video."""
    try:
        description = aiortc_sdp.SessionDescription.parse(sdp)
    except Exception as error:  # the parser raises ValueError, IndexError, KeyError, ...
        raise SessionError("invalid_sdp") from error
    if not description.media:
        raise SessionError("invalid_sdp")
    if not any(media.kind in ("audio", "video") for media in description.media):
        raise SessionError("unsupported_media")


@dataclass(eq=False)
class Leg:
    party: str
    pc: RTCPeerConnection
    reply_group: str


class Session:
    """Two legs, "citizen" and "clerk", each its own ``RTCPeerConnection``.

    Every leg sends audio and video from the start (tracks fed by the other party's incoming
    media once it arrives), so the second party joining needs no renegotiation of the first.
    A new offer from a party replaces that party's leg.
    """

    def __init__(
        self, *, consultation_id: int, ice_servers: list[RTCIceServer], notify: Notify
    ) -> None:
        self.consultation_id = consultation_id
        self.ice_servers = ice_servers
        self.notify = notify
        self.legs: dict[str, Leg] = {}
        self.relay = PassThroughRelay()
        # The running recording: its id and where to report the files when it ends.
        self.recording: tuple[int, str] | None = None

    async def accept_offer(self, *, party: str, sdp: str, reply_group: str) -> str:
        """Create (or replace) ``party``'s leg from its offer and return the answer SDP.

        An offer that does not parse, or has neither audio nor video, leaves the party's
        current leg alone; one that fails later (no codec in common) has replaced it.
        """
        check_offer(sdp)
        await self.hangup(party=party, notify=False)
        pc = RTCPeerConnection(RTCConfiguration(iceServers=list(self.ice_servers)))
        leg = Leg(party=party, pc=pc, reply_group=reply_group)
        self.legs[party] = leg
        pc.on("connectionstatechange", lambda: self._report_state(leg))
        self.relay.attach(party, pc)
        try:
            await pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="offer"))
        except Exception as error:  # OperationError (no common codec), ValueError, ...
            await self._drop(leg)
            unsupported = type(error).__name__ == "OperationError"
            raise SessionError("unsupported_media" if unsupported else "invalid_sdp") from error
        await pc.setLocalDescription(await pc.createAnswer())
        return str(pc.localDescription.sdp)

    async def hangup(self, *, party: str, notify: bool = True) -> None:
        leg = self.legs.get(party)
        if leg is None:
            return
        await self._drop(leg)
        if notify:
            await self._send_state(leg, "closed")

    async def close(self) -> None:
        """Close both legs; a running recording is finished and reported first."""
        await self.stop_recording()
        for party in list(self.legs):
            await self.hangup(party=party)
        await self.relay.aclose()
        stats = self.relay.stats
        logger.info(
            "media session %s closed: forwarded audio=%d video=%d, transcoded audio=%d "
            "video=%d, keyframe requests=%d",
            self.consultation_id,
            stats.forwarded["audio"],
            stats.forwarded["video"],
            stats.transcoded["audio"],
            stats.transcoded["video"],
            stats.keyframe_requests,
        )

    # --- Recording (recorder.py): each party's media to <directory>/<party>.webm.

    def start_recording(
        self, *, recording_id: int, directory: Path, relative_dir: str, reply_group: str
    ) -> None:
        """Start recording both parties (a party who joins later is recorded from then)."""
        if self.recording is not None:
            if self.recording[0] == recording_id:
                return  # a repeated command
            raise SessionError("recording_running")
        self.relay.recorders = {
            party: PartyRecorder(
                directory=directory,
                relative_dir=relative_dir,
                party=party,
                consultation_id=self.consultation_id,
                recording_id=recording_id,
            )
            for party in messages.PARTIES
        }
        self.recording = (recording_id, reply_group)
        self.relay.request_keyframes()

    async def stop_recording(self, *, recording_id: int | None = None) -> list[RecordedFile]:
        """Finish the files (in threads) and report them to the recording's reply group."""
        if self.recording is None or recording_id not in (None, self.recording[0]):
            return []
        running, reply_group = self.recording
        recorders, self.recording, self.relay.recorders = self.relay.recorders, None, {}
        files = await asyncio.gather(*(asyncio.to_thread(r.finish) for r in recorders.values()))
        report = messages.recorded(
            consultation=self.consultation_id,
            recording=running,
            files=[dataclasses.asdict(f) for f in files if f.size_bytes],
        )
        try:
            await self.notify(reply_group, report)
        except Exception:
            logger.exception("media session: recording report failed")
        return list(files)

    async def discard_recording(self, *, recording_id: int) -> None:
        """Consent withdrawn: stop and delete what was written."""
        if self.recording is None or self.recording[0] != recording_id:
            return
        recorders, self.recording, self.relay.recorders = self.relay.recorders, None, {}
        await asyncio.gather(*(asyncio.to_thread(r.discard) for r in recorders.values()))

    @property
    def empty(self) -> bool:
        return not self.legs

    async def _drop(self, leg: Leg) -> None:
        if self.legs.get(leg.party) is leg:
            del self.legs[leg.party]
            self.relay.detach(leg.party)
        await leg.pc.close()

    async def _report_state(self, leg: Leg) -> None:
        value = leg.pc.connectionState
        if self.legs.get(leg.party) is not leg or value not in REPORTED_STATES:
            return  # a replaced or hung-up leg reports nothing more
        await self._send_state(leg, value)
        if value == "failed":
            await self._drop(leg)

    async def _send_state(self, leg: Leg, value: str) -> None:
        message = messages.state(consultation=self.consultation_id, party=leg.party, value=value)
        try:
            await self.notify(leg.reply_group, message)
        except Exception:
            logger.exception("media session: state report failed")
