"""Out-of-hours requests: validation, the clerks' queue, marking done."""

import pytest
from django.test import Client

from consult.catalogue import callbacks
from consult.catalogue.models import CallbackRequest
from consult.errors import DomainError

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"question": "  "}, "empty_question"),
        ({"email": "", "phone": ""}, "no_contact"),
        ({"email": "not-an-address"}, "invalid_email"),
        ({"email": "", "phone": "call me maybe"}, "invalid_phone"),
        ({"email": "", "phone": "12"}, "invalid_phone"),
        ({"question": "x" * 2001}, "too_long"),
        ({"topic_slug": "nope"}, "unknown_topic"),
    ],
)
def test_bad_requests_are_refused_and_store_nothing(topic, fields, code):
    data = {"topic_slug": "hundesteuer", "question": "Wann kommt mein Bescheid?", **fields}
    data.setdefault("email", "a@example.de")
    with pytest.raises(DomainError) as raised:
        callbacks.leave_callback_request(**data)
    assert raised.value.code == code
    assert CallbackRequest.objects.count() == 0


def test_a_clerk_of_the_topic_sees_requests_oldest_first_and_marks_one_done(
    client, topic, other_topic, make_clerk
):
    first = callbacks.leave_callback_request(
        topic_slug="hundesteuer", question="Erste Frage", phone="+49 30 1234-567"
    )
    callbacks.leave_callback_request(
        topic_slug="hundesteuer", question="Zweite Frage", email="b@example.de"
    )
    callbacks.leave_callback_request(
        topic_slug="bauantrag", question="Nicht Annas Thema", email="c@example.de"
    )
    anna = make_clerk("anna", [topic])
    client.force_login(anna)
    page = client.get("/console/").content.decode()
    assert page.index("Erste Frage") < page.index("Zweite Frage")
    assert "Nicht Annas Thema" not in page and "Offene Anliegen: 2" in page

    done = client.post(
        f"/console/requests/{first.pk}/done/",
        {"note": "Zurückgerufen"},
        HTTP_X_REQUESTED_WITH="fetch",
    )
    assert done.status_code == 200
    assert "Erste Frage" not in done.content.decode()
    first.refresh_from_db()
    assert (first.state, first.note, first.done_by) == ("done", "Zurückgerufen", anna)
    again = client.post(f"/console/requests/{first.pk}/done/", {"note": "doppelt"})
    assert again.status_code == 302
    first.refresh_from_db()
    assert first.note == "Zurückgerufen"


def test_other_clerks_and_citizens_cannot_touch_requests(topic, other_topic, make_clerk):
    request = callbacks.leave_callback_request(
        topic_slug="hundesteuer", question="Frage", email="a@example.de"
    )
    ben = Client()
    ben.force_login(make_clerk("ben", [other_topic]))
    assert ben.post(f"/console/requests/{request.pk}/done/").status_code == 404
    assert Client().get("/console/requests/").status_code == 302  # to the login
    request.refresh_from_db()
    assert request.state == "open"


def test_the_request_form_shows_errors_and_then_a_confirmation(client, topic):
    refused = client.post(
        "/requests/new/", {"topic": "hundesteuer", "question": "Frage", "phone": "abc"}
    )
    assert refused.status_code == 400
    html = refused.content.decode()
    assert 'role="alert"' in html and "Telefonnummer nur mit Ziffern" in html
    no_contact = client.post("/requests/new/", {"topic": "hundesteuer", "question": "Frage"})
    assert "E-Mail-Adresse oder eine Telefonnummer" in no_contact.content.decode()
    assert CallbackRequest.objects.count() == 0
    sent = client.post(
        "/requests/new/",
        {"topic": "hundesteuer", "question": "Frage", "email": "a@example.de", "name": ""},
    )
    assert sent.status_code == 302
    thanks = client.get(sent["Location"]).content.decode()
    assert "Ihr Anliegen ist eingegangen" in thanks and "a@example.de" in thanks
    assert client.get("/requests/new/?topic=hundesteuer").status_code == 200


def test_a_request_with_an_e_mail_address_is_confirmed_without_its_question(
    topic, make_clerk, sent_events, django_capture_on_commit_callbacks
):
    from django.core import mail

    anna = make_clerk("anna", [topic])
    with django_capture_on_commit_callbacks(execute=True):
        left = callbacks.leave_callback_request(
            topic_slug="hundesteuer",
            question="Mein Hund heißt Bello, was kostet das?",
            name="Erika",
            email="erika@example.org",
        )
    (message,) = mail.outbox
    assert message.to == ["erika@example.org"]
    assert message.subject == "Ihre Anfrage ist eingegangen: Hundesteuer"
    assert "Guten Tag Erika," in message.body and f"Nummer {left.pk}" in message.body
    assert "Bello" not in message.body + message.subject
    # The topic's consoles refresh (their count of open requests).
    assert (f"clerk.{anna.pk}", {"type": "clerk.assigned", "clerk": anna.pk}) in sent_events
    # Done: the consoles refresh again.
    sent_events.clear()
    with django_capture_on_commit_callbacks(execute=True):
        callbacks.complete_callback_request(request_id=left.pk, clerk=anna)
    assert (f"clerk.{anna.pk}", {"type": "clerk.assigned", "clerk": anna.pk}) in sent_events


def test_a_request_by_phone_only_sends_no_mail_and_english_requests_get_english(
    topic, django_capture_on_commit_callbacks
):
    from django.core import mail

    with django_capture_on_commit_callbacks(execute=True):
        callbacks.leave_callback_request(
            topic_slug="hundesteuer", question="Frage", phone="+49 30 1234-567"
        )
        callbacks.leave_callback_request(
            topic_slug="hundesteuer", question="Question", email="x@example.org", language="en"
        )
    (message,) = mail.outbox
    assert message.subject == "Your request has been received: Hundesteuer"
    assert message.body.startswith("Hello,")
