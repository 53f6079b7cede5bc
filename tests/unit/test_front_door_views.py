"""The front door's pages: start page states, catalogue, service page, navigator, the
waiting room's documents, refusals out of hours."""

from datetime import datetime, time
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from consult.catalogue.models import OpeningHours
from consult.consultations.models import Consultation

pytestmark = pytest.mark.django_db


def close_all_day(topic):
    """Opening hours that are never now: one minute at the start of each day."""
    for day in range(7):
        OpeningHours.objects.create(topic=topic, weekday=day, opens=time(0), closes=time(0, 1))


def test_the_start_page_is_a_front_door(client, topic, other_topic):
    close_all_day(other_topic)
    html = client.get("/").content.decode()
    assert 'role="search"' in html and "Was ist Ihr Anliegen?" in html
    assert 'href="/services/"' in html
    bauantrag, hundesteuer = html.split('id="topic-hundesteuer"')  # sorted by name
    assert "Jetzt geöffnet" in hundesteuer and "Chat starten" in hundesteuer
    assert "Jetzt geschlossen." in bauantrag and "Wieder geöffnet ab" in bauantrag
    assert "Anliegen hinterlassen" in bauantrag and "Chat starten" not in bauantrag


def test_starting_a_closed_topic_is_refused_with_the_alternatives(client, other_topic):
    close_all_day(other_topic)
    response = client.post("/consultations/", {"topic": "bauantrag", "channel": "chat"})
    assert response.status_code == 409
    html = response.content.decode()
    assert 'role="alert"' in html and "Die Beratung zu „Bauantrag“ konnte nicht" in html
    assert "Dieses Thema ist gerade geschlossen." in html  # the catalogue's text
    assert 'href="/requests/new/?topic=bauantrag"' in html and 'href="/services/"' in html
    assert Consultation.objects.count() == 0


def test_a_topic_with_hours_and_nobody_signed_in_offers_a_request(
    client, topic, make_clerk, monkeypatch
):
    monday_morning = datetime(2026, 3, 9, 10, 0, tzinfo=ZoneInfo("Europe/Berlin"))
    monkeypatch.setattr(timezone, "now", lambda: monday_morning)
    OpeningHours.objects.create(topic=topic, weekday=0, opens=time(8), closes=time(18))
    make_clerk("anna", [topic], status="offline")
    html = client.get("/").content.decode()
    assert "Zurzeit ist niemand erreichbar." in html and "Chat starten" not in html
    response = client.post("/consultations/", {"topic": "hundesteuer", "channel": "chat"})
    assert response.status_code == 409
    refused = response.content.decode()
    assert "Die Beratung zu „Hundesteuer“ konnte nicht gestartet werden" in refused
    assert "Für dieses Thema ist gerade niemand erreichbar." in refused


def test_catalogue_groups_by_topic_and_a_to_z(client, catalogue):
    html = client.get("/services/").content.decode()
    assert "Nach Thema" in html and "Von A bis Z" in html
    assert 'href="#letter-F"' in html  # Fahrzeug zulassen, Führungszeugnis
    assert 'href="/services/hund-anmelden/"' in html


def test_the_service_page_has_the_key_facts_and_the_start_action(client, catalogue):
    html = client.get("/services/hund-anmelden/").content.decode()
    for fact in ("Erforderliche Unterlagen", "Gebühren", "Bearbeitungsdauer", "Rechtsgrundlage"):
        assert fact in html
    assert "Steueramt" in html and "Rathausplatz 1" in html
    # Hundesteuer has no opening hours (always open): the start action is a chat form for
    # the service's topic that carries the service, and the device check with the service.
    form = html.split('<form method="post" action="/consultations/">')[1].split("</form>")[0]
    assert 'name="topic" value="hundesteuer"' in form
    assert 'name="service" value="hund-anmelden"' in form
    assert "Chat zu diesem Thema starten" in form
    assert 'href="/video/hundesteuer/?service=hund-anmelden"' in form
    assert 'href="/requests/new/?topic=hundesteuer"' not in html  # no closed-topic fallback
    assert client.get("/services/gibt-es-nicht/").status_code == 404


def test_the_service_page_of_a_closed_topic_offers_the_alternatives(client, catalogue):
    from consult.catalogue.models import Topic

    close_all_day(Topic.objects.get(slug="hundesteuer"))
    html = client.get("/services/hund-anmelden/").content.decode()
    assert "Jetzt geschlossen." in html
    assert 'action="/consultations/"' not in html and 'href="/video/' not in html
    assert 'href="/requests/new/?topic=hundesteuer"' in html
    assert 'href="/termin/hundesteuer/"' in html


def test_the_navigator_answers_with_services_and_the_topic(client, catalogue):
    response = client.get("/navigator/", {"q": "Ich habe einen Hund gekauft"})
    html = response.content.decode()
    assert response.status_code == 200
    assert html.index("Hund anmelden (Hundesteuer)") < html.index("Hund abmelden")
    assert "Ihr Thema für eine Beratung: <strong>Hundesteuer</strong>" in html
    nothing = client.get("/navigator/", {"q": "Xylophonquartett"}).content.decode()
    assert "keine passende Leistung" in nothing
    assert client.get("/navigator/", {"q": "x" * 301}).status_code == 400
    first_visit = client.get("/navigator/")
    assert first_visit.status_code == 200 and 'role="alert"' not in first_visit.content.decode()


def test_the_waiting_room_lists_the_documents_of_the_chosen_service(client, topic):
    from consult.catalogue.models import Service

    Service.objects.create(
        slug="hund-anmelden",
        name="Hund anmelden",
        topic=topic,
        description="…",
        required_documents=["Personalausweis", "Chipnummer des Hundes"],
    )
    Service.objects.create(
        slug="hund-abmelden",
        name="Hund abmelden",
        topic=topic,
        description="…",
        required_documents=["Hundesteuermarke"],
    )
    started = client.post(
        "/consultations/", {"topic": "hundesteuer", "channel": "chat", "service": "hund-anmelden"}
    )
    room = client.get(started["Location"]).content.decode()
    assert "Bitte halten Sie diese Unterlagen bereit" in room
    assert "Chipnummer des Hundes" in room and "Hundesteuermarke" not in room
    other = client.post("/consultations/", {"topic": "hundesteuer", "channel": "chat"})
    room = client.get(other["Location"]).content.decode()
    assert "Chipnummer des Hundes" in room and "Hundesteuermarke" in room


def test_the_device_check_refuses_a_closed_topic_before_asking_for_the_camera(client, other_topic):
    close_all_day(other_topic)
    response = client.get("/video/bauantrag/")
    assert response.status_code == 409
    html = response.content.decode()
    assert "Die Beratung zu „Bauantrag“ konnte nicht gestartet werden" in html
    assert "Dieses Thema ist gerade geschlossen." in html
    assert "devicecheck.js" not in html


def test_the_device_check_carries_the_service_and_ignores_a_malformed_one(client, topic):
    html = client.get("/video/hundesteuer/?service=hundesteuer-anmelden").content.decode()
    assert "devicecheck.js" in html
    assert html.count('name="service" value="hundesteuer-anmelden"') == 2  # video and chat
    html = client.get("/video/hundesteuer/?service=%3Cscript%3E").content.decode()
    assert 'name="service"' not in html and "<script>" not in html.split("</head>")[1]
    assert client.get("/video/gibt-es-nicht/").status_code == 404
