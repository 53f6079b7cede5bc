"""Transcripts: the citizen through their token, the clerk for their own consultations."""

import io

import pytest
from pypdf import PdfReader

from consult.chat import messages
from consult.queue import lifecycle, routing

pytestmark = pytest.mark.django_db


@pytest.fixture
def talked(chat):
    """An ended conversation with umlauts and a line break in it."""
    consultation, clerk = chat, chat.clerk
    messages.post_message(
        consultation_id=consultation.pk,
        sender="citizen",
        body="Grüße! Mein Hund heißt Bärbel.\nZweite Zeile",
        client_id="c1",
    )
    messages.post_message(
        consultation_id=consultation.pk,
        sender="clerk",
        body="Gern, Frau Müller.",
        client_id="k1",
        author=clerk,
    )
    lifecycle.end_consultation(consultation_id=consultation.pk, clerk=clerk, outcome="resolved")
    consultation.refresh_from_db()
    return consultation


@pytest.fixture
def other(topic):
    consultation = lifecycle.start_consultation(topic_slug="hundesteuer")
    return consultation


def pdf_text(data: bytes) -> str:
    """The text a PDF reader extracts (what copy, search and screen readers get)."""
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def test_the_citizen_downloads_the_text_transcript_in_german(client, talked):
    response = client.get(f"/c/{talked.public_token}/transcript.txt")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="sprechstunde-')
    text = response.content.decode("utf-8")
    assert "Hundesteuer" in text
    assert "Grüße! Mein Hund heißt Bärbel.\nZweite Zeile" in text
    assert " Anna]\nGern, Frau Müller." in text  # the clerk by display name only
    assert "Bürger" in text  # the citizen's label, in German
    assert text.index("Bärbel") < text.index("Frau Müller")


def test_the_pdf_transcript_has_the_umlauts(client, talked):
    response = client.get(f"/c/{talked.public_token}/transcript.pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    content = pdf_text(response.content)
    assert "Bärbel" in content
    assert "Grüße" in content


NAMES = ["Çağlar Şahin", "Łódź", "Ștefan", "Юлия", "جميلة", "Γιώργος"]


def test_the_pdf_transcript_renders_every_name_a_citizen_types(client, topic, make_clerk):
    """Turkish, Polish, Romanian, Cyrillic, Arabic and Greek, not '?' (the DejaVu font)."""
    anna = make_clerk("anna", [topic])  # signed in: the topic is reachable
    consultation = lifecycle.start_consultation(topic_slug="hundesteuer")
    routing.accept(consultation_id=consultation.pk, clerk=anna)
    messages.post_message(
        consultation_id=consultation.pk,
        sender="citizen",
        body="Ich bin " + ", ".join(NAMES) + ".",
        client_id="c-names",
    )
    response = client.get(f"/c/{consultation.public_token}/transcript.pdf")
    content = pdf_text(response.content)
    for name in NAMES:
        assert name in content
    assert "?" not in content


def test_a_transcript_shows_only_its_own_consultation(client, talked, other):
    chat_free = client.get(f"/c/{other.public_token}/transcript.txt").content.decode()
    assert "Bärbel" not in chat_free
    assert client.get("/c/" + "x" * 43 + "/transcript.txt").status_code == 404
    assert client.get(f"/c/{talked.public_token}/transcript.exe").status_code == 404


def test_the_room_links_the_transcript(client, talked):
    html = client.get(f"/c/{talked.public_token}/").content.decode()
    assert f'href="/c/{talked.public_token}/transcript.txt"' in html
    assert f'href="/c/{talked.public_token}/transcript.pdf"' in html


def test_the_clerk_sees_their_history_and_its_transcripts(client, talked, make_clerk, topic):
    client.force_login(talked.clerk)
    console = client.get("/console/").content.decode()
    assert 'href="/console/history/"' in console
    page = client.get("/console/history/")
    assert page.status_code == 200
    html = page.content.decode()
    assert f"/console/history/{talked.pk}/transcript.txt" in html
    transcript = client.get(f"/console/history/{talked.pk}/transcript.txt")
    assert "Bärbel" in transcript.content.decode()


def test_other_clerks_and_anonymous_users_get_no_transcript(client, talked, make_clerk, topic):
    url = f"/console/history/{talked.pk}/transcript.txt"
    assert client.get(url).status_code == 302  # to the login
    client.force_login(make_clerk("ben", [topic]))
    assert client.get(url).status_code == 404
    assert f"/console/history/{talked.pk}/" not in client.get("/console/history/").content.decode()


def test_every_kind_of_log_entry_reads_as_a_sentence_in_the_transcript():
    """No raw kind such as ``relay_moved`` in a citizen's transcript: every entry that is not
    someone's words has its sentence (in German by default)."""
    from consult.consultations.models import Message
    from consult.recording.transcripts import _event_text

    spoken = {Message.Kind.TEXT, Message.Kind.DOCUMENT, Message.Kind.QUESTION}
    for kind in set(Message.Kind) - spoken:
        assert _event_text(kind) != kind, kind
    assert (
        _event_text(Message.Kind.RELAY_MOVED)
        == "Der Videoanruf läuft jetzt über einen anderen Server."
    )
