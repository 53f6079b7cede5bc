"""docs/protocol.md documents every frame type of signaling/protocol.py, and no other.

A frame is documented by a row of a markdown table whose first column is ``type``: the type
in backticks in the first cell, its direction from a ``direction`` column or else from the
section's heading ("Client → server" / "Server → client"; ``relayed`` means both), and every
field of its dataclass in backticks in the ``fields`` column.
"""

import dataclasses
import re
from pathlib import Path

from signaling import protocol

DOC = Path(__file__).resolve().parents[2] / "docs" / "protocol.md"
CLIENT, SERVER = "client → server", "server → client"
REGISTRIES = {CLIENT: protocol.CLIENT_FRAMES, SERVER: protocol.SERVER_FRAMES}


def _cells(line: str) -> list[str]:
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


def _directions(text: str) -> set[str]:
    text = text.lower()
    found = {d for d in (CLIENT, SERVER) if d in text}
    return {CLIENT, SERVER} if "relayed" in text else found


def documented_frames(text: str) -> tuple[dict[tuple[str, str], set[str]], list[str]]:
    """(direction, type) -> the backticked words of its fields cell; and layout problems."""
    frames: dict[tuple[str, str], set[str]] = {}
    problems: list[str] = []
    heading: set[str] = set()
    header: list[str] | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        if line.startswith("#"):
            heading = _directions(line)
        if not line.startswith("|"):
            header = None
            continue
        cells = _cells(line)
        if header is None:
            header = [cell.lower() for cell in cells]
            continue
        if header[0] != "type" or set(line) <= set("|-: "):
            continue  # another kind of table (error codes, endpoints) or the separator
        name = re.fullmatch(r"`([a-z0-9_]+)`", cells[0])
        if name is None:
            problems.append(f"line {number}: the first cell is not a `type`: {cells[0]!r}")
            continue
        where = header.index("direction") if "direction" in header else None
        directions = _directions(cells[where]) if where is not None else heading
        if not directions:
            problems.append(f"line {number}: `{name[1]}` has no direction")
        fields = set(re.findall(r"`([a-z0-9_]+)`", cells[header.index("fields")]))
        for direction in directions:
            if (direction, name[1]) in frames:
                problems.append(f"line {number}: `{name[1]}` ({direction}) is documented twice")
            frames[direction, name[1]] = fields
    return frames, problems


def problems_of(text: str) -> list[str]:
    frames, problems = documented_frames(text)
    for direction, registry in REGISTRIES.items():
        documented = {name for d, name in frames if d == direction}
        for name in sorted(registry.keys() - documented):
            problems.append(f"`{name}` ({direction}) is not documented")
        for name in sorted(documented - registry.keys()):
            problems.append(f"`{name}` ({direction}) is documented but no such frame exists")
        for name in sorted(documented & registry.keys()):
            fields = {field.name for field in dataclasses.fields(registry[name])}
            for missing in sorted(fields - frames[direction, name]):
                problems.append(f"`{name}` ({direction}): field `{missing}` is not documented")
    return problems


def test_the_protocol_page_documents_every_frame_and_no_other():
    assert problems_of(DOC.read_text(encoding="utf-8")) == []


def test_the_registries_hold_every_frame_class():
    """A frame class left out of both registries would escape the check above."""
    registered = {*protocol.CLIENT_FRAMES.values(), *protocol.SERVER_FRAMES.values()}
    defined = {
        cls
        for cls in vars(protocol).values()
        if isinstance(cls, type)
        and issubclass(cls, protocol.Frame)
        and "type" in vars(cls)  # the abstract bases (Frame, SdpFrame) have none
    }
    assert defined == registered


def _without_row(text: str, frame_type: str) -> str:
    lines = [line for line in text.splitlines() if not line.startswith(f"| `{frame_type}` |")]
    assert len(lines) < len(text.splitlines())
    return "\n".join(lines)


def test_the_check_notices_a_missing_frame_a_stale_one_and_a_missing_field():
    text = DOC.read_text(encoding="utf-8")
    assert problems_of(_without_row(text, "rtc_invite")) == [
        f"`rtc_invite` ({CLIENT}) is not documented",
        f"`rtc_invite` ({SERVER}) is not documented",
    ]
    stale = text.replace("| `decline` |", "| `retract` |")
    assert problems_of(stale) == [
        f"`decline` ({CLIENT}) is not documented",
        f"`retract` ({CLIENT}) is documented but no such frame exists",
    ]
    no_state = text.replace("(ISO 8601), `state` |", "(ISO 8601) |")
    assert problems_of(no_state) == [f"`message` ({SERVER}): field `state` is not documented"]
