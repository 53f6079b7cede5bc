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
