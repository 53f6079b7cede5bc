"""The durable path of recording registration: manifests beside the files.

The media worker reports a finished recording twice: live, as the channel-layer event
``media.recorded`` (at most once: lost when nobody is connected, on a Redis restart, or
when the web process dies), and durably, as a manifest ``<party>.manifest.json`` it writes
atomically beside each finished file (signaling/media/recorder.py). ``reconcile_recordings``
registers every manifest whose file is not registered yet. It runs in the periodic sweep of
the leading web process (signaling/sweeper.py, every ``RECORDINGS_RECONCILE_SECONDS``) and
as ``manage.py reconcile_recordings``. Both paths end in ``register_recording_files`` under
the recording's row lock, and ``RecordingFile`` is unique per recording and party: a file
is never registered twice, whichever path comes first or how often either runs.

A manifest is input from outside the database and is checked like any: it must sit in its
recording's directory, name exactly the file the worker writes there (``<id>/<party>.webm``,
inside RECORDINGS_DIR once symlinks are resolved), and that file must exist with the size
the manifest gives. Anything else is refused and logged (by recording id and party only),
and the files stay for an operator to look at.
"""

import json
import logging
import math
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils import timezone

from consult.recording.files import absolute_path, recordings_dir, relative_path
from consult.recording.models import Recording, RecordingFile
from consult.recording.recordings import register_recording_files

log = logging.getLogger(__name__)

MANIFEST_SUFFIX = ".manifest.json"  # as signaling/media/recorder.py writes them
MANIFEST_VERSION = 1
MAX_MANIFEST_BYTES = 16 * 1024
MAX_DURATION_SECONDS = 24 * 3600.0


class ManifestRefused(ValueError):
    """A manifest that cannot be trusted; the message is the reason (no personal data)."""


@dataclass(frozen=True)
class Manifest:
    consultation_id: int
    recording_id: int
    party: str
    path: str
    size_bytes: int
    duration_seconds: float
    finished_at: datetime

    def as_file(self) -> dict[str, Any]:
        """The file as the live event reports it (``register_recording_files``)."""
        return {
            "party": self.party,
            "path": self.path,
            "size_bytes": self.size_bytes,
            "duration_seconds": self.duration_seconds,
        }


@dataclass
class Reconciled:
    """What one run did: files registered now, files already registered, manifests refused,
    manifests of recordings withdrawn or declined (their files deleted)."""

    registered: int = 0
    already: int = 0
    refused: int = 0
    deleted: int = 0
    refused_manifests: list[str] = field(default_factory=list)


def _int(body: dict[str, Any], key: str) -> int:
    value = body.get(key)
    if type(value) is not int or value < 0:
        raise ManifestRefused(f"{key} is not a count")
    return value


def read_manifest(manifest: Path) -> Manifest:
    """Parse and check one manifest against its place on disk; raises ``ManifestRefused``."""
    if manifest.is_symlink() or not manifest.is_file():
        raise ManifestRefused("not a regular file")
    if manifest.stat().st_size > MAX_MANIFEST_BYTES:
        raise ManifestRefused("too large")
    try:
        body = json.loads(manifest.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ManifestRefused("not JSON") from error
    if not isinstance(body, dict) or body.get("version") != MANIFEST_VERSION:
        raise ManifestRefused("unknown format")
    recording_id, consultation_id = _int(body, "recording"), _int(body, "consultation")
    party = body.get("party")
    if party not in Recording.Party.values:
        raise ManifestRefused("unknown party")
    if manifest.parent.name != str(recording_id) or manifest.name != f"{party}{MANIFEST_SUFFIX}":
        raise ManifestRefused("not in its recording's directory")
    path = body.get("path")
    if path != relative_path(recording_id=recording_id, party=party):
        raise ManifestRefused("names another path than its own file")
    try:
        target = absolute_path(path)
    except ValueError as error:
        raise ManifestRefused("path outside RECORDINGS_DIR") from error
    if target.parent != manifest.parent.resolve():
        raise ManifestRefused("path outside its recording's directory")
    if not target.is_file():
        raise ManifestRefused("file missing")
    size = _int(body, "size_bytes")
    if size == 0 or target.stat().st_size != size:
        raise ManifestRefused("file size differs")
    duration = body.get("duration_seconds")
    if (
        not isinstance(duration, int | float)
        or isinstance(duration, bool)
        or not math.isfinite(duration)
        or not 0 <= duration <= MAX_DURATION_SECONDS
    ):
        raise ManifestRefused("bad duration")
    try:
        finished_at = datetime.fromisoformat(str(body.get("finished_at")))
    except ValueError as error:
        raise ManifestRefused("bad time") from error
    if finished_at.tzinfo is None:
        raise ManifestRefused("bad time")
    return Manifest(
        consultation_id=consultation_id,
        recording_id=recording_id,
        party=party,
        path=path,
        size_bytes=size,
        duration_seconds=float(duration),
        finished_at=finished_at,
    )


def find_manifests(root: Path) -> list[Path]:
    """Every manifest in a recording's directory (``RECORDINGS_DIR/<id>/``)."""
    if not root.is_dir():
        return []
    found = []
    for directory in root.iterdir():
        if directory.name.isdigit() and directory.is_dir() and not directory.is_symlink():
            found.extend(sorted(directory.glob(f"*{MANIFEST_SUFFIX}")))
    return found


def _refuse(result: Reconciled, manifest: Path, reason: str) -> None:
    name = f"{manifest.parent.name}/{manifest.name}"
    log.warning("recording manifest %s refused: %s", name, reason)
    result.refused += 1
    result.refused_manifests.append(name)


def _register(manifest: Manifest, *, now: datetime) -> str:
    """Register one manifest's file unless it is; returns what happened."""
    with transaction.atomic():
        recording = Recording.objects.select_for_update().filter(pk=manifest.recording_id).first()
        if recording is None:
            return "unknown"
        if recording.consultation_id != manifest.consultation_id:
            return "other_consultation"
        if recording.state in (Recording.State.WITHDRAWN, Recording.State.DECLINED):
            register_recording_files(recording_id=recording.pk, files=[])  # deletes the files
            return "deleted"
        if RecordingFile.objects.filter(recording=recording, party=manifest.party).exists():
            return "already"
        register_recording_files(
            recording_id=recording.pk,
            files=[manifest.as_file()],
            now=min(manifest.finished_at, now),
        )
    return "registered"


def reconcile_recordings(*, now: datetime | None = None) -> Reconciled:
    """Register every finished file whose manifest is not registered yet (idempotent)."""
    now = now or timezone.now()
    result = Reconciled()
    manifests = find_manifests(recordings_dir())
    if not manifests:
        return result
    registered = set(
        RecordingFile.objects.filter(
            recording_id__in={int(m.parent.name) for m in manifests}
        ).values_list("recording_id", "party")
    )
    for path in manifests:
        if (int(path.parent.name), path.name.removesuffix(MANIFEST_SUFFIX)) in registered:
            result.already += 1  # the common case, without reading the file
            continue
        try:
            manifest = read_manifest(path)
        except (ManifestRefused, OSError) as error:
            _refuse(result, path, str(error) or type(error).__name__)
            continue
        outcome = _register(manifest, now=now)
        if outcome == "registered":
            log.info("recording %s: %s's file registered from its manifest", *_who(manifest))
            result.registered += 1
        elif outcome == "already":
            result.already += 1
        elif outcome == "deleted":
            result.deleted += 1
        elif outcome == "unknown":
            _refuse(result, path, "no such recording")
        else:
            _refuse(result, path, "recording of another consultation")
    return result


def _who(manifest: Manifest) -> tuple[int, str]:
    return manifest.recording_id, manifest.party
