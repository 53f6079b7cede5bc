"""The front door's pages: start page states, catalogue, service page, navigator, the
waiting room's documents, refusals out of hours."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from consult.catalogue.models import OpeningHours
from consult.consultations.models import Consultation
from consult.queue import rooms
from consult.staff.models import StaffProfile

pytestmark = pytest.mark.django_db


def close_all_day(topic):
    """Opening hours that are never now: one minute at the start of each day."""
    for day in range(7):
        OpeningHours.objects.create(topic=topic, weekday=day, opens=time(0), closes=time(0, 1))


@pytest.fixture
def felix(catalogue, make_clerk):
    """Signed in for Hundesteuer and Allgemeine Anfrage (as the demo's felix serves them)."""
    from consult.catalogue.models import Topic

    return make_clerk("felix", list(Topic.objects.filter(slug__in=["hundesteuer", "allgemein"])))


def test_the_start_page_is_a_front_door(client, topic, on_duty, other_topic):
    close_all_day(other_topic)
    html = client.get("/").content.decode()
    assert 'role="search"' in html and "Was ist Ihr Anliegen?" in html
    assert 'href="/services/"' in html
    bauantrag, hundesteuer = html.split('id="topic-hundesteuer"')  # sorted by name
    assert "Jetzt geöffnet" in hundesteuer and "Chat starten" in hundesteuer
    assert "Jetzt geschlossen." in bauantrag and "Morgen ab 0:00 Uhr wieder geöffnet." in bauantrag
    assert "Anliegen hinterlassen" in bauantrag and "Chat starten" not in bauantrag


def test_open_around_the_clock_but_nobody_there_is_said_and_no_chat_starts(
    client, topic, make_clerk
):
    """Issue 14: Hundesteuer (no opening hours) offered "Chat starten" with nobody signed in,
    and the citizen waited for nobody. Signed in means available with a live console: an
    away clerk, an offline one and one whose console went silent take nobody."""
    make_clerk("anna", [topic], status="away")
    make_clerk("ben", [topic], status="offline")
    silent = make_clerk("clara", [topic])
    StaffProfile.objects.filter(user=silent).update(
        last_seen_at=timezone.now() - timedelta(minutes=5)
    )
    pages = ["/", "/widget/hundesteuer/"]
    for url in pages:
        html = client.get(url).content.decode()
        assert "Geöffnet, aber gerade ist niemand erreichbar." in html, url
        assert "Chat starten" not in html and 'href="/video/' not in html, url
        assert 'href="/requests/new/?topic=hundesteuer"' in html, url
    for refused in (
        client.post("/consultations/", {"topic": "hundesteuer", "channel": "chat"}),
        client.get("/video/hundesteuer/"),  # before the camera is asked for
    ):
        assert refused.status_code == 409
        html = refused.content.decode()
        assert 'role="alert"' in html and "Für dieses Thema ist gerade niemand erreichbar." in html
        assert 'href="/requests/new/?topic=hundesteuer"' in html
    assert Consultation.objects.count() == 0
    # A clerk signs in (their console beats): reachable, with the wait (once the topic's
    # cached live view is computed again: at most rooms.MAX_AGE_SECONDS later).
    StaffProfile.objects.filter(user=silent).update(last_seen_at=timezone.now())
    rooms.refresh_topic_view(topic.pk)
    for url in pages:
        html = client.get(url).content.decode()
        assert "Jetzt geöffnet" in html and "Chat starten" in html, url
        assert "Kaum Wartezeit." in html, url


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
    assert "Geöffnet, aber gerade ist niemand erreichbar." in html and "Chat starten" not in html
    response = client.post("/consultations/", {"topic": "hundesteuer", "channel": "chat"})
    assert response.status_code == 409
    refused = response.content.decode()
    assert "Die Beratung zu „Hundesteuer“ konnte nicht gestartet werden" in refused
    assert "Für dieses Thema ist gerade niemand erreichbar." in refused


def test_the_widget_offers_no_chat_for_a_closed_topic(client, topic, monkeypatch):
    """It offered "Chat starten" anyway, which ended on an error page."""
    sunday = datetime(2026, 3, 8, 10, 0, tzinfo=ZoneInfo("Europe/Berlin"))
    monkeypatch.setattr(timezone, "now", lambda: sunday)
    OpeningHours.objects.create(topic=topic, weekday=0, opens=time(8), closes=time(18))
    html = client.get("/widget/hundesteuer/").content.decode()
    assert "Chat starten" not in html
    assert "Jetzt geschlossen." in html and "Morgen ab 8:00 Uhr wieder geöffnet." in html
    assert 'href="/requests/new/?topic=hundesteuer"' in html  # a request, an appointment
    assert 'href="/termin/hundesteuer/"' in html


def test_when_a_closed_topic_opens_again_is_said_as_people_say_it(monkeypatch):
    """It said "Wieder geöffnet ab Dienstag, 1. Dezember, 08:00 Uhr" on that same Tuesday."""
    from frontend.templatetags.opening import opens_again

    berlin = ZoneInfo("Europe/Berlin")
    tuesday = datetime(2026, 12, 1, 6, 30, tzinfo=berlin)
    monkeypatch.setattr(timezone, "now", lambda: tuesday)
    assert opens_again(tuesday.replace(hour=8, minute=0)) == "Heute ab 8:00 Uhr wieder geöffnet."
    wednesday = datetime(2026, 12, 2, 8, 30, tzinfo=berlin)
    assert opens_again(wednesday) == "Morgen ab 8:30 Uhr wieder geöffnet."
    friday = datetime(2026, 12, 4, 13, 0, tzinfo=berlin)
    assert opens_again(friday) == "Wieder geöffnet am Freitag, 4. Dezember ab 13:00 Uhr."


def test_catalogue_groups_by_topic_and_a_to_z(client, catalogue):
    html = client.get("/services/").content.decode()
    assert "Nach Thema" in html and "Von A bis Z" in html
    assert 'href="#letter-F"' in html  # Fahrzeug zulassen, Führungszeugnis
    assert 'href="/services/hund-anmelden/"' in html


def test_the_service_page_has_the_key_facts_and_the_start_action(client, catalogue, felix):
    html = client.get("/services/hund-anmelden/").content.decode()
    for fact in ("Erforderliche Unterlagen", "Gebühren", "Bearbeitungsdauer", "Rechtsgrundlage"):
        assert fact in html
    assert "Steueramt" in html and "Rathausplatz 1" in html
    # Hundesteuer has no opening hours (always open) and felix is there: the start action is
    # a chat form for the service's topic that carries the service, and the device check.
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


def topic_box(html):
    """The navigator's "Ihr Thema für eine Beratung" box: the topic it routes a chat to."""
    if "Ihr Thema für eine Beratung" not in html:
        return None
    return html.split("Ihr Thema für eine Beratung: <strong>")[1].split("</strong>")[0]


@pytest.mark.parametrize(
    ("question", "topic", "service"),
    [
        # Issue 17: these went to Meldebescheinigung, Kfz-Zulassung, Personalausweis and
        # Baugenehmigung before the catalogue had their services.
        ("Lärm vom Nachbarn", "Ordnungsamt", "laermbelaestigung"),
        ("Schlagloch", "Straßen und Baustellen", "strassenschaden"),
        ("Angelschein", "Ordnungsamt", "fischereischein"),
        ("Aufenthaltstitel verlängern", "Ausländerbehörde", "aufenthaltserlaubnis"),
        ("Behindertenparkplatz vor meiner Wohnung", "Parken und Verkehr", "behindertenparkplatz"),
    ],
)
def test_the_navigator_routes_former_wrong_answers_to_their_own_topic(
    client, catalogue, question, topic, service
):
    html = client.get("/navigator/", {"q": question}).content.decode()
    assert topic_box(html) == topic  # the chat goes to the queue that answers it
    assert f'href="/services/{service}/"' in html
    assert "keine passende Leistung" not in html


@pytest.mark.parametrize("question", ["Handyvertrag kündigen", "Patent anmelden", "Xylophon"])
def test_without_a_fitting_service_the_navigator_says_so_and_offers_the_alternatives(
    client, catalogue, felix, question
):
    html = client.get("/navigator/", {"q": question}).content.decode()
    assert topic_box(html) is None  # no chat routed to a guessed queue
    assert '<p role="status">Dazu haben wir keine passende Leistung gefunden.</p>' in html
    # The general enquiry (a chat form for it, as the demo's topic has no hours here) ...
    form = html.split('<form method="post" action="/consultations/">')[1].split("</form>")[0]
    assert 'name="topic" value="allgemein"' in form and 'name="service"' not in form
    assert "Chat zum Thema „Allgemeine Anfrage“ starten" in form
    # ... a written request that takes the question along, and the catalogue.
    question_param = question.replace(" ", "%20").replace("ü", "%C3%BC")
    assert f'href="/requests/new/?topic=allgemein&amp;question={question_param}"' in html
    assert 'href="/services/"' in html
    request_form = client.get("/requests/new/", {"topic": "allgemein", "question": question})
    assert question in request_form.content.decode()


def test_without_the_general_topic_the_navigator_still_offers_request_and_catalogue(
    client, catalogue
):
    from consult.catalogue.models import Topic

    Topic.objects.filter(slug="allgemein").update(active=False)
    html = client.get("/navigator/", {"q": "Handyvertrag kündigen"}).content.decode()
    assert "Dazu haben wir keine passende Leistung gefunden." in html
    assert 'action="/consultations/"' not in html
    assert 'href="/requests/new/?question=Handyvertrag%20k%C3%BCndigen"' in html


def test_the_waiting_room_lists_the_documents_of_the_chosen_service(client, topic, on_duty):
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


def test_the_device_check_carries_the_service_and_ignores_a_malformed_one(
    client, topic, on_duty, other_topic
):
    from consult.catalogue.models import Service

    Service.objects.create(slug="hundesteuer-anmelden", name="…", topic=topic, description="…")
    Service.objects.create(slug="bauantrag-stellen", name="…", topic=other_topic, description="…")
    html = client.get("/video/hundesteuer/?service=hundesteuer-anmelden").content.decode()
    assert "devicecheck.js" in html
    # One form for video and chat (the button carries the channel), with the concern.
    assert html.count('action="/consultations/"') == 1
    assert html.count('name="service" value="hundesteuer-anmelden"') == 1
    assert 'name="channel" value="video"' in html and 'name="channel" value="chat"' in html
    assert 'name="concern"' in html
    for other in ("%3Cscript%3E", "bauantrag-stellen"):  # malformed; of another topic
        html = client.get(f"/video/hundesteuer/?service={other}").content.decode()
        assert 'name="service"' not in html and "<script>" not in html.split("</head>")[1]
    assert client.get("/video/gibt-es-nicht/").status_code == 404


def test_every_start_form_takes_an_optional_short_concern(client, catalogue, felix):
    """A text area with its limit as a visible hint, on the start page (per topic), the
    service page, the navigator's answer and the widget's topic page."""
    pages = {
        "/": 'id="concern-hundesteuer"',
        "/services/hund-anmelden/": 'id="concern-service"',
        "/navigator/?q=Ich+habe+einen+Hund+gekauft": 'id="concern-hundesteuer"',
        "/widget/hundesteuer/": 'id="concern-hundesteuer"',
    }
    for url, field in pages.items():
        html = client.get(url).content.decode()
        assert field in html, url
        area = html.split(field)[0].rsplit("<textarea", 1)[1] + html.split(field)[1]
        assert 'name="concern"' in area and 'maxlength="200"' in area, url
        assert "höchstens 200 Zeichen" in html, url


def start(client, **fields):
    return client.post("/consultations/", {"topic": "hundesteuer", "channel": "chat", **fields})


def test_the_start_form_takes_the_concern_to_the_queue(client, topic, on_duty):
    response = start(client, concern="Ich habe einen\r\nzweiten Hund.")
    assert response.status_code == 302
    consultation = Consultation.objects.get()
    assert consultation.concern == "Ich habe einen zweiten Hund."
    room = client.get(response["Location"]).content.decode()
    assert "Ihr Anliegen:" in room and "<q>Ich habe einen zweiten Hund.</q>" in room


@pytest.mark.parametrize(
    ("concern", "message"),
    [
        ("x" * 201, "höchstens 200 Zeichen"),  # Django's length message
        ("Hund\x00steuer", "Ihr Text enthält Zeichen, die nicht gespeichert werden können."),
    ],
)
def test_the_start_form_refuses_a_concern_too_long_or_not_storable(client, topic, concern, message):
    response = start(client, concern=concern)
    assert response.status_code == 400
    html = response.content.decode()
    assert 'role="alert"' in html and message in html
    assert not Consultation.objects.exists()


def test_a_line_break_counts_once_as_the_browser_counted_it(client, topic, on_duty):
    """A text area sends a line break as two characters; 200 typed characters still fit."""
    response = start(client, concern="x" * 99 + "\r\n" + "y" * 100)
    assert response.status_code == 302
    assert len(Consultation.objects.get().concern) == 200


def test_the_start_form_refuses_a_service_of_another_topic(client, topic, other_topic):
    from consult.catalogue.models import Service

    Service.objects.create(slug="bauantrag-stellen", name="…", topic=other_topic, description="…")
    response = start(client, service="bauantrag-stellen")
    assert response.status_code == 400
    assert "Diese Leistung gehört nicht zum gewählten Thema." in response.content.decode()
    assert not Consultation.objects.exists()
