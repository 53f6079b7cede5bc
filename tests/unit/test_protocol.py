"""The wire protocol refuses everything malformed with a stable error code."""

import json

import pytest

from signaling import protocol
from signaling.ratelimit import TokenBucket

ALL = protocol.CLIENT_FRAMES.keys()


def code_of(text, accepted=ALL):
    with pytest.raises(protocol.ClientError) as error:
        protocol.decode(text, accepted=accepted)
    return error.value.code


def test_valid_frames_decode_to_their_dataclass():
    frame = protocol.decode(
        '{"type": "message", "client_id": "a-1", "body": "Hallo"}', accepted=ALL
    )
    assert frame == protocol.SendMessage(client_id="a-1", body="Hallo")
    assert protocol.decode('{"type":"resume","last_seq":7}', accepted=ALL).last_seq == 7


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("not json", "malformed_json"),
        ("[1, 2]", "malformed_json"),
        ('{"last_seq": 1}', "unknown_type"),
        ('{"type": "explode"}', "unknown_type"),
        ('{"type": "resume"}', "missing_field"),
        ('{"type": "resume", "last_seq": 1, "extra": 2}', "unknown_field"),
        ('{"type": "resume", "last_seq": "1"}', "invalid_field"),
        ('{"type": "resume", "last_seq": true}', "invalid_field"),
        ('{"type": "resume", "last_seq": -1}', "invalid_field"),
        ('{"type": "typing", "active": 1}', "invalid_field"),
        ('{"type": "message", "client_id": "bad id!", "body": "x"}', "invalid_field"),
        ('{"type": "message", "client_id": "", "body": "x"}', "invalid_field"),
        ('{"type": "message", "client_id": "a", "body": "  "}', "empty_message"),
        ('{"type": "accept", "consultation": 0}', "invalid_field"),
        ('{"type": "message", "client_id": "a", "body": "\\ud800"}', "invalid_field"),
        ('{"type": "message", "client_id": "a", "body": "x\\u0000"}', "invalid_field"),
        ('{"type": "transfer_topic", "topic": "\\udfff"}', "invalid_field"),
        ("[" * 20000, "malformed_json"),
        ('{"type": "typing", "active": true, "\ud800": 1}', "unknown_field"),
        ('{"type": "message", "client_id": "a", "body": "x\ud800"}', "invalid_field"),  # raw
    ],
)
def test_malformed_frames_are_refused(text, code):
    assert code_of(text) == code


@pytest.mark.parametrize("name", ["\x00", "\ud800", "a\udfffb", "x" * 5000])
def test_an_unknown_field_name_is_told_back_in_a_frame_that_can_be_sent(name):
    """A NUL or a lone surrogate echoed raw made the error frame unsendable, and the
    consumer died with its socket."""
    text = json.dumps({"type": "resume", "last_seq": 1, name: 2})
    with pytest.raises(protocol.ClientError) as error:
        protocol.decode(text, accepted=ALL)
    assert error.value.code == "unknown_field"
    sent = protocol.encode(protocol.Error(code="unknown_field", detail=error.value.detail))
    sent.encode("utf-8")  # what the socket does; raises on a lone surrogate
    assert "\x00" not in sent
    assert len(error.value.detail) < 200


def test_message_length_limit_is_4000_characters():
    ok = json.dumps({"type": "message", "client_id": "a", "body": "ü" * 4000})
    assert protocol.decode(ok, accepted=ALL).body == "ü" * 4000
    too_long = json.dumps({"type": "message", "client_id": "a", "body": "x" * 4001})
    assert code_of(too_long) == "message_too_long"


def test_oversized_frames_and_binary_frames_are_refused():
    assert code_of("x" * (33 * 1024)) == "frame_too_large"
    assert code_of(None) == "binary_not_supported"


def test_a_consumer_only_accepts_its_own_frame_types():
    assert code_of('{"type": "accept", "consultation": 1}', accepted={"resume"}) == "unknown_type"


def test_encode_adds_the_type():
    encoded = protocol.encode(protocol.Error(code="x", detail="y"))
    assert json.loads(encoded) == {"type": "error", "code": "x", "detail": "y"}


def test_only_server_frames_are_encoded():
    """``message`` and ``typing`` are two frames each: the client's and the server's."""
    with pytest.raises(TypeError):
        protocol.encode(protocol.SendMessage(client_id="a", body="x"))
    with pytest.raises(TypeError):
        protocol.encode(protocol.Typing(active=True))
    assert json.loads(protocol.encode(protocol.TypingNotice(sender="clerk", active=True))) == {
        "type": "typing",
        "sender": "clerk",
        "active": True,
    }


def test_relayed_frames_go_both_ways_unchanged():
    sdp = "v=0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\n"
    frames = [
        protocol.RtcReady(),
        protocol.RtcOffer(sdp=sdp),
        protocol.RtcAnswer(sdp=sdp),
        protocol.RtcCandidate(candidate="", sdp_mid="0", sdp_mline_index=0),
        protocol.RtcHangup(),
        protocol.RtcUseRelay(),
        protocol.RtcInvite(),
        protocol.RtcInviteAnswer(accept=False),
    ]
    assert {type(f) for f in frames} == set(protocol.RELAYED_FRAMES)
    for frame in frames:
        assert protocol.CLIENT_FRAMES[frame.type] is protocol.SERVER_FRAMES[frame.type]
        assert protocol.decode(protocol.encode(frame), accepted=ALL) == frame


def test_token_bucket_allows_a_burst_then_the_rate():
    now = [0.0]
    bucket = TokenBucket(burst=3, rate=2.0, clock=lambda: now[0])
    assert [bucket.allow() for _ in range(4)] == [True, True, True, False]
    now[0] += 0.5  # one token back at 2 per second
    assert [bucket.allow(), bucket.allow()] == [True, False]
