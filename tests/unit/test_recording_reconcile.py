# ruff: noqa: F811  (the fixtures clerk and recordings_dir are imported from test_recordings)
"""Durable recording registration: the recorder writes a manifest beside each finished file,
and the reconciler registers what the live ``media.recorded`` event did not, exactly once;
manifests that point elsewhere are refused and logged."""

import json
import logging
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from consult.queue import lifecycle, routing
from consult.recording import recordings, retention
from consult.recording.models import Recording, RecordingFile
from consult.recording.reconcile import reconcile_recordings
from signaling.media.recorder import PartyRecorder, RecordedFile
from tests.unit.test_recordings import clerk, recordings_dir  # noqa: F401

pytestmark = pytest.mark.django_db

KEYFRAME = bytes([0x10, 0x02, 0x00, 0x9D, 0x01, 0x2A, 0x80, 0x02, 0xE0, 0x01]) + bytes(400)


@pytest.fixture
def recording(topic, clerk):
    """A running recording of an active video call, both parties consented."""
    consultation = lifecycle.start_consultation(topic_slug="hundesteuer", channel="video")
    routing.accept(consultation_id=consultation.pk, clerk=clerk)
    asked = recordings.request_recording(
        consultation_id=consultation.pk, clerk=clerk, purpose="Nachweis"
    )
    return recordings.answer_recording(
        consultation_id=consultation.pk, recording_id=asked.pk, consent=True
    )


def record(recording: Recording, recordings_dir, party: str, frames: int = 30) -> RecordedFile:
    """What the media worker does: a party's VP8 frames muxed to webm, then finished (which
    writes the manifest). Its live report is what the caller does with the result."""
    recorder = PartyRecorder(
        directory=recordings_dir / str(recording.pk),
        relative_dir=str(recording.pk),
        party=party,
        consultation_id=recording.consultation_id,
        recording_id=recording.pk,
    )
    for n in range(frames):
        recorder.feed(
            kind="video",
            mime="video/VP8",
            clock_rate=90000,
            data=KEYFRAME,
            timestamp=n * 3000,
            source=1,
        )
    return recorder.finish()


def test_the_recorder_writes_a_manifest_beside_the_finished_file(recording, recordings_dir):
    recorded = record(recording, recordings_dir, "citizen")
    directory = recordings_dir / str(recording.pk)
    manifest = json.loads((directory / "citizen.manifest.json").read_text())
    assert manifest["version"] == 1
    assert manifest["consultation"] == recording.consultation_id
    assert manifest["recording"] == recording.pk and manifest["party"] == "citizen"
    assert manifest["path"] == f"{recording.pk}/citizen.webm" == recorded.path
    assert manifest["size_bytes"] == (directory / "citizen.webm").stat().st_size > 0
    assert manifest["video_frames"] == 30 and manifest["started_at"] <= manifest["finished_at"]
    assert sorted(p.name for p in directory.iterdir()) == [
        "citizen.manifest.json",
        "citizen.webm",
    ]  # no temporary file left behind


def test_a_lost_live_report_is_registered_by_the_reconciler_once(recording, recordings_dir):
    for party in ("citizen", "clerk"):
        record(recording, recordings_dir, party)  # the live report is dropped
    assert not RecordingFile.objects.exists()

    first = reconcile_recordings()
    assert (first.registered, first.already, first.refused) == (2, 0, 0)
    registered = Recording.objects.get(pk=recording.pk)
    assert registered.state == "stopped" and registered.stopped_at is not None
    files = {f.party: f for f in registered.files.all()}
    assert set(files) == {"citizen", "clerk"}
    webm = recordings_dir / str(recording.pk) / "clerk.webm"
    assert files["clerk"].size_bytes == webm.stat().st_size
    assert registered.size_bytes == sum(f.size_bytes for f in files.values())

    second = reconcile_recordings()
    assert (second.registered, second.already, second.refused) == (0, 2, 0)
    assert RecordingFile.objects.count() == 2


def test_the_live_report_and_the_reconciler_register_a_file_once(recording, recordings_dir):
    recorded = record(recording, recordings_dir, "clerk")
    live = {**recorded.__dict__}
    recordings.register_recording_files(recording_id=recording.pk, files=[live])
    assert reconcile_recordings().registered == 0
    recordings.register_recording_files(recording_id=recording.pk, files=[live])  # late event
    assert RecordingFile.objects.filter(recording=recording).count() == 1


def tamper(recordings_dir, recording, changes):
    path = recordings_dir / str(recording.pk) / "citizen.manifest.json"
    body = json.loads(path.read_text())
    body.update(changes)
    path.write_text(json.dumps(body))


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"path": "../../etc/passwd"}, "names another path"),
        ({"path": "../outside/citizen.webm"}, "names another path"),
        ({"size_bytes": 1}, "file size differs"),
        ({"recording": 999_999}, "not in its recording's directory"),
        ({"party": "clerk"}, "not in its recording's directory"),
        ({"version": 2}, "unknown format"),
        ({"duration_seconds": "NaN"}, "bad duration"),
    ],
)
def test_a_tampered_manifest_is_refused_and_logged(
    recording, recordings_dir, caplog, changes, reason
):
    record(recording, recordings_dir, "citizen")
    tamper(recordings_dir, recording, changes)
    with caplog.at_level(logging.WARNING, logger="consult.recording.reconcile"):
        result = reconcile_recordings()
    assert (result.registered, result.refused) == (0, 1)
    assert not RecordingFile.objects.exists()
    (line,) = [r.getMessage() for r in caplog.records]
    assert f"{recording.pk}/citizen.manifest.json refused: {reason}" in line


def test_a_manifest_whose_file_is_missing_or_a_link_outside_is_refused(
    recording, recordings_dir, tmp_path, caplog
):
    record(recording, recordings_dir, "citizen")
    record(recording, recordings_dir, "clerk")
    directory = recordings_dir / str(recording.pk)
    (directory / "citizen.webm").unlink()
    outside = tmp_path / "elsewhere.webm"
    (directory / "clerk.webm").rename(outside)
    (directory / "clerk.webm").symlink_to(outside)
    with caplog.at_level(logging.WARNING, logger="consult.recording.reconcile"):
        result = reconcile_recordings()
    assert (result.registered, result.refused) == (0, 2)
    assert not RecordingFile.objects.exists()
    lines = sorted(r.getMessage() for r in caplog.records)
    assert lines[0].endswith("citizen.manifest.json refused: file missing")
    assert lines[1].endswith("clerk.manifest.json refused: path outside RECORDINGS_DIR")


def test_a_manifest_of_a_withdrawn_recording_deletes_its_files(
    recording, recordings_dir, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        recordings.withdraw_recording(
            consultation_id=recording.consultation_id, recording_id=recording.pk, party="citizen"
        )
    record(recording, recordings_dir, "clerk")  # written after the withdrawal
    with django_capture_on_commit_callbacks(execute=True):
        result = reconcile_recordings()
    assert (result.registered, result.deleted) == (0, 1)
    assert not (recordings_dir / str(recording.pk)).exists()
    assert not RecordingFile.objects.exists()


def test_the_command_reports_what_it_did(recording, recordings_dir, capsys):
    record(recording, recordings_dir, "citizen")
    call_command("reconcile_recordings")
    assert "registered: 1" in capsys.readouterr().out
    call_command("reconcile_recordings")
    out = capsys.readouterr().out
    assert "registered: 0" in out and "already registered: 1" in out


def test_retention_deletes_the_files_and_their_manifests(recording, recordings_dir):
    for party in ("citizen", "clerk"):
        record(recording, recordings_dir, party)
    reconcile_recordings()
    consultation = recording.consultation
    consultation.state = "ended"
    consultation.ended_at = timezone.now() - timedelta(days=31)
    consultation.save()
    assert retention.purge_expired()["recordings"] == 1
    assert not (recordings_dir / str(recording.pk)).exists()
    assert reconcile_recordings().registered == 0  # nothing comes back
