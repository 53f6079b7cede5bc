"""The websocket wire protocol: one dataclass per frame type, one ``decode``, one ``encode``.

Frames are JSON objects with a ``type``. ``CLIENT_FRAMES`` lists what clients may send
(``decode`` turns text into one of them), ``SERVER_FRAMES`` what the server sends
(``encode`` refuses anything else); the relayed video frames are in both. Every frame
validates itself in ``__post_init__``; a malformed client frame raises :class:`ClientError`,
which the consumer turns into an ``error`` frame without changing any state. Every frame
type is documented in docs/protocol.md (tests/unit/test_protocol_docs.py checks it).
"""

import dataclasses
import json
import re
import typing
from collections.abc import Collection
from typing import Any, ClassVar

from django.conf import settings

from consult import validators


class ClientError(Exception):
    """Bad input from a client; ``code`` is stable and listed in docs/protocol.md."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(detail or code)
        self.code = code
        self.detail = detail or code


CLIENT_ID_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


_FIELD_TYPES: dict[type, tuple[tuple[str, Any], ...]] = {}


def _field_types(cls: type) -> tuple[tuple[str, Any], ...]:
    """Each field's name and type, resolved once per frame class (``get_type_hints`` is
    slow, and every frame in either direction is checked)."""
    if cls not in _FIELD_TYPES:
        hints = typing.get_type_hints(cls)
        _FIELD_TYPES[cls] = tuple((f.name, hints[f.name]) for f in dataclasses.fields(cls))
    return _FIELD_TYPES[cls]


def _check_types(frame: "Frame") -> None:
    for name, expected in _field_types(type(frame)):
        value = getattr(frame, name)
        # bool is an int in Python, but not in our protocol.
        ok = isinstance(value, expected) and (expected is bool or not isinstance(value, bool))
        if not ok:
            type_name = getattr(expected, "__name__", str(expected))
            raise ClientError("invalid_field", f"'{name}' must be {type_name}.")
        # Valid JSON may still carry a NUL or a lone surrogate, which no database stores.
        if isinstance(value, str) and not validators.storable(value):
            raise ClientError("invalid_field", f"'{name}' contains invalid characters.")


@dataclasses.dataclass(frozen=True)
class Frame:
    type: ClassVar[str]

    def __post_init__(self) -> None:
        _check_types(self)
        self.validate()

    def validate(self) -> None:
        """Checks beyond the field types."""


# --- Client to server ------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Resume(Frame):
    """Sent after connecting: replay every log entry after ``last_seq``."""

    type: ClassVar[str] = "resume"
    last_seq: int

    def validate(self) -> None:
        if self.last_seq < 0:
            raise ClientError("invalid_field", "'last_seq' must be 0 or more.")


@dataclasses.dataclass(frozen=True)
class SendMessage(Frame):
    type: ClassVar[str] = "message"
    client_id: str
    body: str

    def validate(self) -> None:
        if not CLIENT_ID_RE.match(self.client_id):
            raise ClientError("invalid_field", "'client_id' must be 1 to 64 of A-Z a-z 0-9 _ -.")
        if len(self.body) > settings.CHAT_MAX_MESSAGE_CHARS:
            raise ClientError(
                "message_too_long",
                f"Messages are limited to {settings.CHAT_MAX_MESSAGE_CHARS} characters.",
            )
        if not self.body.strip():
            raise ClientError("empty_message", "A message needs some text.")


@dataclasses.dataclass(frozen=True)
class Typing(Frame):
    type: ClassVar[str] = "typing"
    active: bool


@dataclasses.dataclass(frozen=True)
class End(Frame):
    """The clerk closes the consultation with an outcome."""

    type: ClassVar[str] = "end"
    outcome: str

    def validate(self) -> None:
        if len(self.outcome) > 32:
            raise ClientError("invalid_field", "'outcome' is too long.")


@dataclasses.dataclass(frozen=True)
class SetStatus(Frame):
    type: ClassVar[str] = "set_status"
    status: str

    def validate(self) -> None:
        if len(self.status) > 32:
            raise ClientError("invalid_field", "'status' is too long.")


@dataclasses.dataclass(frozen=True)
class Accept(Frame):
    type: ClassVar[str] = "accept"
    consultation: int

    def validate(self) -> None:
        if self.consultation <= 0:
            raise ClientError("invalid_field", "'consultation' must be a positive id.")


@dataclasses.dataclass(frozen=True)
class Decline(Frame):
    """The clerk declines the offer ringing on their console."""

    type: ClassVar[str] = "decline"
    consultation: int

    def validate(self) -> None:
        if self.consultation <= 0:
            raise ClientError("invalid_field", "'consultation' must be a positive id.")


@dataclasses.dataclass(frozen=True)
class TransferTopic(Frame):
    """The clerk hands the consultation to another topic's queue (at its head)."""

    type: ClassVar[str] = "transfer_topic"
    topic: str

    def validate(self) -> None:
        if not 0 < len(self.topic) <= 80:
            raise ClientError("invalid_field", "'topic' must be a topic's slug.")


@dataclasses.dataclass(frozen=True)
class TransferClerk(Frame):
    """The clerk hands the consultation to a named colleague (who gets an offer)."""

    type: ClassVar[str] = "transfer_clerk"
    clerk: int

    def validate(self) -> None:
        if self.clerk <= 0:
            raise ClientError("invalid_field", "'clerk' must be a positive id.")


# Video call signalling, forwarded between the two parties (docs/protocol.md, "Video").
SDP_LINE_RE = re.compile(r"^[\x20-\x7e]*$")


def _check_sdp(sdp: str) -> None:
    if len(sdp.encode("utf-8")) > settings.RTC_MAX_SDP_BYTES:
        raise ClientError("sdp_too_large", f"SDP is limited to {settings.RTC_MAX_SDP_BYTES} bytes.")
    lines = sdp.replace("\r\n", "\n").rstrip("\n").split("\n")
    if lines[0] != "v=0" or not any(line.startswith("m=") for line in lines):
        raise ClientError("invalid_sdp", "Not a session description with media.")
    if not all(SDP_LINE_RE.match(line) for line in lines):
        raise ClientError("invalid_sdp", "SDP lines are printable ASCII.")


@dataclasses.dataclass(frozen=True)
class RtcReady(Frame):
    """The party's camera and microphone are ready: (re)start the peer-to-peer call."""

    type: ClassVar[str] = "rtc_ready"


@dataclasses.dataclass(frozen=True)
class SdpFrame(Frame):
    sdp: str

    def validate(self) -> None:
        _check_sdp(self.sdp)


@dataclasses.dataclass(frozen=True)
class RtcOffer(SdpFrame):
    type: ClassVar[str] = "rtc_offer"


@dataclasses.dataclass(frozen=True)
class RtcAnswer(SdpFrame):
    type: ClassVar[str] = "rtc_answer"


@dataclasses.dataclass(frozen=True)
class RtcCandidate(Frame):
    """A trickled ICE candidate; an empty ``candidate`` ends the candidates."""

    type: ClassVar[str] = "rtc_candidate"
    candidate: str
    sdp_mid: str
    sdp_mline_index: int

    def validate(self) -> None:
        if len(self.candidate) > 1024 or not SDP_LINE_RE.match(self.candidate):
            raise ClientError("invalid_candidate", "Not an ICE candidate.")
        if self.candidate and not self.candidate.startswith("candidate:"):
            raise ClientError("invalid_candidate", "Not an ICE candidate.")
        if len(self.sdp_mid) > 32 or not 0 <= self.sdp_mline_index < 16:
            raise ClientError("invalid_candidate", "'sdp_mid' or 'sdp_mline_index' is invalid.")


@dataclasses.dataclass(frozen=True)
class RtcHangup(Frame):
    """The party leaves the video call; the chat goes on."""

    type: ClassVar[str] = "rtc_hangup"


@dataclasses.dataclass(frozen=True)
class RtcUseRelay(Frame):
    """Peer-to-peer did not connect: both parties switch to the server relay."""

    type: ClassVar[str] = "rtc_use_relay"


@dataclasses.dataclass(frozen=True)
class RtcRelayOffer(SdpFrame):
    """The party's offer to the media worker (ICE gathering complete: no trickle)."""

    type: ClassVar[str] = "rtc_relay_offer"


@dataclasses.dataclass(frozen=True)
class RtcInvite(Frame):
    """The clerk asks the citizen to continue the chat as a video call."""

    type: ClassVar[str] = "rtc_invite"


@dataclasses.dataclass(frozen=True)
class RtcInviteAnswer(Frame):
    """The citizen's answer to ``rtc_invite``; only a yes switches the consultation."""

    type: ClassVar[str] = "rtc_invite_answer"
    accept: bool


@dataclasses.dataclass(frozen=True)
class RecRequest(Frame):
    """The clerk asks to record the video call; the citizen is asked with ``purpose``."""

    type: ClassVar[str] = "rec_request"
    purpose: str

    def validate(self) -> None:
        if not self.purpose.strip() or len(self.purpose) > 300:
            raise ClientError("invalid_purpose", "State the purpose in at most 300 characters.")


@dataclasses.dataclass(frozen=True)
class RecAnswer(Frame):
    """The citizen's consent (or not) to the recording asked for."""

    type: ClassVar[str] = "rec_answer"
    recording: int
    consent: bool


@dataclasses.dataclass(frozen=True)
class RecStop(Frame):
    """The clerk ends the recording and keeps it."""

    type: ClassVar[str] = "rec_stop"
    recording: int


@dataclasses.dataclass(frozen=True)
class RecWithdraw(Frame):
    """Either party withdraws consent: recording stops, everything recorded is deleted."""

    type: ClassVar[str] = "rec_withdraw"
    recording: int


RTC_FRAMES = frozenset(
    {
        "rtc_ready",
        "rtc_offer",
        "rtc_answer",
        "rtc_candidate",
        "rtc_hangup",
        "rtc_use_relay",
        "rtc_relay_offer",
    }
)


CLIENT_FRAMES: dict[str, type[Frame]] = {
    cls.type: cls
    for cls in (
        Resume,
        SendMessage,
        Typing,
        End,
        SetStatus,
        Accept,
        Decline,
        TransferTopic,
        TransferClerk,
        RtcReady,
        RtcOffer,
        RtcAnswer,
        RtcCandidate,
        RtcHangup,
        RtcUseRelay,
        RtcRelayOffer,
        RtcInvite,
        RtcInviteAnswer,
        RecRequest,
        RecAnswer,
        RecStop,
        RecWithdraw,
    )
}


# --- Server to client ------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class ChatMessage(Frame):
    """One log entry: chat text (``kind`` text) or a state change (accepted, ended, ...)."""

    type: ClassVar[str] = "message"
    seq: int
    kind: str
    sender: str
    body: str
    client_id: str
    created: str
    state: str  # the consultation's state once this entry is written
    # A shared file (kind ``document``): id, name, size, type; None for every other entry.
    document: dict | None = None


@dataclasses.dataclass(frozen=True)
class TypingNotice(Frame):
    type: ClassVar[str] = "typing"
    sender: str
    active: bool


@dataclasses.dataclass(frozen=True)
class Ready(Frame):
    """The replay is complete; live frames follow."""

    type: ClassVar[str] = "ready"
    state: str
    last_seq: int


@dataclasses.dataclass(frozen=True)
class Position(Frame):
    type: ClassVar[str] = "position"
    position: int
    waiting: int
    estimate: int | None
    estimate_low: int | None
    estimate_high: int | None


@dataclasses.dataclass(frozen=True)
class QueueSnapshot(Frame):
    type: ClassVar[str] = "queue"
    status: str
    missed_offers: int
    waiting: list
    mine: list
    offer: dict | None
    colleagues: list
    callbacks_open: int
    questions_open: int


@dataclasses.dataclass(frozen=True)
class Accepted(Frame):
    type: ClassVar[str] = "accepted"
    consultation: int


@dataclasses.dataclass(frozen=True)
class Presence(Frame):
    """For the clerk's chat: whether the citizen has a socket open (consult/queue/presence.py)."""

    type: ClassVar[str] = "presence"
    connected: bool


@dataclasses.dataclass(frozen=True)
class Closed(Frame):
    """The clerk's outcome is recorded; the console may close the panel."""

    type: ClassVar[str] = "closed"
    outcome: str


@dataclasses.dataclass(frozen=True)
class Wallboard(Frame):
    """The live board: per topic waiting count and oldest wait, clerks by state, today."""

    type: ClassVar[str] = "wallboard"
    topics: list
    clerks: dict
    service_level: float | None
    service_seconds: int
    requested: int
    answered: int
    now: str


@dataclasses.dataclass(frozen=True)
class RtcConfig(Frame):
    """Sent to both parties of a video consultation on connect."""

    type: ClassVar[str] = "rtc_config"
    mode: str
    ice_servers: list
    ice_transport_policy: str
    p2p_timeout: float


@dataclasses.dataclass(frozen=True)
class RtcRelayAnswer(Frame):
    type: ClassVar[str] = "rtc_relay_answer"
    sdp: str


@dataclasses.dataclass(frozen=True)
class RtcRelayState(Frame):
    """The state of the party's own leg to the media worker."""

    type: ClassVar[str] = "rtc_relay_state"
    state: str


@dataclasses.dataclass(frozen=True)
class RecState(Frame):
    """A recording of this consultation changed (also sent on connect while one runs)."""

    type: ClassVar[str] = "rec_state"
    recording: int
    state: str
    purpose: str
    retention_days: int | None
    clerk_consented: bool
    citizen_consented: bool


@dataclasses.dataclass(frozen=True)
class Error(Frame):
    type: ClassVar[str] = "error"
    code: str
    detail: str


# Client frames the server passes on unchanged to the other party of the consultation
# (signaling/videocall.py, through the consultation's group): outgoing frames as well.
RELAYED_FRAMES: tuple[type[Frame], ...] = (
    RtcReady,
    RtcOffer,
    RtcAnswer,
    RtcCandidate,
    RtcHangup,
    RtcUseRelay,
    RtcInvite,
    RtcInviteAnswer,
)


SERVER_ONLY_FRAMES: tuple[type[Frame], ...] = (
    ChatMessage,
    TypingNotice,
    Ready,
    Position,
    QueueSnapshot,
    Accepted,
    Presence,
    Closed,
    Wallboard,
    RtcConfig,
    RtcRelayAnswer,
    RtcRelayState,
    RecState,
    Error,
)


SERVER_FRAMES: dict[str, type[Frame]] = {
    cls.type: cls for cls in SERVER_ONLY_FRAMES + RELAYED_FRAMES
}


# --- Functions ---------------------------------------------------------------------------


def decode(text: str | None, *, accepted: Collection[str]) -> Frame:
    """Parse and validate one client frame of one of the ``accepted`` types."""
    if text is None:
        raise ClientError("binary_not_supported", "Frames are JSON text.")
    # surrogatepass: a lone surrogate (which daphne never delivers) must not crash the check
    if len(text.encode("utf-8", "surrogatepass")) > settings.WS_MAX_FRAME_BYTES:
        raise ClientError(
            "frame_too_large", f"Frames are limited to {settings.WS_MAX_FRAME_BYTES} bytes."
        )
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):  # RecursionError: absurdly deep nesting
        raise ClientError("malformed_json", "The frame is not valid JSON.") from None
    if not isinstance(data, dict):
        raise ClientError("malformed_json", "A frame is a JSON object.")
    frame_type = data.pop("type", None)
    if not isinstance(frame_type, str) or frame_type not in accepted:
        raise ClientError("unknown_type", "Unknown or missing frame type.")
    cls = CLIENT_FRAMES[frame_type]
    names = {f.name for f in dataclasses.fields(cls)}
    missing = sorted(names - data.keys())
    if missing:
        raise ClientError("missing_field", f"Missing field(s): {', '.join(missing)}.")
    unexpected = sorted(data.keys() - names)
    if unexpected:
        raise ClientError("unknown_field", f"Unknown field(s): {_quoted(unexpected)}.")
    return cls(**data)


def _quoted(names: list[str], *, limit: int = 5, length: int = 40) -> str:
    """Client-chosen field names for an error detail: JSON-escaped (a NUL or a lone surrogate
    would make the error frame itself unsendable) and cut short."""
    shown = [json.dumps(name[:length]) for name in names[:limit]]
    if len(names) > limit:
        shown.append(f"… ({len(names) - limit} more)")
    return ", ".join(shown)


def encode(frame: Frame) -> str:
    """The JSON text of one server frame; only the frame types of ``SERVER_FRAMES`` go out
    (``SendMessage`` and ``ChatMessage`` share the type ``message``, for example)."""
    if SERVER_FRAMES.get(frame.type) is not type(frame):
        raise TypeError(f"{type(frame).__name__} is not a server frame.")
    return json.dumps({"type": frame.type, **dataclasses.asdict(frame)}, ensure_ascii=False)
