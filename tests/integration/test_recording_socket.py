"""Recording with consent over the consultation's websockets, with the media worker in this
process and aiortc peers standing in for the browsers."""

import asyncio
from pathlib import Path

import av
import pytest
from channels.db import database_sync_to_async

from consult.recording.models import Recording, RecordingFile

from .conftest import eventually, receive, receive_until, send
from .test_video_signalling import clerk, media_worker, open_both, start  # noqa: F401

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


@pytest.fixture(autouse=True)
def recordings_dir(settings, tmp_path):
    settings.RECORDINGS_DIR = tmp_path / "recordings"
    return settings.RECORDINGS_DIR


async def join_relay(ws, pc):
    from tests.media_peers import accept, offer, wait_connected

    await send(ws, type="rtc_relay_offer", sdp=await offer(pc))
    answer = await receive_until(ws, "rtc_relay_answer", timeout=20)
    await accept(pc, answer["sdp"])
    await wait_connected(pc)


async def relay_call(*sockets):
    """Each party (an aiortc peer sending video) on the relay; (peer, what it sees) each."""
    from tests.media_peers import call_peer

    parties = []
    for ws in sockets:
        pc, _video, sees = call_peer()
        await join_relay(ws, pc)
        parties.append((pc, sees))
    return parties


async def receive_state(ws, state, timeout=5):
    """Skip earlier recording states (e.g. "stopped" twice: stop, then the files)."""
    while (frame := await receive_until(ws, "rec_state", timeout))["state"] != state:
        pass
    return frame


async def wait_for(predicate, timeout=20):
    for _ in range(int(timeout / 0.05)):
        if await database_sync_to_async(predicate)():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("condition not reached")


async def end_call(clerk_ws, citizen, media_worker, *peers):  # noqa: F811
    """The clerk ends the consultation; the relay session goes, the peers and sockets close."""
    await send(clerk_ws, type="end", outcome="resolved")
    await receive_until(clerk_ws, "closed")
    await eventually(lambda: len(media_worker) == 0)
    for pc in peers:
        await pc.close()
    await citizen.disconnect()
    await clerk_ws.disconnect()


async def test_a_consented_recording_records_both_parties_and_withdrawal_deletes_it(
    topic,
    clerk,  # noqa: F811
    media_worker,  # noqa: F811
    recordings_dir,
):
    consultation = await start(topic, clerk)
    citizen, clerk_ws, _ = await open_both(consultation, clerk)
    await send(clerk_ws, type="rec_request", purpose="Nachweis")
    asked = await receive_until(citizen, "rec_state")
    assert asked["state"] == "requested" and asked["purpose"] == "Nachweis"
    assert asked["clerk_consented"] and not asked["citizen_consented"]
    assert (await receive_until(clerk_ws, "rec_state"))["state"] == "requested"
    assert not recordings_dir.exists()  # nothing recorded before the citizen's yes

    await send(citizen, type="rec_answer", recording=asked["recording"], consent=True)
    for ws in (citizen, clerk_ws):
        assert (await receive_until(ws, "rec_state"))["state"] == "recording"
        assert (await receive(ws))["type"] == "rtc_use_relay"  # recording needs the relay

    (citizen_pc, citizen_sees), (clerk_pc, clerk_sees) = await relay_call(citizen, clerk_ws)
    await clerk_sees.wait("video", 60)
    await citizen_sees.wait("video", 60)

    await send(clerk_ws, type="rec_stop", recording=asked["recording"])
    recording_id = asked["recording"]
    await wait_for(lambda: RecordingFile.objects.filter(recording_id=recording_id).count() == 2)
    stopped = await database_sync_to_async(Recording.objects.get)(pk=recording_id)
    assert stopped.state == "stopped" and stopped.size_bytes > 0
    for party in ("citizen", "clerk"):
        path = Path(recordings_dir) / str(recording_id) / f"{party}.webm"
        with av.open(str(path)) as container:
            frames = sum(1 for _ in container.decode(video=0))
        assert frames >= 20

    await send(citizen, type="rec_withdraw", recording=recording_id)
    withdrawn = await receive_state(clerk_ws, "withdrawn")
    assert withdrawn["recording"] == recording_id
    await wait_for(lambda: not RecordingFile.objects.filter(recording_id=recording_id).exists())
    await eventually(lambda: not (Path(recordings_dir) / str(recording_id)).exists())
    await end_call(clerk_ws, citizen, media_worker, citizen_pc, clerk_pc)


async def test_no_means_nothing_is_recorded(topic, clerk):  # noqa: F811
    consultation = await start(topic, clerk)
    citizen, clerk_ws, _ = await open_both(consultation, clerk)
    await send(clerk_ws, type="rec_request", purpose="Nachweis")
    asked = await receive_until(citizen, "rec_state")
    await send(citizen, type="rec_answer", recording=asked["recording"], consent=False)
    await receive_state(clerk_ws, "declined")
    assert not await database_sync_to_async(Recording.objects.filter(state="recording").exists)()
    await citizen.disconnect()
    await clerk_ws.disconnect()


async def test_the_roles_cannot_speak_for_each_other(topic, clerk):  # noqa: F811
    consultation = await start(topic, clerk)
    citizen, clerk_ws, _ = await open_both(consultation, clerk)
    await send(citizen, type="rec_request", purpose="Ich nehme auf")
    assert (await receive_until(citizen, "error"))["code"] == "unknown_type"
    await send(clerk_ws, type="rec_request", purpose="Nachweis")
    asked = await receive_until(clerk_ws, "rec_state")
    await send(clerk_ws, type="rec_answer", recording=asked["recording"], consent=True)
    assert (await receive_until(clerk_ws, "error"))["code"] == "unknown_type"
    recording = await database_sync_to_async(Recording.objects.get)()
    assert recording.state == "requested"
    await citizen.disconnect()
    await clerk_ws.disconnect()


async def test_a_reconnecting_party_sees_the_running_recording(topic, clerk):  # noqa: F811
    from .conftest import connect

    consultation = await start(topic, clerk)
    citizen, clerk_ws, _ = await open_both(consultation, clerk)
    await send(clerk_ws, type="rec_request", purpose="Nachweis")
    await receive_until(citizen, "rec_state")
    await citizen.disconnect()
    again, _ = await connect(f"/ws/citizen/{consultation.public_token}/")
    state = await receive_until(again, "rec_state")
    assert state["state"] == "requested" and state["purpose"] == "Nachweis"
    await again.disconnect()
    await clerk_ws.disconnect()


async def test_ending_the_consultation_while_recording_keeps_the_files(
    topic,
    clerk,  # noqa: F811
    media_worker,  # noqa: F811
    recordings_dir,
):
    consultation = await start(topic, clerk)
    citizen, clerk_ws, _ = await open_both(consultation, clerk)
    await send(clerk_ws, type="rec_request", purpose="Nachweis")
    asked = await receive_until(citizen, "rec_state")
    await send(citizen, type="rec_answer", recording=asked["recording"], consent=True)
    (citizen_pc, _), (clerk_pc, clerk_sees) = await relay_call(citizen, clerk_ws)
    await clerk_sees.wait("video", 45)

    await send(clerk_ws, type="end", outcome="resolved")
    recording_id = asked["recording"]
    await wait_for(lambda: RecordingFile.objects.filter(recording_id=recording_id).count() == 2)
    recording = await database_sync_to_async(Recording.objects.get)(pk=recording_id)
    assert recording.state == "stopped" and recording.stopped_at is not None
    assert (await receive_state(citizen, "stopped"))["recording"] == recording_id
    await eventually(lambda: len(media_worker) == 0)
    for pc in (citizen_pc, clerk_pc):
        await pc.close()
    await citizen.disconnect()
    await clerk_ws.disconnect()


async def test_files_whose_live_report_is_lost_are_registered_by_the_reconciler(
    topic,
    clerk,  # noqa: F811
    media_worker,  # noqa: F811
    recordings_dir,
    monkeypatch,
):
    """The worker's ``media.recorded`` event reaches no consumer (as when nobody is
    connected, or Redis restarts): the manifests beside the files get them registered."""
    from consult.recording.reconcile import reconcile_recordings
    from signaling.recording import RecordingMixin

    dropped: list[int] = []

    async def drop(self, event):
        dropped.append(event["recording"])

    monkeypatch.setattr(RecordingMixin, "media_recorded", drop)
    consultation = await start(topic, clerk)
    citizen, clerk_ws, _ = await open_both(consultation, clerk)
    await send(clerk_ws, type="rec_request", purpose="Nachweis")
    asked = await receive_until(citizen, "rec_state")
    recording_id = asked["recording"]
    await send(citizen, type="rec_answer", recording=recording_id, consent=True)
    (citizen_pc, _), (clerk_pc, clerk_sees) = await relay_call(citizen, clerk_ws)
    await clerk_sees.wait("video", 45)

    await send(clerk_ws, type="rec_stop", recording=recording_id)
    await eventually(lambda: recording_id in dropped, timeout=20)  # the report is lost
    assert not await database_sync_to_async(RecordingFile.objects.exists)()

    first = await database_sync_to_async(reconcile_recordings)()
    assert first.registered == 2 and first.refused == 0
    second = await database_sync_to_async(reconcile_recordings)()
    assert second.registered == 0 and second.already == 2
    files = await database_sync_to_async(list)(
        RecordingFile.objects.filter(recording_id=recording_id).order_by("party")
    )
    assert [f.party for f in files] == ["citizen", "clerk"]
    for registered in files:
        assert registered.size_bytes == (Path(recordings_dir) / registered.path).stat().st_size
    recording = await database_sync_to_async(Recording.objects.get)(pk=recording_id)
    assert recording.state == "stopped" and recording.size_bytes > 0

    await end_call(clerk_ws, citizen, media_worker, citizen_pc, clerk_pc)
