"""Video call signalling on the consultation's chat socket.

Peer-to-peer: offer, answer and trickled candidates go to the other party of the same
consultation only, through the consultation's group. Nothing is stored: a party that
reconnects sends ``rtc_ready`` again and the call is negotiated anew. The media relay mode
talks to the media worker instead (signaling/media/).

Who decides what: the domain (consult/queue/video.py) decides the invitation, the answer and
whether a call may start (``rtc_ready``, ``rtc_offer``, ``rtc_relay_offer`` ask it). The
frequent frames of a running call (``rtc_answer``, ``rtc_candidate``, ``rtc_hangup``,
``rtc_use_relay``) are checked against the state and channel this consumer learnt from the
log frames (each carries the state the domain computed, ``Message.state_after``), so that a
call does not cost a database query per ICE candidate.
"""

import dataclasses
from typing import Any, ClassVar

from channels.db import database_sync_to_async
from django.conf import settings

from consult import events
from consult.consultations.models import Consultation, Message
from consult.queue import video

from . import ice, protocol
from .base import FrameConsumer
from .media import client as media_client


class VideoCallMixin(FrameConsumer):
    """For the chat consumers: ``role`` is the party, the consultation is joined."""

    role: ClassVar[str]
    consultation_id: int
    state: str  # from the log frames (ChatConsumer.chat_message), for the frequent frames
    channel: str = Consultation.Channel.CHAT
    media_mode: str = "p2p"
    uses_relay: bool = False  # this party has a leg at the media worker

    async def start_video(self, consultation: Consultation) -> None:
        self.channel = consultation.channel
        self.media_mode = ice.media_mode(consultation.topic.media_mode)
        if self.channel == Consultation.Channel.VIDEO:
            await self.send_rtc_config()
        elif self.role == Message.Sender.CITIZEN and video.invitation_open(consultation):
            await self.send_frame(protocol.RtcInvite())  # a reload shows the question again

    async def send_rtc_config(self) -> None:
        """Hands this party its ICE configuration (short-lived TURN credentials included)."""
        await self.send_frame(
            protocol.RtcConfig(
                mode=self.media_mode,
                ice_servers=ice.ice_servers(label=f"c{self.consultation_id}{self.role[:2]}"),
                ice_transport_policy="relay" if settings.RTC_FORCE_RELAY else "all",
                p2p_timeout=settings.RTC_P2P_TIMEOUT_SECONDS,
            )
        )

    def check_in_call(self) -> None:
        """For the frequent frames: what the log frames said (no database query)."""
        if self.channel != Consultation.Channel.VIDEO:
            raise protocol.ClientError("not_video", "This is not a video consultation.")
        if self.state != Consultation.State.ACTIVE:
            raise protocol.ClientError("not_active", "The consultation is not active.")

    async def check_call_allowed(self) -> None:
        """For the start of a call: the domain decides, from the database."""
        await database_sync_to_async(video.ensure_call_allowed)(
            consultation_id=self.consultation_id
        )

    async def forward_to_other_party(self, frame: protocol.Frame) -> None:
        self.check_in_call()
        await self.send_to_other_party(frame)

    async def start_call(self, frame: protocol.Frame) -> None:
        await self.check_call_allowed()
        await self.send_to_other_party(frame)

    async def send_to_other_party(self, frame: protocol.Frame) -> None:
        # The wire shape of ``rtc.signal`` (the receiving consumer rebuilds the frame from
        # ``frame`` and ``fields`` with protocol.SERVER_FRAMES; see rtc_signal).
        fields = dataclasses.asdict(frame)
        await events.publish_now(
            events.consultation_group(self.consultation_id),
            events.RtcSignal(sender=self.role, frame=frame.type, fields=fields),
        )

    on_rtc_ready = on_rtc_offer = start_call
    on_rtc_answer = on_rtc_candidate = on_rtc_use_relay = forward_to_other_party

    async def on_rtc_hangup(self, frame: protocol.RtcHangup) -> None:
        await self.forward_to_other_party(frame)
        await self.leave_relay()

    # --- Server relay: this party's leg at the media worker (docs/media.md).

    async def on_rtc_relay_offer(self, frame: protocol.RtcRelayOffer) -> None:
        await self.check_call_allowed()
        self.uses_relay = True
        await self.to_media_worker(
            "media.offer",
            party=self.role,
            sdp=frame.sdp,
            reply_group=events.consultation_group(self.consultation_id),
        )

    async def leave_relay(self) -> None:
        if self.uses_relay:
            self.uses_relay = False
            await self.to_media_worker("media.hangup", party=self.role)

    async def end_relay(self) -> None:
        """The consultation ended or left this clerk: the whole relay session closes."""
        if self.uses_relay:
            self.uses_relay = False
            await self.to_media_worker("media.close")

    async def to_media_worker(self, kind: str, **fields: Any) -> None:
        try:
            await media_client.send_to_worker(
                consultation_id=self.consultation_id,
                message={"type": kind, "consultation": self.consultation_id, **fields},
            )
        except media_client.NoWorker as error:
            raise protocol.ClientError(
                "relay_unavailable", "No media worker is running."
            ) from error

    async def relay_moved(self) -> None:
        """The log says the relay's worker died and the call moved to another worker: a
        party on the relay connects anew (a new offer, placed on the new worker)."""
        if self.uses_relay:
            await self.send_frame(protocol.RtcUseRelay())

    async def media_answer(self, event: dict[str, Any]) -> None:
        if event["party"] == self.role:
            await self.send_frame(protocol.RtcRelayAnswer(sdp=event["sdp"]))

    async def media_state(self, event: dict[str, Any]) -> None:
        if event["party"] == self.role:
            await self.send_frame(protocol.RtcRelayState(state=event["state"]))

    async def media_failed(self, event: dict[str, Any]) -> None:
        if event["party"] == self.role:
            await self.send_frame(protocol.Error(code="relay_failed", detail=event["reason"]))

    async def on_rtc_invite(self, frame: protocol.RtcInvite) -> None:
        """Clerk only: the domain records the invitation (or refuses it); the citizen is
        asked."""
        await database_sync_to_async(video.invite_to_video)(
            consultation_id=self.consultation_id, clerk=self.user()
        )
        await self.send_to_other_party(frame)

    async def on_rtc_invite_answer(self, frame: protocol.RtcInviteAnswer) -> None:
        """Citizen only: the domain refuses an answer without an open invitation
        (``not_invited``). Yes switches the consultation (its ``video`` log entry tells both
        parties); no is passed on to the clerk."""
        await database_sync_to_async(video.answer_video_invitation)(
            consultation_id=self.consultation_id, accept=frame.accept
        )
        if not frame.accept:
            await self.send_to_other_party(frame)

    async def video_started(self) -> None:
        """The log says the chat became a video call: the call can start."""
        if self.channel != Consultation.Channel.VIDEO:
            self.channel = Consultation.Channel.VIDEO
            await self.send_rtc_config()

    async def rtc_signal(self, message: dict[str, Any]) -> None:
        event = events.decode(message, events.RtcSignal)
        if event.sender != self.role:
            await self.send_frame(protocol.SERVER_FRAMES[event.frame](**event.fields))
