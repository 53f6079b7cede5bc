"""The media worker's channel-layer contract (docs/media.md): commands in, replies out.

Commands are validated here, at the edge; an invalid one raises ``InvalidCommand`` with a
short machine code that the worker sends back as ``media.failed`` when it knows where to.
"""

import re
from dataclasses import dataclass
from typing import Any

PARTIES = ("citizen", "clerk")
MAX_SDP_BYTES = 64 * 1024
# What channels accepts as a group name (channels.layers.BaseChannelLayer, max 100 chars).
GROUP_NAME = re.compile(r"^[a-zA-Z\d\-_.]{1,99}$")
STATES = ("connecting", "connected", "failed", "closed")


class InvalidCommand(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _check_common(consultation: object, party: object = None, *, needs_party: bool) -> None:
    if type(consultation) is not int or consultation < 1:
        raise InvalidCommand("invalid_consultation")
    if needs_party and party not in PARTIES:
        raise InvalidCommand("invalid_party")


@dataclass(frozen=True)
class Offer:
    """``media.offer``: a browser's complete offer (ICE gathered, no trickle)."""

    consultation: int
    party: str
    sdp: str
    reply_group: str

    def __post_init__(self) -> None:
        _check_common(self.consultation, self.party, needs_party=True)
        if not isinstance(self.reply_group, str) or not GROUP_NAME.match(self.reply_group):
            raise InvalidCommand("invalid_reply_group")
        if not isinstance(self.sdp, str) or not self.sdp.strip():
            raise InvalidCommand("invalid_sdp")
        if len(self.sdp.encode("utf-8", "surrogatepass")) > MAX_SDP_BYTES:
            raise InvalidCommand("sdp_too_large")


@dataclass(frozen=True)
class Hangup:
    """``media.hangup``: close one party's leg."""

    consultation: int
    party: str

    def __post_init__(self) -> None:
        _check_common(self.consultation, self.party, needs_party=True)


@dataclass(frozen=True)
class Close:
    """``media.close``: close the whole session."""

    consultation: int

    def __post_init__(self) -> None:
        _check_common(self.consultation, needs_party=False)


@dataclass(frozen=True)
class RecordStart:
    """``media.record_start``: record both parties to RECORDINGS_DIR/<recording>/; the files
    are reported as ``media.recorded`` to ``reply_group`` when the recording ends."""

    consultation: int
    recording: int
    reply_group: str

    def __post_init__(self) -> None:
        _check_common(self.consultation, needs_party=False)
        _check_recording(self.recording)
        if not isinstance(self.reply_group, str) or not GROUP_NAME.match(self.reply_group):
            raise InvalidCommand("invalid_reply_group")


@dataclass(frozen=True)
class RecordStop:
    """``media.record_stop``: finish the files and report them."""

    consultation: int
    recording: int

    def __post_init__(self) -> None:
        _check_common(self.consultation, needs_party=False)
        _check_recording(self.recording)


@dataclass(frozen=True)
class RecordDiscard(RecordStop):
    """``media.record_discard``: consent withdrawn, stop and delete the files."""


def _check_recording(recording: object) -> None:
    if type(recording) is not int or recording < 1:
        raise InvalidCommand("invalid_recording")


Command = Offer | Hangup | Close | RecordStart | RecordStop | RecordDiscard
# The commands that need a session: they place the consultation on a worker (pool.py);
# the others go to the worker holding it, or nowhere (it has no session to act on).
PLACING = ("media.offer", "media.record_start")
COMMANDS: dict[str, type[Command]] = {
    "media.offer": Offer,
    "media.hangup": Hangup,
    "media.close": Close,
    "media.record_start": RecordStart,
    "media.record_stop": RecordStop,
    "media.record_discard": RecordDiscard,
}


def decode_command(message: Any) -> Command:
    """Turn a channel-layer message into a command, or raise ``InvalidCommand``."""
    if not isinstance(message, dict):
        raise InvalidCommand("invalid_message")
    kind = COMMANDS.get(message.get("type"))  # type: ignore[arg-type]
    if kind is None:
        raise InvalidCommand("unknown_type")
    fields = {key: value for key, value in message.items() if key != "type"}
    try:
        return kind(**fields)
    except TypeError as error:  # missing or unexpected fields
        raise InvalidCommand("invalid_message") from error


def reply_group_of(message: Any) -> str | None:
    """The reply group of a (possibly invalid) offer, if it is usable."""
    group = message.get("reply_group") if isinstance(message, dict) else None
    return group if isinstance(group, str) and GROUP_NAME.match(group) else None


def answer(*, consultation: int, party: str, sdp: str) -> dict[str, Any]:
    return {"type": "media.answer", "consultation": consultation, "party": party, "sdp": sdp}


def state(*, consultation: int, party: str, value: str) -> dict[str, Any]:
    return {"type": "media.state", "consultation": consultation, "party": party, "state": value}


def failed(*, consultation: Any, party: Any, reason: str) -> dict[str, Any]:
    return {
        "type": "media.failed",
        "consultation": consultation if type(consultation) is int else None,
        "party": party if party in PARTIES else None,
        "reason": reason,
    }


def recorded(*, consultation: int, recording: int, files: list[dict[str, Any]]) -> dict[str, Any]:
    """The finished files of a recording (``RecordedFile`` fields; empty files left out)."""
    return {
        "type": "media.recorded",
        "consultation": consultation,
        "recording": recording,
        "files": files,
    }
