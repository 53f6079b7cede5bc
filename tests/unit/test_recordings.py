"""Recording with consent: both consents or nothing, withdrawal deletes, access is audited
and refused to everybody but the consultation's clerks and managers."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.db import IntegrityError, transaction

from consult.errors import DomainError
from consult.queue import lifecycle, routing
from consult.recording import recordings
from consult.recording.models import AuditEvent, Recording, RecordingFile

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def recordings_dir(settings, tmp_path):
    settings.RECORDINGS_DIR = tmp_path / "recordings"
    settings.RETENTION_DAYS = {**settings.RETENTION_DAYS, "recordings": 30}
    return settings.RECORDINGS_DIR


@pytest.fixture
def clerk(topic, make_clerk):
    return make_clerk("anna", [topic])


@pytest.fixture
def call(topic, clerk):
    consultation = lifecycle.start_consultation(topic_slug="hundesteuer", channel="video")
    return routing.accept(consultation_id=consultation.pk, clerk=clerk)


def ask(call, clerk, purpose="Nachweis der Beratung"):
    return recordings.request_recording(consultation_id=call.pk, clerk=clerk, purpose=purpose)


def recorded(call, clerk, recordings_dir):
    """A recording both consented to, whose two files the worker reported."""
    recording = ask(call, clerk)
    recordings.answer_recording(consultation_id=call.pk, recording_id=recording.pk, consent=True)
    directory = recordings_dir / str(recording.pk)
    directory.mkdir(parents=True)
    files = []
    for party in ("citizen", "clerk"):
        (directory / f"{party}.webm").write_bytes(b"\x1a\x45\xdf\xa3 webm")
        files.append(
            {
                "party": party,
                "path": f"{recording.pk}/{party}.webm",
                "size_bytes": 9,
                "duration_seconds": 12.5,
                "video_frames": 300,
                "audio_frames": 600,
            }
        )
    recordings.register_recording_files(recording_id=recording.pk, files=files)
    recording.refresh_from_db()
    return recording, directory


def test_the_request_carries_purpose_and_retention_and_the_clerks_consent(
    call, clerk, sent_events, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        recording = ask(call, clerk)
    assert recording.state == "requested"
    assert recording.clerk_consented_at is not None and recording.citizen_consented_at is None
    assert recording.retention_days == 30
    (event,) = [e for g, e in sent_events if e["type"] == "recording.changed"]
    assert event["recording"]["purpose"] == "Nachweis der Beratung"
    assert event["recording"]["state"] == "requested"


def test_recording_needs_the_citizens_consent(call, clerk):
    recording = ask(call, clerk)
    declined = recordings.answer_recording(
        consultation_id=call.pk, recording_id=recording.pk, consent=False
    )
    assert declined.state == "declined" and declined.started_at is None
    with pytest.raises(DomainError) as error:  # a late yes changes nothing
        recordings.answer_recording(
            consultation_id=call.pk, recording_id=recording.pk, consent=True
        )
    assert error.value.code == "not_requested"
    started = recordings.answer_recording(
        consultation_id=call.pk, recording_id=ask(call, clerk).pk, consent=True
    )
    assert started.state == "recording" and started.citizen_consented_at is not None


def test_the_database_refuses_a_recording_without_both_consents(call):
    with pytest.raises(IntegrityError), transaction.atomic():
        Recording.objects.create(consultation=call, purpose="x", state="recording")


@pytest.mark.parametrize("purpose", ["", "   ", "x" * 301])
def test_a_request_without_a_purpose_is_refused(call, clerk, purpose):
    with pytest.raises(DomainError):
        ask(call, clerk, purpose)
    assert not Recording.objects.exists()


def test_only_the_consultations_clerk_asks_and_only_in_an_active_video_call(
    call, clerk, topic, make_clerk
):
    with pytest.raises(DomainError):
        ask(call, make_clerk("ben", [topic]))
    chat = routing.accept(
        consultation_id=lifecycle.start_consultation(topic_slug="hundesteuer").pk,
        clerk=make_clerk("clara", [topic]),
    )
    with pytest.raises(DomainError) as error:
        ask(chat, chat.clerk)
    assert error.value.code == "not_video"
    ask(call, clerk)
    with pytest.raises(DomainError) as error:
        ask(call, clerk)
    assert error.value.code == "recording_running"


@pytest.mark.parametrize("party", ["citizen", "clerk"])
def test_withdrawal_deletes_what_was_recorded(
    call, clerk, recordings_dir, party, django_capture_on_commit_callbacks
):
    recording, directory = recorded(call, clerk, recordings_dir)
    assert recording.state == "stopped" and recording.files.count() == 2
    with django_capture_on_commit_callbacks(execute=True):
        withdrawn = recordings.withdraw_recording(
            consultation_id=call.pk, recording_id=recording.pk, party=party
        )
    assert withdrawn.state == "withdrawn" and withdrawn.withdrawn_by == party
    assert not RecordingFile.objects.exists()
    assert not directory.exists()


def test_files_reported_after_a_withdrawal_are_deleted(
    call, clerk, recordings_dir, django_capture_on_commit_callbacks
):
    recording = ask(call, clerk)
    recordings.answer_recording(consultation_id=call.pk, recording_id=recording.pk, consent=True)
    recordings.withdraw_recording(
        consultation_id=call.pk, recording_id=recording.pk, party="citizen"
    )
    directory = recordings_dir / str(recording.pk)
    directory.mkdir(parents=True)
    (directory / "clerk.webm").write_bytes(b"late")
    with django_capture_on_commit_callbacks(execute=True):
        recordings.register_recording_files(
            recording_id=recording.pk,
            files=[{"party": "clerk", "path": f"{recording.pk}/clerk.webm", "size_bytes": 4}],
        )
    assert not directory.exists() and not RecordingFile.objects.exists()


def test_only_the_workers_own_file_names_are_registered(call, clerk):
    recording = ask(call, clerk)
    recordings.answer_recording(consultation_id=call.pk, recording_id=recording.pk, consent=True)
    recordings.register_recording_files(
        recording_id=recording.pk,
        files=[{"party": "clerk", "path": "../../etc/passwd", "size_bytes": 4}],
    )
    assert not RecordingFile.objects.exists()


@pytest.fixture
def manager(django_user_model):
    user = django_user_model.objects.create_user(username="maria", password="pw")
    group = Group.objects.create(name="Leitung")
    group.permissions.add(Permission.objects.get(codename="view_statistics"))
    user.groups.add(group)
    return user


def test_the_clerk_and_managers_play_and_every_access_is_audited(
    client, call, clerk, recordings_dir, manager
):
    recording, _ = recorded(call, clerk, recordings_dir)
    file = recording.files.get(party="citizen")
    client.force_login(clerk)
    page = client.get("/recordings/").content.decode()
    assert f"/recordings/files/{file.pk}/" in page and "Nachweis der Beratung" in page
    response = client.get(f"/recordings/files/{file.pk}/")
    assert response.status_code == 200
    assert response["Content-Type"] == "video/webm"
    assert b"".join(response.streaming_content) == b"\x1a\x45\xdf\xa3 webm"
    client.force_login(manager)
    download = client.get(f"/recordings/files/{file.pk}/?download=1")
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment;")
    events = list(AuditEvent.objects.order_by("pk"))
    assert [(e.actor_name, e.action, e.object_id) for e in events] == [
        ("anna", "recording.played", recording.pk),
        ("maria", "recording.downloaded", recording.pk),
    ]
    page = client.get("/recordings/").content.decode()
    assert "Zugriffsprotokoll: 2" in page and "anna" in page


def test_everybody_else_gets_403_and_nothing_is_audited(
    client, call, clerk, recordings_dir, topic, make_clerk
):
    recording, _ = recorded(call, clerk, recordings_dir)
    url = f"/recordings/files/{recording.files.first().pk}/"
    assert client.get(url).status_code == 403  # anonymous
    client.get(f"/c/{call.public_token}/")  # a citizen with their token in the session
    assert client.get(url).status_code == 403
    client.force_login(make_clerk("ben", [topic]))
    assert client.get(url).status_code == 403
    assert url not in client.get("/recordings/").content.decode()
    assert not AuditEvent.objects.exists()


def test_a_withdrawn_recording_cannot_be_opened(client, call, clerk, recordings_dir):
    recording, _ = recorded(call, clerk, recordings_dir)
    file_id = recording.files.first().pk
    recordings.withdraw_recording(consultation_id=call.pk, recording_id=recording.pk, party="clerk")
    client.force_login(clerk)
    assert client.get(f"/recordings/files/{file_id}/").status_code == 403
