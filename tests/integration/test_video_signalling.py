"""Video call signalling between citizen and clerk over the consultation's websockets."""

import base64
import hashlib
import hmac
import time

import pytest
from channels.db import database_sync_to_async

from consult.chat import messages
from consult.queue import lifecycle, routing

from .conftest import (
    connect,
    connect_both,
    eventually,
    frames_before,
    receive,
    receive_until,
    send,
)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]

OFFER_SDP = (
    "v=0\r\no=- 4611731400430051336 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
    "a=group:BUNDLE 0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\nc=IN IP4 0.0.0.0\r\n"
    "a=mid:0\r\na=sendrecv\r\na=rtpmap:96 VP8/90000\r\n"
)
CANDIDATE = "candidate:1 1 udp 2122260223 192.0.2.10 54321 typ host generation 0"


async def start(topic, clerk, channel="video"):
    consultation = await database_sync_to_async(lifecycle.start_consultation)(
        topic_slug=topic.slug, channel=channel
    )
    await database_sync_to_async(routing.accept)(consultation_id=consultation.pk, clerk=clerk)
    return consultation


async def open_both(consultation, clerk):
    """Connects both parties; returns their sockets and the rtc_config each got."""
    citizen, clerk_ws, before_ready = await connect_both(consultation, clerk)
    configs = [next(f for f in frames if f["type"] == "rtc_config") for frames in before_ready]
    return citizen, clerk_ws, configs


@pytest.fixture
async def clerk(topic, make_clerk):
    return await database_sync_to_async(make_clerk)("anna", [topic])


async def test_both_parties_get_an_ice_configuration_without_third_party_servers(topic, clerk):
    consultation = await start(topic, clerk)
    citizen, clerk_ws, configs = await open_both(consultation, clerk)
    for config in configs:
        assert config == {
            "type": "rtc_config",
            "mode": "p2p",
            "ice_servers": [],
            "ice_transport_policy": "all",
            "p2p_timeout": 8.0,
        }
    await citizen.disconnect()
    await clerk_ws.disconnect()


async def test_turn_credentials_are_short_lived_hmacs_per_party(topic, clerk, settings):
    settings.RTC_TURN_URLS = ["turn:turn.example.org:3478?transport=udp"]
    settings.RTC_TURN_SECRET = "s3cret"
    settings.RTC_TURN_TTL_SECONDS = 600
    settings.RTC_FORCE_RELAY = True
    consultation = await start(topic, clerk)
    before = int(time.time())
    citizen, clerk_ws, configs = await open_both(consultation, clerk)
    usernames = set()
    for config in configs:
        assert config["ice_transport_policy"] == "relay"
        (server,) = config["ice_servers"]
        assert server["urls"] == ["turn:turn.example.org:3478?transport=udp"]
        expiry, _, label = server["username"].partition(":")
        assert before + 600 <= int(expiry) <= int(time.time()) + 600
        assert label and "anna" not in label.lower()  # no personal data in the username
        expected = hmac.new(b"s3cret", server["username"].encode(), hashlib.sha1).digest()
        assert base64.b64decode(server["credential"]) == expected
        usernames.add(server["username"])
    assert len(usernames) == 2  # each party has credentials of its own
    await citizen.disconnect()
    await clerk_ws.disconnect()


async def test_topic_can_choose_the_server_relay(topic, clerk):
    topic.media_mode = "relay"
    await database_sync_to_async(topic.save)()
    consultation = await start(topic, clerk)
    citizen, clerk_ws, configs = await open_both(consultation, clerk)
    assert [c["mode"] for c in configs] == ["relay", "relay"]
    await citizen.disconnect()
    await clerk_ws.disconnect()


async def test_offer_answer_and_candidates_reach_only_the_other_party(topic, clerk, make_clerk):
    consultation = await start(topic, clerk)
    # A bystander: another video consultation of the same topic, accepted by a colleague.
    colleague = await database_sync_to_async(make_clerk)("ben", [topic])
    other = await start(topic, colleague)
    bystander, _ = await connect(f"/ws/citizen/{other.public_token}/")
    await receive_until(bystander, "rtc_config")
    citizen, clerk_ws, _ = await open_both(consultation, clerk)

    await send(citizen, type="rtc_ready")
    assert await receive(clerk_ws) == {"type": "rtc_ready"}
    await send(clerk_ws, type="rtc_offer", sdp=OFFER_SDP)
    assert await receive(citizen) == {"type": "rtc_offer", "sdp": OFFER_SDP}
    await send(citizen, type="rtc_answer", sdp=OFFER_SDP)
    assert await receive(clerk_ws) == {"type": "rtc_answer", "sdp": OFFER_SDP}
    await send(citizen, type="rtc_candidate", candidate=CANDIDATE, sdp_mid="0", sdp_mline_index=0)
    assert await receive(clerk_ws) == {
        "type": "rtc_candidate",
        "candidate": CANDIDATE,
        "sdp_mid": "0",
        "sdp_mline_index": 0,
    }
    await send(clerk_ws, type="rtc_hangup")
    assert await receive(citizen) == {"type": "rtc_hangup"}

    # Nobody hears their own frames, and the bystander hears nothing at all: a chat message
    # in each consultation comes after anything these frames could have sent its sockets.
    await send(clerk_ws, type="message", client_id="k-1", body="Noch da?")
    await database_sync_to_async(messages.post_message)(
        consultation_id=other.pk, sender="clerk", body="Hallo", client_id="b-1", author=colleague
    )
    for ws, body in ((citizen, "Noch da?"), (clerk_ws, "Noch da?"), (bystander, "Hallo")):
        frame = await receive(ws)
        assert (frame["type"], frame.get("body")) == ("message", body)
    for ws in (citizen, clerk_ws, bystander):
        await ws.disconnect()


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        ({"type": "rtc_offer", "sdp": "hello"}, "invalid_sdp"),
        ({"type": "rtc_offer", "sdp": "v=0\r\ns=-\r\n"}, "invalid_sdp"),
        ({"type": "rtc_answer", "sdp": OFFER_SDP + "a=x:\x07\r\n"}, "invalid_sdp"),
        (
            {"type": "rtc_offer", "sdp": OFFER_SDP + ("a=" + "x" * 60 + "\r\n") * 400},
            "sdp_too_large",
        ),
        ({"type": "rtc_offer", "sdp": 5}, "invalid_field"),
        (
            {"type": "rtc_candidate", "candidate": "x", "sdp_mid": "0", "sdp_mline_index": 0},
            "invalid_candidate",
        ),
        (
            {
                "type": "rtc_candidate",
                "candidate": CANDIDATE,
                "sdp_mid": "0",
                "sdp_mline_index": 99,
            },
            "invalid_candidate",
        ),
        ({"type": "rtc_ready", "extra": 1}, "unknown_field"),
    ],
)
async def test_bad_signalling_frames_are_refused_and_not_forwarded(topic, clerk, frame, code):
    consultation = await start(topic, clerk)
    citizen, clerk_ws, _ = await open_both(consultation, clerk)
    await send(citizen, **frame)
    error = await receive(citizen)
    assert (error["type"], error["code"]) == ("error", code)
    # A chat message after it reaches the clerk; the bad frame, if forwarded, would come first.
    await send(citizen, type="message", client_id="c-1", body="Hallo")
    frame = await receive(clerk_ws)
    assert (frame["type"], frame.get("body")) == ("message", "Hallo")
    await citizen.disconnect()
    await clerk_ws.disconnect()


async def test_no_signalling_in_a_chat_consultation_or_before_the_accept(topic, clerk):
    chat_only = await start(topic, clerk, channel="chat")
    citizen, _ = await connect(f"/ws/citizen/{chat_only.public_token}/")
    await send(citizen, type="resume", last_seq=0)
    assert (await receive_until(citizen, "ready"))["state"] == "active"
    await send(citizen, type="rtc_offer", sdp=OFFER_SDP)
    assert (await receive(citizen))["code"] == "not_video"
    await citizen.disconnect()

    waiting = await database_sync_to_async(lifecycle.start_consultation)(
        topic_slug=topic.slug, channel="video"
    )
    citizen, _ = await connect(f"/ws/citizen/{waiting.public_token}/")
    await receive_until(citizen, "rtc_config")
    await send(citizen, type="resume", last_seq=0)
    assert (await receive_until(citizen, "ready"))["state"] == "waiting"
    await send(citizen, type="rtc_ready")
    assert (await receive_until(citizen, "error"))["code"] == "not_active"
    await citizen.disconnect()


async def channel_of(consultation):
    await database_sync_to_async(consultation.refresh_from_db)()
    return consultation.channel


async def last_seq_of(consultation):
    await database_sync_to_async(consultation.refresh_from_db)()
    return consultation.last_seq


async def test_an_answer_without_an_invitation_is_refused_and_changes_nothing(topic, clerk):
    consultation = await start(topic, clerk, channel="chat")
    citizen, clerk_ws, _ = await connect_both(consultation, clerk)
    seq = await last_seq_of(consultation)
    for accept in (True, False):
        await send(citizen, type="rtc_invite_answer", accept=accept)
        error = await receive(citizen)
        assert (error["type"], error["code"]) == ("error", "not_invited")
    assert await clerk_ws.receive_nothing(timeout=0.3)  # no log entry, nothing passed on
    assert await citizen.receive_nothing(timeout=0.1)
    assert await channel_of(consultation) == "chat"
    assert await last_seq_of(consultation) == seq
    await citizen.disconnect()
    await clerk_ws.disconnect()


async def test_invitation_then_yes_makes_the_chat_a_video_call(topic, clerk):
    consultation = await start(topic, clerk, channel="chat")
    citizen, clerk_ws, _ = await connect_both(consultation, clerk)
    await send(clerk_ws, type="rtc_invite")
    assert await receive(citizen) == {"type": "rtc_invite"}
    await send(citizen, type="rtc_invite_answer", accept=True)
    for ws in (citizen, clerk_ws):
        entry = await receive(ws)
        assert (entry["type"], entry["kind"], entry["state"]) == ("message", "video", "active")
        assert (await receive(ws))["type"] == "rtc_config"
    assert await channel_of(consultation) == "video"
    # Now the call can be negotiated.
    await send(clerk_ws, type="rtc_offer", sdp=OFFER_SDP)
    assert await receive(citizen) == {"type": "rtc_offer", "sdp": OFFER_SDP}

    # A second yes is refused: the first one closed the invitation. Nothing is written.
    seq = await last_seq_of(consultation)
    await send(citizen, type="rtc_invite_answer", accept=True)
    assert (await receive(citizen))["code"] == "not_invited"
    assert await clerk_ws.receive_nothing(timeout=0.3)
    assert await last_seq_of(consultation) == seq
    # And the clerk cannot invite to what is a video call already.
    await send(clerk_ws, type="rtc_invite")
    assert (await receive(clerk_ws))["code"] == "already_video"
    await citizen.disconnect()
    await clerk_ws.disconnect()


async def test_invitation_then_no_keeps_the_chat_and_tells_the_clerk(topic, clerk):
    consultation = await start(topic, clerk, channel="chat")
    citizen, clerk_ws, _ = await connect_both(consultation, clerk)
    seq = await last_seq_of(consultation)
    await send(clerk_ws, type="rtc_invite")
    assert await receive(citizen) == {"type": "rtc_invite"}
    await send(citizen, type="rtc_invite_answer", accept=False)
    assert await receive(clerk_ws) == {"type": "rtc_invite_answer", "accept": False}
    assert await channel_of(consultation) == "chat"
    assert await last_seq_of(consultation) == seq
    # The no closed the invitation: a yes after it is refused.
    await send(citizen, type="rtc_invite_answer", accept=True)
    assert (await receive(citizen))["code"] == "not_invited"
    assert await channel_of(consultation) == "chat"
    await citizen.disconnect()
    await clerk_ws.disconnect()


async def test_a_reconnecting_citizen_is_asked_again(topic, clerk):
    consultation = await start(topic, clerk, channel="chat")
    citizen, clerk_ws, _ = await connect_both(consultation, clerk)
    await send(clerk_ws, type="rtc_invite")
    assert await receive(citizen) == {"type": "rtc_invite"}
    await citizen.disconnect()
    citizen, _ = await connect(f"/ws/citizen/{consultation.public_token}/")
    assert await receive(citizen) == {"type": "rtc_invite"}  # on connect, before any resume
    await send(citizen, type="rtc_invite_answer", accept=True)
    assert (await receive_until(citizen, "message"))["kind"] == "video"
    assert await channel_of(consultation) == "video"
    await citizen.disconnect()
    await clerk_ws.disconnect()


async def test_no_video_invitation_while_the_clerk_has_other_conversations(topic, clerk):
    consultation = await start(topic, clerk, channel="chat")
    await start(topic, clerk, channel="chat")  # a second chat of the same clerk
    citizen, clerk_ws, _ = await connect_both(consultation, clerk)
    await send(clerk_ws, type="rtc_invite")
    assert (await receive(clerk_ws))["code"] == "close_other_conversations"
    # The clerk's next chat message is the citizen's next frame: no invitation came before.
    await send(clerk_ws, type="message", client_id="k-1", body="Einen Moment bitte")
    frame = await receive(citizen)
    assert (frame["type"], frame.get("body")) == ("message", "Einen Moment bitte")
    # An agreement sent anyway (e.g. a forged frame) changes nothing either.
    await send(citizen, type="rtc_invite_answer", accept=True)
    assert (await receive(citizen))["code"] == "not_invited"
    assert await channel_of(consultation) == "chat"
    await citizen.disconnect()
    await clerk_ws.disconnect()


async def test_only_the_clerk_invites_and_only_the_citizen_answers(topic, clerk):
    consultation = await start(topic, clerk, channel="chat")
    citizen, clerk_ws, _ = await connect_both(consultation, clerk)
    await send(citizen, type="rtc_invite")
    assert (await receive(citizen))["code"] == "unknown_type"
    await send(clerk_ws, type="rtc_invite_answer", accept=True)
    assert (await receive(clerk_ws))["code"] == "unknown_type"
    assert await channel_of(consultation) == "chat"
    await citizen.disconnect()
    await clerk_ws.disconnect()


@pytest.fixture
async def media_worker(settings):
    """The media worker inside this process, as in the embedded default."""
    from signaling.media import client

    settings.MEDIA_WORKER_EMBEDDED = True
    registry = client.ensure_embedded_workers()
    yield registry
    await client.stop_embedded_workers()


async def test_relay_offer_reaches_the_media_worker_and_its_answer_only_the_party(
    topic, clerk, media_worker
):
    from tests.media_peers import accept, offer, sender_peer, wait_connected

    topic.media_mode = "relay"
    await database_sync_to_async(topic.save)()
    consultation = await start(topic, clerk)
    citizen, clerk_ws, configs = await open_both(consultation, clerk)
    assert configs[0]["mode"] == "relay"

    pc, _track = sender_peer()  # stands in for the citizen's browser
    await send(citizen, type="rtc_relay_offer", sdp=await offer(pc))
    answer = await receive_until(citizen, "rtc_relay_answer", timeout=20)
    await accept(pc, answer["sdp"])
    await wait_connected(pc)
    assert (await receive_until(citizen, "rtc_relay_state", timeout=20))["state"] in {
        "connecting",
        "connected",
    }
    assert len(media_worker) == 1  # one session, for this consultation
    # The clerk hears nothing of the citizen's leg: the worker's answer and state went to
    # the consultation's group before the citizen saw them, so before this chat message.
    await send(clerk_ws, type="message", client_id="k-1", body="Ich sehe Sie")
    frames, _ = await frames_before(clerk_ws, "message")
    assert not [f for f in frames if f["type"].startswith("rtc_relay")]

    # Ending the consultation closes the relay session.
    await send(clerk_ws, type="end", outcome="resolved")
    await receive_until(clerk_ws, "closed")
    await eventually(lambda: len(media_worker) == 0)
    await pc.close()
    await citizen.disconnect()
    await clerk_ws.disconnect()


async def test_a_refused_relay_offer_is_reported_to_the_party(topic, clerk, media_worker):
    consultation = await start(topic, clerk)
    citizen, clerk_ws, _ = await open_both(consultation, clerk)
    # Valid for the protocol, but no codec aiortc could use.
    sdp = OFFER_SDP.replace("VP8/90000", "X-NOPE/90000")
    await send(citizen, type="rtc_relay_offer", sdp=sdp)
    error = await receive_until(citizen, "error", timeout=20)
    assert error["code"] == "relay_failed"
    await citizen.disconnect()
    await clerk_ws.disconnect()
