"""HTTP pages: starting and leaving, access rules, headers, language, health."""

import re

import pytest
from django.conf import settings
from django.test import Client

from consult.consultations.models import Consultation

pytestmark = pytest.mark.django_db


def test_start_page_lists_active_topics_in_german(client, topic, on_duty, other_topic):
    other_topic.active = False
    other_topic.save()
    page = client.get("/")
    assert page.status_code == 200
    html = page.content.decode()
    assert '<html lang="de">' in html
    assert "Hundesteuer" in html and "Bauantrag" not in html
    assert "Chat starten" in html


def test_starting_a_chat_redirects_to_the_waiting_room_and_remembers_it(client, topic, on_duty):
    response = client.post("/consultations/", {"topic": "hundesteuer", "channel": "chat"})
    consultation = Consultation.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/c/{consultation.public_token}/"
    room = client.get(response["Location"])
    assert room.status_code == 200
    assert 'role="status"' in room.content.decode()
    start_again = client.get("/").content.decode()
    assert f"/c/{consultation.public_token}/" in start_again  # "return to your consultation"


@pytest.mark.parametrize(
    "data", [{}, {"topic": "nope", "channel": "chat"}, {"topic": "hundesteuer", "channel": "fax"}]
)
def test_a_bad_start_form_is_refused_with_an_alert_and_creates_nothing(client, topic, data):
    response = client.post("/consultations/", data)
    assert response.status_code == 400
    assert 'role="alert"' in response.content.decode()
    assert Consultation.objects.count() == 0


def test_forms_need_the_csrf_token(topic):
    strict = Client(enforce_csrf_checks=True)
    response = strict.post("/consultations/", {"topic": "hundesteuer", "channel": "chat"})
    assert response.status_code == 403
    assert Consultation.objects.count() == 0


def test_leaving_via_the_form_abandons(client, topic, on_duty):
    client.post("/consultations/", {"topic": "hundesteuer", "channel": "chat"})
    consultation = Consultation.objects.get()
    response = client.post(f"/c/{consultation.public_token}/leave/")
    assert response.status_code == 302
    consultation.refresh_from_db()
    assert consultation.state == "abandoned"


def test_unknown_tokens_are_404(client, topic):
    assert client.get("/c/" + "x" * 43 + "/").status_code == 404
    assert client.post("/c/" + "x" * 43 + "/leave/").status_code == 404


def test_pages_send_a_strict_csp_and_permissions_policy(client, topic):
    response = client.get("/")
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert response["Permissions-Policy"].startswith("camera=(self), microphone=(self)")
    # The start page may be framed by the website widget: same origin only, unless
    # WIDGET_ALLOWED_ORIGINS names more (tests/unit/test_appointment_views.py).
    assert response["X-Frame-Options"] == "SAMEORIGIN"
    assert client.get("/console/login/")["X-Frame-Options"] == "DENY"
    html = response.content.decode()
    # No inline script (only JSON data blocks) and nothing from another host.
    assert not re.search(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", html)
    assert not re.search(r"""(src|href)=["']https?://""", html)


def test_console_is_for_clerks_only(client, topic, make_clerk, django_user_model):
    assert client.get("/console/").status_code == 302  # to the login
    nobody = django_user_model.objects.create_user(username="nobody", password="pw-nobody")
    login = client.post("/console/login/", {"username": "nobody", "password": "pw-nobody"})
    assert login.status_code == 200
    assert "weder zur Sachbearbeitung noch zur Leitung" in login.content.decode()
    client.force_login(nobody)
    assert client.get("/console/").status_code == 403
    make_clerk("anna", [topic])
    clerk_client = Client()
    response = clerk_client.post("/console/login/", {"username": "anna", "password": "pw-anna"})
    assert response.status_code == 302
    assert clerk_client.get(response["Location"]).url == "/console/"
    assert clerk_client.get("/console/").status_code == 200


def test_english_is_chosen_explicitly_not_by_browser_header(client, topic, on_duty):
    by_header = client.get("/", HTTP_ACCEPT_LANGUAGE="en")
    assert "Chat starten" in by_header.content.decode()
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    english = client.get("/").content.decode()
    assert '<html lang="en">' in english and "Start chat" in english


def test_healthz_reports_database_and_channel_layer(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["database"] == "ok" and body["channel_layer"] == "ok"
    assert body["database_vendor"] == "postgresql"
    expected = {"pubsub": "RedisPubSubChannelLayer", "core": "RedisChannelLayer"}
    assert body["channel_layer_backend"] == expected[settings.CHANNEL_LAYER]


def test_healthz_answers_503_when_the_database_fails(client, monkeypatch):
    from django.db import OperationalError

    from consult import health

    def broken() -> bool:
        raise OperationalError("down")

    monkeypatch.setattr(health, "database_ok", broken)
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert (body["status"], body["database"]) == ("error", "error: OperationalError")
    assert body["channel_layer"] == "ok"
