"""Retention: exactly the expired chat logs, recordings (with their files) and done callback
requests go; everything else stays; a second run deletes nothing."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from consult.catalogue.models import CallbackRequest
from consult.consultations.models import Consultation, Message
from consult.recording import retention
from consult.recording.models import Recording, RecordingFile

pytestmark = pytest.mark.django_db

DAY = timedelta(days=1)


@pytest.fixture(autouse=True)
def periods(settings, tmp_path):
    settings.RETENTION_DAYS = {
        "messages": 90,
        "recordings": 30,
        "callback_requests": 30,
        "appointments": 90,
    }
    settings.RECORDINGS_DIR = tmp_path / "recordings"


def ended(topic, *, days_ago, state="ended", comment="Sehr freundlich, Frau Müller"):
    now = timezone.now()
    consultation = Consultation.objects.create(
        topic=topic,
        state=state,
        created_at=now - timedelta(days=days_ago, minutes=10),
        ended_at=now - timedelta(days=days_ago),
        rating=5 if state == "ended" else None,
        rating_comment=comment if state == "ended" else "",
    )
    for seq in (1, 2):
        Message.objects.create(consultation=consultation, seq=seq, sender="citizen", body="Hallo")
    return consultation


def recorded(consultation, settings):
    recording = Recording.objects.create(
        consultation=consultation,
        state="stopped",
        purpose="Nachweis",
        clerk_consented_at=consultation.created_at,
        citizen_consented_at=consultation.created_at,
    )
    directory = settings.RECORDINGS_DIR / str(recording.pk)
    directory.mkdir(parents=True)
    for party in ("citizen", "clerk"):
        (directory / f"{party}.webm").write_bytes(b"webm")
        RecordingFile.objects.create(
            recording=recording, party=party, path=f"{recording.pk}/{party}.webm"
        )
    return recording, directory


def callback(topic, *, done_days_ago=None):
    now = timezone.now()
    return CallbackRequest.objects.create(
        topic=topic,
        question="Bitte rufen Sie mich an",
        phone="030 1234567",
        state="done" if done_days_ago is not None else "open",
        created_at=now - timedelta(days=400),
        done_at=now - timedelta(days=done_days_ago) if done_days_ago is not None else None,
    )


def test_exactly_the_expired_items_go_files_included(topic, settings):
    old = ended(topic, days_ago=91)
    old_abandoned = ended(topic, days_ago=100, state="abandoned")
    recent = ended(topic, days_ago=89)
    running = Consultation.objects.create(topic=topic, state="waiting")
    old_recording, old_dir = recorded(ended(topic, days_ago=31), settings)
    new_recording, new_dir = recorded(ended(topic, days_ago=29), settings)
    expired_request = callback(topic, done_days_ago=31)
    recent_request = callback(topic, done_days_ago=29)
    open_request = callback(topic)

    counts = retention.purge_expired()

    # the 31-day-old consultation with a recording keeps its chat (period 90 days)
    assert counts == {"messages": 4, "recordings": 1, "callback_requests": 1, "appointments": 0}
    assert not Message.objects.filter(consultation__in=[old, old_abandoned]).exists()
    assert Message.objects.filter(consultation=recent).count() == 2
    old.refresh_from_db()
    assert old.rating == 5 and old.rating_comment == ""  # the statistics keep the rating
    assert Consultation.objects.filter(pk=running.pk).exists()
    assert not Recording.objects.filter(pk=old_recording.pk).exists()
    assert not RecordingFile.objects.filter(recording_id=old_recording.pk).exists()
    assert not old_dir.exists()
    assert Recording.objects.filter(pk=new_recording.pk).exists()
    assert sorted(p.name for p in new_dir.iterdir()) == ["citizen.webm", "clerk.webm"]
    assert set(CallbackRequest.objects.values_list("pk", flat=True)) == {
        recent_request.pk,
        open_request.pk,
    }
    assert expired_request.pk not in CallbackRequest.objects.values_list("pk", flat=True)

    assert set(retention.purge_expired().values()) == {0}


def test_a_topic_may_keep_shorter_or_longer(topic, other_topic, settings):
    topic.retention_overrides = {"messages": 7}
    topic.save()
    other_topic.retention_overrides = {"messages": 365, "recordings": 1}
    other_topic.save()
    short = ended(topic, days_ago=8)
    long_kept = ended(other_topic, days_ago=200)
    long_gone = ended(other_topic, days_ago=400)
    _recording, directory = recorded(ended(other_topic, days_ago=2), settings)

    counts = retention.purge_expired()

    assert counts["messages"] == 4 and counts["recordings"] == 1
    assert not Message.objects.filter(consultation__in=[short, long_gone]).exists()
    assert Message.objects.filter(consultation=long_kept).count() == 2
    assert not directory.exists()


def test_never_keeps_a_kind(topic, settings):
    settings.RETENTION_DAYS = {"messages": None, "recordings": None, "callback_requests": None}
    ended(topic, days_ago=5000)
    callback(topic, done_days_ago=5000)
    assert set(retention.purge_expired().values()) == {0}


def test_a_file_already_gone_does_not_stop_the_purge(topic, settings):
    _recording, directory = recorded(ended(topic, days_ago=31), settings)
    (directory / "clerk.webm").unlink()
    assert retention.purge_expired()["recordings"] == 1
    assert not directory.exists()


def test_the_command_reports_counts_per_kind(topic, capsys):
    ended(topic, days_ago=91)
    call_command("purge_expired")
    out = capsys.readouterr().out
    assert out.splitlines() == [
        "messages: 2",
        "recordings: 0",
        "callback_requests: 0",
        "appointments: 0",
    ]


def test_past_appointments_lose_their_personal_data_the_statistics_stay(topic, make_clerk):
    from consult.appointments.models import Appointment

    clerk = make_clerk("anna", [topic]).staff_profile
    now = timezone.now()

    def booked(days_ago):
        consultation = ended(topic, days_ago=days_ago)
        return Appointment.objects.create(
            topic=topic,
            clerk=clerk,
            starts_at=now - timedelta(days=days_ago, minutes=15),
            ends_at=now - timedelta(days=days_ago),
            name="Erika Mustermann",
            email="erika@example.org",
            consultation=consultation,
        )

    old, recent = booked(91), booked(89)
    assert retention.purge_expired(now=now)["appointments"] == 1
    assert list(Appointment.objects.all()) == [recent]
    assert Consultation.objects.filter(pk=old.consultation_id).exists()
    assert retention.purge_expired(now=now)["appointments"] == 0


@pytest.mark.parametrize(
    "value",
    [["messages"], {"unknown": 3}, {"messages": 0}, {"messages": "30"}, {"messages": True}],
)
def test_bad_topic_overrides_are_refused(topic, value):
    from django.core.exceptions import ValidationError

    topic.retention_overrides = value
    with pytest.raises(ValidationError):
        topic.full_clean()


def test_the_concern_goes_with_the_chat_log_the_service_stays(topic, other_topic):
    """The concern given with the start is the citizen's own words: cleared when the chat log
    is deleted (per topic period too); which service they came from stays for statistics."""
    from consult.catalogue.models import Service

    service = Service.objects.create(slug="hund-anmelden", name="…", topic=topic, description="…")
    other_topic.retention_overrides = {"messages": 7}
    other_topic.save()
    expired = [ended(topic, days_ago=91), ended(other_topic, days_ago=8, state="abandoned")]
    kept = [ended(topic, days_ago=89), ended(other_topic, days_ago=6)]
    waiting = Consultation.objects.create(topic=topic, state="waiting")
    Consultation.objects.update(concern="Zweiter Hund, Frau Müller", service=service)

    retention.purge_expired()

    concerns = dict(Consultation.objects.values_list("pk", "concern"))
    assert [concerns[c.pk] for c in expired] == ["", ""]
    assert [concerns[c.pk] for c in [*kept, waiting]] == ["Zweiter Hund, Frau Müller"] * 3
    assert Consultation.objects.filter(service=service).count() == 5
    assert set(retention.purge_expired().values()) == {0}
