"""Hand-over notes: the assigned clerk's internal notes on a consultation, never shown to the
citizen, carried to the next clerk by a transfer, in the clerk's history, deleted with the log."""

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from consult.chat import messages
from consult.consultations.models import Consultation, InternalNote
from consult.queue import lifecycle, routing, transfers

pytestmark = pytest.mark.django_db

NOTE = "Interne Notiz 7K2: Nachweis fehlt, Rückruf vereinbart"


def notes_url(consultation) -> str:
    return f"/console/consultations/{consultation.pk}/notes/"


def test_the_clerk_writes_a_note_the_citizen_never_sees(client, chat):
    client.force_login(chat.clerk)
    response = client.post(notes_url(chat), {"body": NOTE})
    assert response.status_code == 201
    [note] = response.json()["notes"]
    assert (note["author"], note["body"]) == ("Anna", NOTE)
    assert client.get(notes_url(chat)).json()["notes"][0]["body"] == NOTE
    messages.post_message(consultation_id=chat.pk, sender="citizen", body="Hallo", client_id="c")
    client.logout()
    token = chat.public_token
    for path in ("", "transcript.txt"):
        assert NOTE not in client.get(f"/c/{token}/{path}").content.decode()
    assert client.get(f"/c/{token}/notes/").status_code == 404  # no citizen route
    assert not chat.messages.filter(body__contains="7K2").exists()  # no log entry


def test_a_note_is_refused_when_empty_or_too_long_and_stores_nothing(client, chat):
    client.force_login(chat.clerk)
    empty = client.post(notes_url(chat), {"body": "   "})
    assert (empty.status_code, empty.json()["message"]) == (400, "Bitte geben Sie eine Notiz ein.")
    long = client.post(notes_url(chat), {"body": "x" * 2001})
    assert long.json()["code"] == "note_too_long"
    assert not InternalNote.objects.exists()


def test_other_clerks_get_no_notes(client, chat, make_clerk, topic):
    client.force_login(chat.clerk)
    client.post(notes_url(chat), {"body": NOTE})
    client.force_login(make_clerk("ben", [topic]))
    assert client.get(notes_url(chat)).status_code == 404
    assert client.post(notes_url(chat), {"body": "fremd"}).status_code == 404
    assert InternalNote.objects.count() == 1


def test_a_transfer_carries_the_notes_to_the_next_clerk(client, chat, make_clerk, topic):
    ben = make_clerk("ben", [topic])
    client.force_login(chat.clerk)
    client.post(notes_url(chat), {"body": NOTE})
    transfers.transfer_to_clerk(consultation_id=chat.pk, clerk=chat.clerk, target_id=ben.pk)
    routing.accept(consultation_id=chat.pk, clerk=ben)
    assert client.get(notes_url(chat)).status_code == 404  # no longer Anna's
    client.force_login(ben)
    assert [n["body"] for n in client.get(notes_url(chat)).json()["notes"]] == [NOTE]
    client.post(notes_url(chat), {"body": "Von Ben: erledigt"})
    lifecycle.end_consultation(consultation_id=chat.pk, clerk=ben, outcome="resolved")
    history = client.get("/console/history/").content.decode()
    assert NOTE in history and "Von Ben: erledigt" in history
    transcript = client.get(f"/console/history/{chat.pk}/transcript.txt").content.decode()
    assert NOTE not in transcript  # the transcript is the citizen's too


def test_notes_are_deleted_with_the_chat_log(client, chat, settings):
    client.force_login(chat.clerk)
    client.post(notes_url(chat), {"body": NOTE})
    lifecycle.end_consultation(consultation_id=chat.pk, clerk=chat.clerk, outcome="resolved")
    settings.RETENTION_DAYS = {**settings.RETENTION_DAYS, "messages": 30}
    call_command("purge_expired", stdout=io.StringIO())
    assert InternalNote.objects.count() == 1
    Consultation.objects.filter(pk=chat.pk).update(ended_at=timezone.now() - timedelta(days=31))
    call_command("purge_expired", stdout=io.StringIO())
    assert not InternalNote.objects.exists()
