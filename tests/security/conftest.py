"""The security tests' world: real objects for six roles, and what each role may see.

Roles: ``anonymous``; ``citizen`` (holds the tokens of their consultations and of their
appointment); ``other_citizen`` (another token, another topic); ``clerk`` (serves the citizen's
topic and the citizen's consultations); ``other_clerk`` (clerk of another topic); ``manager``
(the statistics permission and the consultation permissions in the admin, like the demo's
group "Leitung").
"""

import dataclasses
from datetime import time, timedelta
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.contrib.sessions.backends.db import SessionStore
from django.db import connection
from django.test import Client
from django.utils import timezone

from consult.appointments.models import Appointment, Availability
from consult.catalogue import callbacks
from consult.catalogue.models import CallbackRequest, Closure, Office, Service, Topic
from consult.chat import documents, messages
from consult.chat.models import Snippet
from consult.consultations.models import Consultation, Document, InternalNote, Message
from consult.queue import lifecycle, routing
from consult.queue.models import Offer
from consult.recording import recordings
from consult.recording.models import AuditEvent, Recording, RecordingFile
from consult.staff.models import StaffProfile, StatusPeriod

# Shared with the websocket integration tests: no background sweep, consumers' connections
# closed after each test.
from tests.integration.conftest import (  # noqa: F401
    close_consumer_connections,
    no_background_sweep,
)

ROLES = ("anonymous", "citizen", "other_citizen", "clerk", "other_clerk", "manager")
CITIZENS = ("citizen", "other_citizen")
STAFF = ("clerk", "other_clerk", "manager")

# Texts only their owners (and who serves them) may ever be shown.
CHAT = "Geheimnis-Anna-7Q4: mein Hund heißt Bello"
OTHER_CHAT = "Geheimnis-Bernd-3K9: Bauantrag Flurstück 12"
CALLBACK = "Rückruf-Geheim-5T1: Frage zur Hundesteuer"
OTHER_CALLBACK = "Rückruf-Geheim-8M2: Frage zum Bauantrag"
APPOINTMENT_NAME = "Erika Geheimtermin-2W7"
OTHER_APPOINTMENT_NAME = "Otto Geheimtermin-6R3"
PURPOSE = "Aufzeichnungszweck-Geheim-9Z5"
DOCUMENT_TEXT = "Dokument-Geheim-4P8: Meldeadresse"

# What a change of state would touch: compared before and after a refused request or frame.
WATCHED: tuple[Any, ...] = (
    Consultation,
    Message,
    Document,
    InternalNote,
    Snippet,
    Offer,
    StaffProfile,
    StatusPeriod,
    Recording,
    RecordingFile,
    AuditEvent,
    CallbackRequest,
    Appointment,
)


# The console's heartbeat writes its presence at any time: not a change of state.
PRESENCE = {"last_seen_at"}


def snapshot(models: tuple[Any, ...] = WATCHED) -> dict[str, str]:
    """A digest of every row of the watched tables, presence left out (one query)."""
    digests = []
    for model in models:
        columns = ", ".join(
            f"t.{field.column}"
            for field in model._meta.concrete_fields
            if field.name not in PRESENCE
        )
        rows = f"string_agg(row({columns})::text, '|' ORDER BY t.id)"
        table = model._meta.db_table
        digests.append(f"(SELECT md5(coalesce({rows}, '')) FROM {table} t)")  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(digests)}")
        row = cursor.fetchone()
    return {model._meta.db_table: digest for model, digest in zip(models, row, strict=True)}


def changed_tables(before: dict[str, str], after: dict[str, str]) -> list[str]:
    return [table for table in before if before[table] != after[table]]


@dataclasses.dataclass
class World:
    topic: Topic
    other_topic: Topic
    clerk: Any
    other_clerk: Any
    manager: Any
    active: Consultation  # the citizen's video call with the clerk; a recording was kept
    ended: Consultation  # the citizen's earlier chat with the clerk, outcome recorded
    other: Consultation  # the other citizen's chat with the other clerk, in the other topic
    appointment: Appointment  # the citizen's, starting in two minutes (joinable, changeable)
    other_appointment: Appointment
    callback: CallbackRequest  # left by the citizen, for the clerk's topic
    other_callback: CallbackRequest
    recording: Recording
    recording_file: RecordingFile
    document: Document  # a PDF the citizen shared in the video call
    service: Service
    sessions: dict[str, str]  # role -> session key ("" for anonymous)
    secrets: dict[str, frozenset[str]]  # text -> the roles that may be shown it

    def client(self, role: str) -> Client:
        client = Client()
        if self.sessions[role]:
            client.cookies[settings.SESSION_COOKIE_NAME] = self.sessions[role]
        return client

    def cookie(self, role: str) -> str:
        key = self.sessions[role]
        return f"{settings.SESSION_COOKIE_NAME}={key}" if key else ""

    def leaks(self, text: str, role: str) -> list[str]:
        """The secrets in ``text`` that ``role`` may not be shown."""
        return [s for s, roles in self.secrets.items() if role not in roles and s in text]


def _served(topic: Topic, clerk: Any, *, channel: str, text: str) -> Consultation:
    """A consultation of ``topic`` accepted by ``clerk``, with one message of the citizen."""
    started = lifecycle.start_consultation(topic_slug=topic.slug, channel=channel)
    consultation = routing.accept(consultation_id=started.pk, clerk=clerk)
    messages.post_message(
        consultation_id=consultation.pk, sender="citizen", body=text, client_id="c-1"
    )
    return consultation


def _appointment(topic: Topic, clerk: Any, name: str) -> Appointment:
    starts = timezone.now() + timedelta(minutes=2)
    return Appointment.objects.create(
        topic=topic,
        clerk=clerk.staff_profile,
        starts_at=starts,
        ends_at=starts + timedelta(minutes=15),
        name=name,
        email=f"{name.split()[0].lower()}@example.org",
    )


def _citizen_session(**data: Any) -> str:
    session = SessionStore()
    session.update(data)
    session.create()
    return str(session.session_key)


def _staff_session(user: Any) -> str:
    client = Client()
    client.force_login(user)
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def build_world(make_clerk: Any, django_user_model: Any, recordings_dir: Any) -> World:
    topic = Topic.objects.create(name="Hundesteuer", slug="hundesteuer")
    other_topic = Topic.objects.create(name="Bauantrag", slug="bauantrag")
    clerk = make_clerk("anna", [topic])
    other_clerk = make_clerk("bernd", [other_topic])
    for weekday in range(7):  # bookable every day, so booking pages always offer times
        Availability.objects.create(
            clerk=clerk.staff_profile, weekday=weekday, starts=time(8), ends=time(20)
        )
    Snippet.objects.create(title="Begrüßung", body="Guten Tag!", topic=topic)  # the admin's
    Snippet.objects.create(title="Annas Gruß", body="Viele Grüße", owner=clerk)
    leitung = Group.objects.create(name="Leitung")
    leitung.permissions.set(Permission.objects.filter(content_type__app_label="consult"))
    manager = django_user_model.objects.create_user(
        username="maria", password="pw-maria", is_staff=True
    )
    manager.groups.add(leitung)

    ended = _served(topic, clerk, channel="chat", text=CHAT)
    lifecycle.end_consultation(consultation_id=ended.pk, clerk=clerk, outcome="resolved")
    active = _served(topic, clerk, channel="video", text=CHAT)
    other = _served(other_topic, other_clerk, channel="chat", text=OTHER_CHAT)

    recording = recordings.request_recording(
        consultation_id=active.pk, clerk=clerk, purpose=PURPOSE
    )
    recordings.answer_recording(consultation_id=active.pk, recording_id=recording.pk, consent=True)
    (recordings_dir / str(recording.pk)).mkdir(parents=True)
    (recordings_dir / str(recording.pk) / "citizen.webm").write_bytes(b"\x1a\x45\xdf\xa3 webm")
    recordings.register_recording_files(
        recording_id=recording.pk,
        files=[{"party": "citizen", "path": f"{recording.pk}/citizen.webm", "size_bytes": 9}],
    )
    recording.refresh_from_db()
    recording_file = recording.files.get()
    recordings.log_recording_access(recording_file=recording_file, user=manager, download=False)
    shared, _ = documents.share_document(
        consultation_id=active.pk,
        sender="citizen",
        data=b"%PDF-1.4\n" + DOCUMENT_TEXT.encode() + b"\n%%EOF\n",
        name="Meldebescheinigung.pdf",
        client_id="document-1",
    )
    document = Document.objects.get(message=shared)

    callback = callbacks.leave_callback_request(
        topic_slug=topic.slug, question=CALLBACK, email="rueckruf@example.org"
    )
    other_callback = callbacks.leave_callback_request(
        topic_slug=other_topic.slug, question=OTHER_CALLBACK, phone="+49 30 1234567"
    )
    appointment = _appointment(topic, clerk, APPOINTMENT_NAME)
    other_appointment = _appointment(other_topic, other_clerk, OTHER_APPOINTMENT_NAME)
    office = Office.objects.create(name="Steueramt")
    service = Service.objects.create(
        name="Hund anmelden",
        slug="hund-anmelden",
        description="Die Hundesteuer anmelden.",
        topic=topic,
        office=office,
    )
    Closure.objects.create(
        date=timezone.localdate() + timedelta(days=400), reason="Betriebsausflug", topic=topic
    )
    sessions = {
        "anonymous": "",
        "citizen": _citizen_session(
            consultation_tokens=[ended.public_token, active.public_token],
            callback_request=callback.pk,
        ),
        "other_citizen": _citizen_session(
            consultation_tokens=[other.public_token], callback_request=other_callback.pk
        ),
        "clerk": _staff_session(clerk),
        "other_clerk": _staff_session(other_clerk),
        "manager": _staff_session(manager),
    }
    _axes_records()
    citizen, other_citizen = frozenset({"citizen"}), frozenset({"other_citizen"})
    secrets = {
        active.public_token: citizen,
        ended.public_token: citizen,
        appointment.token: citizen,
        other.public_token: other_citizen,
        other_appointment.token: other_citizen,
        CHAT: frozenset({"citizen", "clerk"}),
        OTHER_CHAT: frozenset({"other_citizen", "other_clerk"}),
        CALLBACK: frozenset({"citizen", "clerk"}),
        OTHER_CALLBACK: frozenset({"other_citizen", "other_clerk"}),
        APPOINTMENT_NAME: frozenset({"citizen", "clerk"}),
        OTHER_APPOINTMENT_NAME: frozenset({"other_citizen", "other_clerk"}),
        PURPOSE: frozenset({"clerk", "manager"}),
        DOCUMENT_TEXT: frozenset({"citizen", "clerk"}),
    }
    return World(
        topic=topic,
        other_topic=other_topic,
        clerk=clerk,
        other_clerk=other_clerk,
        manager=manager,
        active=active,
        ended=ended,
        other=other,
        appointment=appointment,
        other_appointment=other_appointment,
        callback=callback,
        other_callback=other_callback,
        recording=recording,
        recording_file=recording_file,
        document=document,
        service=service,
        sessions=sessions,
        secrets=secrets,
    )


def _axes_records() -> None:
    """One record of each of django-axes' models, so their admin pages have an object."""
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog

    who = {"username": "unbekannt", "ip_address": "127.0.0.1", "user_agent": "-", "path_info": "/"}
    AccessAttempt.objects.create(**who, get_data="", post_data="", failures_since_start=1)
    AccessLog.objects.create(**who)
    AccessFailureLog.objects.create(**who)


@pytest.fixture(autouse=True)
def fast_passwords(settings: Any) -> None:
    """The world's staff have real passwords; hashing them quickly keeps the matrix fast."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def recordings_dir(settings: Any, tmp_path: Any) -> Any:
    settings.RECORDINGS_DIR = tmp_path / "recordings"
    return settings.RECORDINGS_DIR


@pytest.fixture(autouse=True)
def documents_root(settings: Any, tmp_path: Any) -> Any:
    settings.DOCUMENTS_ROOT = tmp_path / "documents"
    return settings.DOCUMENTS_ROOT


@pytest.fixture
def world(db: None, make_clerk: Any, django_user_model: Any, recordings_dir: Any) -> World:
    return build_world(make_clerk, django_user_model, recordings_dir)
