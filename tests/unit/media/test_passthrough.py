"""The relay in-process: aiortc peers as citizen and clerk through one media session."""

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from typing import Any

import av
import pytest

from signaling.media import passthrough
from signaling.media.session import Session, SessionError
from tests.media_peers import (
    EncoderCalls,
    accept,
    call_peer,
    keyframe_requests,
    offer,
    only_codec,
    peer,
    receiver_peer,
    sender_peer,
    wait_connected,
)

# Frames that prove media flows: a second of video, half a second of audio.
VIDEO_FRAMES, AUDIO_FRAMES = 30, 25


class Notes:
    """Records what the session reports, with a way to wait for a report."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, dict[str, Any]]] = []
        self.changed = asyncio.Condition()

    async def __call__(self, group: str, message: dict[str, Any]) -> None:
        async with self.changed:
            self.sent.append((group, message))
            self.changed.notify_all()

    async def wait_state(self, party: str, state: str) -> None:
        async with self.changed:
            await asyncio.wait_for(
                self.changed.wait_for(
                    lambda: any(m == {**m, "party": party, "state": state} for _g, m in self.sent)
                ),
                20,
            )


@pytest.fixture
async def session() -> AsyncIterator[Session]:
    session = Session(consultation_id=7, ice_servers=[], notify=Notes())
    yield session
    await session.close()


@pytest.fixture
async def peers() -> AsyncIterator[list[Any]]:
    pcs: list[Any] = []
    yield pcs
    for pc in pcs:
        await pc.close()


async def join(session: Session, party: str, pc: Any) -> None:
    answer = await session.accept_offer(party=party, sdp=await offer(pc), reply_group="g")
    await accept(pc, answer)
    await wait_connected(pc)
    notes = session.notify
    assert isinstance(notes, Notes)
    await notes.wait_state(party, "connected")  # the relay's side of the leg too


async def test_frames_flow_through_without_encoding(
    session: Session, peers: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    encoders = EncoderCalls()
    encoders.patch(monkeypatch)
    citizen, camera = sender_peer()
    clerk, seen = receiver_peer()
    peers += [citizen, clerk]
    await join(session, "citizen", citizen)
    await join(session, "clerk", clerk)

    await seen.wait("video", VIDEO_FRAMES)
    await seen.wait("audio", AUDIO_FRAMES)

    relay_pcs = [leg.pc for leg in session.legs.values()]
    assert encoders.of(relay_pcs) == 0  # the relay packetized, never encoded
    assert encoders.of([citizen]) >= VIDEO_FRAMES  # while the citizen's browser encodes
    stats = session.relay.stats
    assert stats.forwarded["video"] >= VIDEO_FRAMES
    assert stats.transcoded == {"audio": 0, "video": 0}
    assert camera.sent >= VIDEO_FRAMES


async def test_both_parties_see_and_hear_each_other(
    session: Session, peers: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    encoders = EncoderCalls()
    encoders.patch(monkeypatch)
    citizen, _, citizen_sees = call_peer()
    clerk, _, clerk_sees = call_peer()
    peers += [citizen, clerk]
    await join(session, "citizen", citizen)
    await join(session, "clerk", clerk)

    for seen in (citizen_sees, clerk_sees):
        await seen.wait("video", VIDEO_FRAMES)
        await seen.wait("audio", AUDIO_FRAMES)
    assert encoders.of([leg.pc for leg in session.legs.values()]) == 0


async def test_late_receiver_gets_a_keyframe_because_the_request_is_forwarded(
    session: Session, peers: list[Any]
) -> None:
    citizen, camera = sender_peer()
    asked = keyframe_requests(citizen)
    peers.append(citizen)
    await join(session, "citizen", citizen)
    # aiortc's VP8 encoder makes a keyframe only at the start and on request (gop 3000).
    await camera.wait_sent(VIDEO_FRAMES)

    clerk, seen = receiver_peer()
    peers.append(clerk)
    joined = time.monotonic()
    await join(session, "clerk", clerk)
    await seen.wait("video", 1, timeout=10)

    assert [t for t in asked if t >= joined], "no keyframe request reached the citizen"
    assert session.relay.stats.keyframe_requests >= 1
    assert seen.first_video_at is not None and seen.first_video_at - joined < 10


async def test_codec_mismatch_falls_back_to_transcoding(
    session: Session, peers: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    encoders = EncoderCalls()
    encoders.patch(monkeypatch)
    citizen, _camera = sender_peer()
    only_codec(citizen, "video", "video/H264")  # e.g. a browser without VP8
    clerk, seen = receiver_peer()
    only_codec(clerk, "video", "video/VP8")
    peers += [citizen, clerk]
    await join(session, "citizen", citizen)
    await join(session, "clerk", clerk)

    await seen.wait("video", VIDEO_FRAMES // 3)
    await seen.wait("audio", AUDIO_FRAMES)

    stats = session.relay.stats
    assert stats.transcoded["video"] >= VIDEO_FRAMES // 3
    assert stats.forwarded["audio"] >= AUDIO_FRAMES  # audio still passes through (Opus)
    assert encoders.of([leg.pc for leg in session.legs.values()]) >= VIDEO_FRAMES // 3


async def test_second_leg_is_offered_the_first_legs_codec_first(
    session: Session, peers: list[Any]
) -> None:
    citizen, _camera = sender_peer()
    only_codec(citizen, "video", "video/H264")
    clerk, seen = receiver_peer()  # offers VP8 first, H264 too
    peers += [citizen, clerk]
    await join(session, "citizen", citizen)
    await join(session, "clerk", clerk)

    await seen.wait("video", 5)
    assert session.relay.stats.transcoded["video"] == 0  # aligned on H264: forwarded


async def test_a_new_offer_replaces_the_leg_and_media_keeps_flowing(
    session: Session, peers: list[Any]
) -> None:
    clerk, seen = receiver_peer()
    first, _ = sender_peer()
    peers += [clerk, first]
    await join(session, "clerk", clerk)
    await join(session, "citizen", first)
    await seen.wait("video", 5)
    old_leg = session.legs["citizen"]

    second, _ = sender_peer()  # the citizen reloaded the page
    peers.append(second)
    await join(session, "citizen", second)
    before = seen.frames["video"]
    await seen.wait("video", before + VIDEO_FRAMES)

    assert session.legs["citizen"] is not old_leg
    assert old_leg.pc.connectionState == "closed"


async def test_hangup_and_close_report_closed_and_release_connections(
    session: Session, peers: list[Any]
) -> None:
    citizen, _ = sender_peer()
    clerk, _ = receiver_peer()
    peers += [citizen, clerk]
    await join(session, "citizen", citizen)
    await join(session, "clerk", clerk)
    legs = dict(session.legs)

    await session.hangup(party="clerk")
    assert set(session.legs) == {"citizen"}
    await session.close()

    assert session.empty
    assert all(leg.pc.connectionState == "closed" for leg in legs.values())
    notes = session.notify
    assert isinstance(notes, Notes)
    closed = [m["party"] for _g, m in notes.sent if m["state"] == "closed"]
    assert sorted(closed) == ["citizen", "clerk"]
    connected = {m["party"] for _g, m in notes.sent if m["state"] == "connected"}
    assert connected == {"citizen", "clerk"}


def test_keyframes_are_recognised() -> None:
    vp8 = passthrough.codec_preferences("video")[0]
    assert vp8.mimeType == "video/VP8"
    assert passthrough.is_keyframe(vp8, b"\x10\x02\x00\x9d\x01\x2a")
    assert not passthrough.is_keyframe(vp8, b"\x31\x02\x00")
    h264 = next(c for c in passthrough.codec_preferences("video") if c.mimeType == "video/H264")
    assert passthrough.is_keyframe(h264, b"\x00\x00\x00\x01\x67\x42\x00\x00\x00\x01\x65\x88")
    assert not passthrough.is_keyframe(h264, b"\x00\x00\x00\x01\x41\x9a")
    opus = passthrough.codec_preferences("audio")[0]
    assert opus.mimeType == "audio/opus" and passthrough.is_keyframe(opus, b"\x01")


def test_the_other_legs_codec_leads_the_preferences() -> None:
    h264 = [c for c in passthrough.codec_preferences("video") if c.mimeType == "video/H264"]
    preferred = passthrough.codec_preferences("video", first=h264[-1])
    assert preferred[0] == h264[-1]
    assert not passthrough.same_codec(h264[0], h264[1])  # another profile is another codec


async def test_an_offer_without_audio_or_video_is_refused(
    session: Session, peers: list[Any]
) -> None:
    pc = peer()
    pc.createDataChannel("chat")
    peers.append(pc)
    with pytest.raises(SessionError) as refused:
        await session.accept_offer(party="citizen", sdp=await offer(pc), reply_group="g")
    assert refused.value.reason == "unsupported_media"
    assert session.empty


async def test_a_broken_offer_leaves_the_current_leg_alone(
    session: Session, peers: list[Any]
) -> None:
    citizen, _ = sender_peer()
    peers.append(citizen)
    await join(session, "citizen", citizen)
    leg = session.legs["citizen"]
    with pytest.raises(SessionError) as refused:
        await session.accept_offer(party="citizen", sdp="v=0\r\nm=nonsense\r\n", reply_group="g")
    assert refused.value.reason == "invalid_sdp"
    assert session.legs["citizen"] is leg and leg.pc.connectionState == "connected"


def packet(pts: int) -> av.Packet:
    item = av.Packet(b"\x01")
    item.pts, item.time_base = pts, passthrough.time_base(48000)
    return item


async def test_timestamps_keep_rising_when_the_other_party_reconnects() -> None:
    track = passthrough.ForwardingTrack("audio")
    started = asyncio.ensure_future(track.recv())  # the sender starts reading
    await asyncio.sleep(0)  # one turn of the loop, so that it is waiting
    old_leg, new_leg = object(), object()
    for pts in (48_000, 48_960):
        track.push(packet(pts), source=old_leg, keyframe=True, clock_rate=48000)
    track.push(packet(0), source=new_leg, keyframe=True, clock_rate=48000)  # restarts at 0
    track.push(packet(960), source=new_leg, keyframe=True, clock_rate=48000)

    sent = [(await started).pts] + [(await track.recv()).pts for _ in range(3)]
    assert sent == [48_000, 48_960, 48_960 + 960, 48_960 + 1920]
    track.stop()


async def test_video_waits_for_a_keyframe_and_asks_for_one() -> None:
    track = passthrough.ForwardingTrack("video")
    assert not track.push(packet(0), source=None, keyframe=False, clock_rate=90000)  # idle
    started = asyncio.ensure_future(track.recv())
    await asyncio.sleep(0)
    assert track.push(packet(1), source=None, keyframe=False, clock_rate=90000)  # ask
    assert not track.push(packet(2), source=None, keyframe=True, clock_rate=90000)
    assert (await started).pts == 2
    track.stop()


async def test_video_from_a_new_source_starts_at_its_keyframe() -> None:
    track = passthrough.ForwardingTrack("video")
    started = asyncio.ensure_future(track.recv())
    await asyncio.sleep(0)
    old_leg, new_leg = object(), object()
    track.push(packet(0), source=old_leg, keyframe=True, clock_rate=90000)
    assert track.push(packet(0), source=new_leg, keyframe=False, clock_rate=90000)  # dropped
    assert not track.push(packet(3000), source=new_leg, keyframe=True, clock_rate=90000)
    assert (await started).pts == 0
    assert (await track.recv()).pts == 90000 // 50  # the keyframe, 20 ms after the last
    track.stop()


async def test_closing_a_session_logs_what_the_relay_forwarded_and_transcoded(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Operators (and the e2e relay test, which reads the worker's log) see whether a call
    was forwarded or had to be transcoded; only counters, nothing about the people."""
    session = Session(consultation_id=7, ice_servers=[], notify=Notes())
    stats = session.relay.stats
    stats.forwarded.update(audio=500, video=300)
    stats.keyframe_requests = 2
    with caplog.at_level(logging.INFO, logger="signaling.media.session"):
        await session.close()
    assert caplog.messages == [
        "media session 7 closed: forwarded audio=500 video=300, transcoded audio=0 video=0, "
        "keyframe requests=2"
    ]
