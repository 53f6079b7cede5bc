"""Websocket consumers: the citizen's chat, the clerk's chat, the clerk's queue.

Each handler decodes one frame, calls one domain function and replies. Log entries carry
sequence numbers; a client sends ``resume`` with the last one it saw and gets the gap.
"""

import asyncio
from typing import Any, ClassVar

from channels.db import database_sync_to_async
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser

from consult import events
from consult.chat import messages
from consult.consultations import log, selectors
from consult.consultations.models import Consultation, Message
from consult.queue import lifecycle, presence, rooms, routing, status, transfers
from consult.queue import selectors as queue_selectors
from consult.staff import selectors as staff_selectors

from . import protocol, sweeper, waiting_rooms
from .base import Coalesced, FrameConsumer, off_thread
from .recording import RecordingMixin
from .socket_leases import holders, leases


class ChatConsumer(RecordingMixin, FrameConsumer):
    """What citizen and clerk share: the log, replay, messages, typing, video signalling."""

    role: ClassVar[str]
    consultation_id: int
    topic_id: int
    state: str
    last_seq = 0  # the newest log entry this socket was sent

    async def join(self, consultation: Consultation) -> None:
        self.consultation_id = consultation.pk
        self.topic_id = consultation.topic_id
        self.state = consultation.state
        await self.channel_layer.group_add(
            events.consultation_group(self.consultation_id), self.channel_name
        )
        await self.accept()
        await self.start_video(consultation)
        await self.send_recording_state()
        sweeper.ensure_sweeping()

    async def disconnect(self, code: int) -> None:
        if hasattr(self, "consultation_id"):
            await self.leave_relay()
            await self.channel_layer.group_discard(
                events.consultation_group(self.consultation_id), self.channel_name
            )

    def author(self) -> AbstractBaseUser | None:
        return None

    async def on_resume(self, frame: protocol.Resume) -> None:
        entries = await database_sync_to_async(selectors.log_since)(
            consultation_id=self.consultation_id, after_seq=frame.last_seq
        )
        for entry in entries:
            await self.send_frame(protocol.ChatMessage(**entry))
        if entries:
            last_seq = entries[-1]["seq"]
            self.state = entries[-1]["state"]
        else:  # the server's number, not the client's claim (which may be ahead of it)
            last_seq = await database_sync_to_async(selectors.last_seq)(self.consultation_id)
        await self.send_frame(protocol.Ready(state=self.state, last_seq=last_seq))

    async def on_message(self, frame: protocol.SendMessage) -> None:
        message, created = await off_thread(messages.post_message)(
            consultation_id=self.consultation_id,
            sender=self.role,
            body=frame.body,
            client_id=frame.client_id,
            author=self.author(),
        )
        if not created:  # a resend: confirm to the sender only, nobody else sees it twice
            confirmed = log.serialize_message(message, state=self.state)
            await self.send_frame(protocol.ChatMessage(**confirmed))

    async def on_typing(self, frame: protocol.Typing) -> None:
        if self.state == Consultation.State.ACTIVE:
            await messages.signal_typing(
                consultation_id=self.consultation_id, sender=self.role, active=frame.active
            )

    async def catch_up(self) -> None:
        """Send the log entries this socket was not sent: the channel layer delivers at most
        once (it drops at capacity), and a dropped entry that no later one follows would stay
        missing until the browser reconnects."""
        entries = await database_sync_to_async(selectors.log_since)(
            consultation_id=self.consultation_id, after_seq=self.last_seq
        )
        for entry in entries:
            await self.chat_message(events.LogEntry(message=entry).as_dict())

    async def chat_message(self, event: dict[str, Any]) -> None:
        message = events.decode(event, events.LogEntry).message
        self.last_seq = max(self.last_seq, message["seq"])
        self.state = message["state"]
        await self.send_frame(protocol.ChatMessage(**message))
        if message["kind"] == Message.Kind.VIDEO:
            await self.video_started()
        elif message["kind"] == Message.Kind.RELAY_MOVED:
            await self.relay_moved()
        elif self.state != Consultation.State.ACTIVE:
            await self.end_relay()

    async def chat_typing(self, event: dict[str, Any]) -> None:
        typing = events.decode(event, events.Typing)
        if typing.sender != self.role:
            await self.send_frame(protocol.TypingNotice(sender=typing.sender, active=typing.active))

    async def citizen_presence(self, event: dict[str, Any]) -> None:
        """Only the clerk's chat shows it."""


# The close code of a citizen socket over the token's cap (docs/protocol.md).
TOO_MANY_SOCKETS = 4029


class CitizenChatConsumer(ChatConsumer):
    """``/ws/citizen/<token>/``: the token in the path is the citizen's only credential."""

    role = Message.Sender.CITIZEN
    accepted_frames = frozenset(
        {
            "resume",
            "message",
            "typing",
            "rtc_invite_answer",
            "rtc_relay_offer",
            "rec_answer",
            "rec_withdraw",
            *protocol.RTC_FRAMES,
        }
    )

    async def connect(self) -> None:
        token = self.scope["url_route"]["kwargs"]["token"]
        consultation = await database_sync_to_async(selectors.consultation_by_token)(token)
        if consultation is None:
            await self.close()
            return
        if not await leases().take(consultation.pk, self.channel_name):
            await self.accept()  # a close code reaches the browser only after the handshake
            await self.close(code=TOO_MANY_SOCKETS)
            return
        self.limit_credential(f"consultation.{consultation.pk}")
        await self.join(consultation)
        if consultation.is_open:
            await off_thread(presence.citizen_connection_changed)(
                consultation_id=consultation.pk,
                connected=True,
                announce=self.state == Consultation.State.ACTIVE,
            )
        # The process's hub tells about queue changes (signaling/waiting_rooms.py); a requeued
        # or transferred citizen waits again, so the citizen stays in it for the whole
        # consultation.
        await waiting_rooms.hub().enter(self.topic_id, self.channel_name, self.room_view)
        await self.send_position(fresh_since=consultation.queued_at.timestamp())

    async def disconnect(self, code: int) -> None:
        # The hub first, the slot last, and the slot also when the rest fails (the channel
        # layer down, say): this process would renew it, and the citizen stay present, for
        # ever.
        try:
            if hasattr(self, "topic_id"):
                await waiting_rooms.hub().leave(self.topic_id, self.channel_name)
            await super().disconnect(code)
        finally:
            last = await leases().give_back(self.channel_name)
        if last:  # the citizen's last socket
            await off_thread(presence.citizen_connection_changed)(
                consultation_id=self.consultation_id,
                connected=False,
                announce=self.state == Consultation.State.ACTIVE,
            )

    async def send_position(self, *, fresh_since: float = 0.0) -> None:
        """This citizen's place, read from the topic's view (consult/queue/rooms.py)."""
        room = await database_sync_to_async(queue_selectors.waiting_room)(
            self.consultation_id, topic_id=self.topic_id, fresh_since=fresh_since
        )
        if room is not None:
            await self.send_frame(protocol.Position(**room))

    async def room_view(self, view: dict[str, Any]) -> None:
        """A new view of the topic's queue, from the hub: forward this citizen's place."""
        if self.state != Consultation.State.WAITING:
            return
        place = rooms.place_in(view, self.consultation_id)
        if place is None:
            # No longer waiting (an entry such as "accepted" is on its way, or was dropped:
            # fetch it), or back in the queue after the view was made (ask for our place).
            await self.catch_up()
            if self.state == Consultation.State.WAITING:
                await self.send_position()
        else:
            await self.send_frame(protocol.Position(**place))

    async def chat_message(self, event: dict[str, Any]) -> None:
        await super().chat_message(event)
        if event["message"]["kind"] == Message.Kind.TRANSFERRED:
            await self.follow_topic()
        if self.state == Consultation.State.WAITING:
            await self.send_position()

    async def follow_topic(self) -> None:
        topic_id = await database_sync_to_async(selectors.topic_of)(self.consultation_id)
        if topic_id is not None and topic_id != self.topic_id:
            await waiting_rooms.hub().leave(self.topic_id, self.channel_name)
            self.topic_id = topic_id
            await waiting_rooms.hub().enter(self.topic_id, self.channel_name, self.room_view)


class ClerkChatConsumer(ChatConsumer):
    """``/ws/clerk/consultations/<id>/``: only the clerk the consultation is assigned to."""

    role = Message.Sender.CLERK
    accepted_frames = frozenset(
        {
            "resume",
            "message",
            "typing",
            "end",
            "transfer_topic",
            "transfer_clerk",
            "rtc_invite",
            "rtc_relay_offer",
            "rec_request",
            "rec_stop",
            "rec_withdraw",
        }
        | protocol.RTC_FRAMES
    )

    async def connect(self) -> None:
        user = self.scope.get("user")
        consultation_id = int(self.scope["url_route"]["kwargs"]["consultation_id"])
        consultation = None
        if user is not None and user.is_authenticated:
            consultation = await database_sync_to_async(selectors.clerk_consultation)(
                consultation_id=consultation_id, clerk=user
            )
        if consultation is None:
            await self.close()
            return
        self.limit_credential(f"staff.{self.user().pk}")
        await self.follow_access()
        await self.join(consultation)
        connected = bool(await asyncio.to_thread(holders, consultation.pk))
        await self.send_frame(protocol.Presence(connected=connected))

    async def disconnect(self, code: int) -> None:
        await self.leave_access()
        await super().disconnect(code)

    def author(self) -> AbstractBaseUser | None:
        return self.user()

    async def chat_message(self, event: dict[str, Any]) -> None:
        await super().chat_message(event)
        if event["message"]["kind"] in (Message.Kind.REQUEUED, Message.Kind.TRANSFERRED):
            await self.close()  # it went to the queue or a colleague: no longer this clerk's

    async def chat_typing(self, event: dict[str, Any]) -> None:
        if self.state == Consultation.State.ACTIVE:
            await super().chat_typing(event)

    async def citizen_presence(self, event: dict[str, Any]) -> None:
        connected = events.decode(event, events.CitizenPresence).connected
        await self.send_frame(protocol.Presence(connected=connected))

    async def on_end(self, frame: protocol.End) -> None:
        consultation = await database_sync_to_async(lifecycle.end_consultation)(
            consultation_id=self.consultation_id, clerk=self.user(), outcome=frame.outcome
        )
        await self.send_frame(protocol.Closed(outcome=consultation.outcome))

    async def on_transfer_topic(self, frame: protocol.TransferTopic) -> None:
        await database_sync_to_async(transfers.transfer_to_topic)(
            consultation_id=self.consultation_id, clerk=self.user(), topic_slug=frame.topic
        )
        await self.send_frame(protocol.Closed(outcome="transferred"))

    async def on_transfer_clerk(self, frame: protocol.TransferClerk) -> None:
        await database_sync_to_async(transfers.transfer_to_clerk)(
            consultation_id=self.consultation_id, clerk=self.user(), target_id=frame.clerk
        )
        await self.send_frame(protocol.Closed(outcome="transferred"))


class ClerkQueueConsumer(FrameConsumer):
    """``/ws/clerk/queue/``: the live list of waiting consultations, status, accept."""

    accepted_frames = frozenset({"set_status", "accept", "decline"})
    groups_joined: list[str]
    heartbeat: asyncio.Task[None] | None = None

    async def connect(self) -> None:
        self.groups_joined = []
        self.snapshots = Coalesced(self.send_snapshot)
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close()
            return
        profile = await database_sync_to_async(staff_selectors.clerk_profile)(user)
        if profile is None:
            await self.close()
            return
        topic_ids = await database_sync_to_async(staff_selectors.clerk_topic_ids)(user)
        self.groups_joined = [events.topic_group(t) for t in topic_ids]
        self.groups_joined += [events.clerk_group(user.pk), events.staff_group(user.pk)]
        for group in self.groups_joined:
            await self.channel_layer.group_add(group, self.channel_name)
        # Present (and dispatched for) before the socket opens, so that whoever sees it open
        # sees a console routing already counts.
        await off_thread(status.console_connected)(clerk=user)
        await self.accept()
        await self.send_snapshot()
        touch = off_thread(status.touch_presence)
        self.heartbeat = asyncio.get_running_loop().create_task(
            sweeper.every(
                settings.QUEUE_HEARTBEAT_SECONDS, lambda: touch(clerk=user), "console heartbeat"
            )
        )
        sweeper.ensure_sweeping()

    async def disconnect(self, code: int) -> None:
        # The clerk's consultations stay theirs for the grace period (a reload or a short
        # network loss); the sweep gives them back when the heartbeat stays silent.
        if self.heartbeat is not None:
            self.heartbeat.cancel()
        self.snapshots.cancel()
        for group in self.groups_joined:
            await self.channel_layer.group_discard(group, self.channel_name)

    async def send_snapshot(self) -> None:
        snapshot = await database_sync_to_async(queue_selectors.console_snapshot)(self.user())
        await self.send_frame(protocol.QueueSnapshot(**snapshot))

    async def on_set_status(self, frame: protocol.SetStatus) -> None:
        await off_thread(status.set_status)(clerk=self.user(), status=frame.status)

    async def on_accept(self, frame: protocol.Accept) -> None:
        consultation = await off_thread(routing.accept)(
            consultation_id=frame.consultation, clerk=self.user()
        )
        await self.send_frame(protocol.Accepted(consultation=consultation.pk))

    async def on_decline(self, frame: protocol.Decline) -> None:
        await off_thread(routing.decline_offer)(
            consultation_id=frame.consultation, clerk=self.user()
        )

    async def queue_changed(self, event: dict[str, Any]) -> None:
        self.snapshots.request()

    async def clerk_status(self, event: dict[str, Any]) -> None:
        self.snapshots.request()

    async def clerk_assigned(self, event: dict[str, Any]) -> None:
        self.snapshots.request()


class WallboardConsumer(FrameConsumer):
    """``/ws/wallboard/``: managers only; a fresh board after every change."""

    async def connect(self) -> None:
        self.boards = Coalesced(self.send_board)
        user = self.scope.get("user")
        allowed = user is not None and await database_sync_to_async(
            staff_selectors.can_view_statistics
        )(user)
        if not allowed:
            await self.close()
            return
        await self.follow_access()
        await self.channel_layer.group_add(events.WALLBOARD_GROUP, self.channel_name)
        await self.accept()
        await self.send_board()
        sweeper.ensure_sweeping()

    async def disconnect(self, code: int) -> None:
        self.boards.cancel()
        await self.leave_access()
        await self.channel_layer.group_discard(events.WALLBOARD_GROUP, self.channel_name)

    async def send_board(self) -> None:
        board = await database_sync_to_async(queue_selectors.wallboard)()
        await self.send_frame(protocol.Wallboard(**board))

    async def wallboard_changed(self, event: dict[str, Any]) -> None:
        self.boards.request()
