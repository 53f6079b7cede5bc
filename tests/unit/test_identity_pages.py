"""Issue 15: German error pages in the site's layout, the city's name and the legal pages."""

import re
from datetime import date

import pytest
from django.test import Client

from consult.catalogue import selectors as catalogue_selectors

LEGAL_LINKS = ('href="/impressum/"', 'href="/datenschutz/"', 'href="/barrierefreiheit/"')


def assert_in_layout(html: str, *, lang: str = "de") -> None:
    assert f'<html lang="{lang}">' in html
    assert 'class="site-header"' in html and 'class="site-footer"' in html
    for link in LEGAL_LINKS:
        assert link in html


def assert_ways_back(html: str) -> None:
    assert 'href="/"' in html
    assert 'href="/console/login/' in html


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path", ["/c/vertippt-123/", "/termin/t/" + "x" * 43 + "/", "/gibtsnicht/"]
)
def test_a_mistyped_link_gets_the_german_404_page(path):
    response = Client().get(path)
    assert response.status_code == 404
    html = response.content.decode()
    assert_in_layout(html)
    assert "Seite nicht gefunden" in html
    assert "Fehler 404" in html
    assert_ways_back(html)


@pytest.mark.django_db
def test_the_404_page_is_english_when_english_was_chosen(settings):
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = client.get("/c/vertippt-123/").content.decode()
    assert_in_layout(html, lang="en")
    assert "Page not found" in html


def test_a_manager_opening_the_console_gets_the_german_403_page(manager):
    client = Client()
    client.force_login(manager)
    response = client.get("/console/")
    assert response.status_code == 403
    html = response.content.decode()
    assert_in_layout(html)
    assert "Kein Zugriff" in html
    # A manager's way back is their own start page (the statistics), not a second login.
    assert 'href="/"' in html and 'href="/staff/"' in html


@pytest.mark.django_db
def test_a_citizen_opening_the_statistics_gets_the_403_page_with_the_login():
    response = Client().get("/statistics/")
    assert response.status_code == 403
    html = response.content.decode()
    assert_in_layout(html)
    assert_ways_back(html)
    assert 'href="/console/login/?next=/statistics/"' in html


@pytest.mark.django_db
def test_a_form_without_its_csrf_token_gets_the_german_403_page():
    response = Client(enforce_csrf_checks=True).post("/requests/new/", {"topic": "x"})
    assert response.status_code == 403
    html = response.content.decode()
    assert_in_layout(html)
    assert "Das Formular konnte nicht gesendet werden" in html
    assert_ways_back(html)


@pytest.mark.django_db
def test_a_failing_page_gets_the_german_500_page(monkeypatch):
    def boom() -> None:
        raise RuntimeError("forced")

    monkeypatch.setattr(catalogue_selectors, "topics_with_own_retention", boom)
    client = Client(raise_request_exception=False)
    response = client.get("/datenschutz/")
    assert response.status_code == 500
    html = response.content.decode()
    assert_in_layout(html)
    assert "Ein Fehler ist aufgetreten" in html
    assert "Fehler 500" in html
    assert_ways_back(html)
    assert "forced" not in html


@pytest.mark.django_db
def test_a_bad_request_gets_the_german_400_page():
    # A Host header outside ALLOWED_HOSTS is Django's standard 400 (SuspiciousOperation).
    response = Client(HTTP_HOST="evil.example").get("/")
    assert response.status_code == 400
    html = response.content.decode()
    assert_in_layout(html)
    assert "Fehler 400" in html


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path", ["/", "/services/", "/impressum/", "/datenschutz/", "/barrierefreiheit/"]
)
def test_every_page_shows_the_city_name_and_the_legal_links(path, settings):
    settings.CITY_NAME = "Neustadt an der Probe"
    html = Client().get(path).content.decode()
    assert "Stadt Neustadt an der Probe" in html
    assert_in_layout(html)


@pytest.mark.django_db
def test_the_logo_comes_from_our_own_origin(settings):
    html = Client().get("/").content.decode()
    logo = re.search(r'<img class="brand-logo" src="([^"]+)"', html)
    assert logo and logo.group(1).startswith("/static/")
    settings.CITY_LOGO = "/stadt/wappen.png"
    assert 'src="/stadt/wappen.png"' in Client().get("/").content.decode()


def periods(html: str) -> str:
    block = re.search(r'<ul class="retention-periods">(.*?)</ul>', html, re.S)
    assert block
    return " ".join(block.group(1).split())


@pytest.mark.django_db
def test_the_privacy_page_takes_its_periods_and_purpose_from_the_settings(settings):
    settings.RETENTION_DAYS = {
        "messages": 90,
        "recordings": 30,
        "callback_requests": 30,
        "appointments": 90,
    }
    html = Client().get("/datenschutz/").content.decode()
    text = periods(html)
    assert "Aufzeichnungen: 30 Tage nach dem Ende" in text
    assert "Rückrufbitten: 30 Tage nachdem sie erledigt sind" in text
    assert "Dokumentation der Beratung" in html

    settings.RETENTION_DAYS = {
        "messages": 14,
        "recordings": 1,
        "callback_requests": None,
        "appointments": 90,
    }
    settings.RECORDING_PURPOSE = "Nachweis der Beratung zum Bauantrag"
    html = Client().get("/datenschutz/").content.decode()
    text = periods(html)
    assert "Bewertung: 14 Tage nach dem Ende" in text
    assert "Aufzeichnungen: 1 Tag nach dem Ende" in text
    assert "Rückrufbitten: bis die Stadtverwaltung sie löscht" in text
    assert "30 Tage" not in text
    assert "Nachweis der Beratung zum Bauantrag" in html


@pytest.mark.django_db
def test_the_privacy_page_names_a_topics_own_periods(topic):
    topic.retention_overrides = {"messages": 7}
    topic.save()
    html = Client().get("/datenschutz/").content.decode()
    assert re.search(r"Hundesteuer:\s*Nachrichten 7 Tage", html)


@pytest.mark.django_db
def test_the_accessibility_statement_follows_the_eu_model(settings):
    settings.ACCESSIBILITY_CONTACT_EMAIL = "barrierefrei@neustadt.example"
    settings.ACCESSIBILITY_STATEMENT_DATE = date(2027, 3, 1)
    html = Client().get("/barrierefreiheit/").content.decode()
    for heading in (
        "Stand der Vereinbarkeit mit den Anforderungen",
        "Nicht barrierefreie Inhalte",
        "Erstellung dieser Erklärung",
        "Feedback und Kontaktangaben",
        "Durchsetzungsverfahren",
    ):
        assert f"<h2>{heading}</h2>" in html
    assert "WCAG) 2.2" in html and "axe-core" in html
    assert "§ 16" in html
    assert "mailto:barrierefrei@neustadt.example" in html
    assert "am 01.03.2027 erstellt" in html


@pytest.mark.django_db
def test_the_imprint_names_the_city_as_a_public_body_and_marks_the_example(settings):
    html = Client().get("/impressum/").content.decode()
    assert "§ 5 Digitale-Dienste-Gesetz" in html
    assert "Körperschaft des öffentlichen Rechts" in html
    assert "Beispielangaben" in html
    settings.CITY_NAME = "Neustadt"
    assert "Beispielangaben" not in Client().get("/impressum/").content.decode()


@pytest.mark.django_db
def test_legal_pages_in_english_say_the_text_is_german_only(settings):
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = client.get("/datenschutz/").content.decode()
    assert_in_layout(html, lang="en")
    assert "German only" in html
    assert '<div class="legal-text" lang="de">' in html


@pytest.mark.django_db
def test_a_city_replaces_a_legal_text_with_its_own_template(settings, tmp_path):
    folder = tmp_path / "frontend" / "legal"
    folder.mkdir(parents=True)
    (folder / "imprint.html").write_text(
        '{% extends "frontend/base.html" %}{% block content %}<h1>Impressum der Stadt</h1>'
        "{% endblock %}",
        encoding="utf-8",
    )
    settings.TEMPLATES = [
        {**settings.TEMPLATES[0], "DIRS": [tmp_path, *settings.TEMPLATES[0]["DIRS"]]}
    ]
    html = Client().get("/impressum/").content.decode()
    assert "Impressum der Stadt" in html
    assert_in_layout(html)


@pytest.mark.django_db
def test_the_request_form_says_how_long_a_done_request_is_kept(settings):
    settings.RETENTION_DAYS = {**settings.RETENTION_DAYS, "callback_requests": 30}
    html = Client().get("/requests/new/").content.decode()
    assert "löschen sie 30 Tage, nachdem es erledigt ist" in html
    assert 'href="/datenschutz/"' in html
    settings.RETENTION_DAYS = {**settings.RETENTION_DAYS, "callback_requests": 1}
    assert "löschen sie 1 Tag, nachdem" in Client().get("/requests/new/").content.decode()


@pytest.mark.django_db
def test_the_privacy_page_says_what_happens_to_shared_documents(settings):
    html = " ".join(Client().get("/datenschutz/").content.decode().split())
    assert "Dokumente im Chat" in html
    assert "PDF, JPEG, PNG, bis 10,0 MB, höchstens 20 je Beratung" in html
    assert "ohne Standort (GPS)" in html
    assert "Eine Prüfung auf Schadsoftware findet auf diesem Server nicht statt" in html
    settings.DOCUMENTS_CLAMD = "/run/clamav/clamd.ctl"
    html = " ".join(Client().get("/datenschutz/").content.decode().split())
    assert "auf Schadsoftware geprüft (ClamAV)" in html
