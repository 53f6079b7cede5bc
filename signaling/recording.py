"""Recording with consent on the consultation's chat socket (docs/protocol.md, "Recording").

The consumer decodes the frame and calls one domain function (consult/recording/recordings.py); the
media worker is told to start, stop or discard. A running recording needs the server relay:
both parties are told to switch to it (``rtc_use_relay``).
"""

from typing import Any

from channels.db import database_sync_to_async

from consult import events
from consult.recording import recordings, selectors
from consult.recording.models import Recording

from . import protocol
from .videocall import VideoCallMixin


class RecordingMixin(VideoCallMixin):
    holds_recording: bool = False  # this consumer started a recording at the media worker

    async def send_recording_state(self) -> None:
        """On connect: a recording asked for or running shows at once (consent dialog or
        indicator)."""
        running = await database_sync_to_async(selectors.running_recording)(self.consultation_id)
        if running is not None:
            changed = events.RecordingChanged(recording=recordings.serialize_recording(running))
            await self.recording_changed(changed.as_dict())

    async def on_rec_request(self, frame: protocol.RecRequest) -> None:
        self.check_in_call()
        await database_sync_to_async(recordings.request_recording)(
            consultation_id=self.consultation_id, clerk=self.user(), purpose=frame.purpose
        )

    async def on_rec_answer(self, frame: protocol.RecAnswer) -> None:
        recording = await database_sync_to_async(recordings.answer_recording)(
            consultation_id=self.consultation_id,
            recording_id=frame.recording,
            consent=frame.consent,
        )
        if recording.state == Recording.State.RECORDING:
            self.holds_recording = True
            await self.to_media_worker(
                "media.record_start",
                recording=recording.pk,
                reply_group=events.consultation_group(self.consultation_id),
            )

    async def on_rec_stop(self, frame: protocol.RecStop) -> None:
        await database_sync_to_async(recordings.stop_recording)(
            consultation_id=self.consultation_id, recording_id=frame.recording, clerk=self.user()
        )
        await self.to_media_worker("media.record_stop", recording=frame.recording)

    async def on_rec_withdraw(self, frame: protocol.RecWithdraw) -> None:
        await database_sync_to_async(recordings.withdraw_recording)(
            consultation_id=self.consultation_id, recording_id=frame.recording, party=self.role
        )
        await self.to_media_worker("media.record_discard", recording=frame.recording)

    async def end_relay(self) -> None:
        """The call ends: a session that holds a recording closes too (which finishes and
        reports the files), even if this party never had a leg there."""
        if self.holds_recording:
            self.holds_recording, self.uses_relay = False, True
        await super().end_relay()

    async def recording_changed(self, event: dict[str, Any]) -> None:
        state = protocol.RecState(**events.decode(event, events.RecordingChanged).recording)
        await self.send_frame(state)
        if state.state == Recording.State.RECORDING and not self.uses_relay:
            await self.send_frame(protocol.RtcUseRelay())  # recording is done by the relay

    async def media_recorded(self, event: dict[str, Any]) -> None:
        """The worker finished the files (both parties' consumers get this: idempotent)."""
        await database_sync_to_async(recordings.register_recording_files)(
            recording_id=event["recording"], files=event["files"]
        )
