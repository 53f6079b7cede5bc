"""Manager pages: who may see them, what they show, what the exports contain."""

import csv
import io
from datetime import date

import pytest
from django.test import Client

from consult.consultations.models import Consultation

from .test_statistics import DAY, make

pytestmark = pytest.mark.django_db

PAGES = [
    "/statistics/",
    "/statistics/figures.csv",
    "/statistics/figures.xlsx",
    "/statistics/consultations.csv",
    "/statistics/wallboard/",
]


@pytest.fixture
def as_manager(manager):
    client = Client()
    client.force_login(manager)
    return client


@pytest.mark.parametrize("path", PAGES)
def test_citizens_and_clerks_get_403_managers_get_the_page(path, topic, make_clerk, manager):
    assert Client().get(path).status_code == 403
    clerk = Client()
    clerk.force_login(make_clerk("anna", [topic]))
    assert clerk.get(path).status_code == 403
    allowed = Client()
    allowed.force_login(manager)
    assert allowed.get(path).status_code == 200


def test_a_manager_logs_in_and_lands_on_the_statistics(manager):
    client = Client()
    response = client.post("/console/login/", {"username": "maria", "password": "pw-maria"})
    assert client.get(response["Location"])["Location"] == "/statistics/"


def test_dashboard_shows_the_figures_of_the_period(as_manager, topic, make_clerk):
    anna = make_clerk("anna", [topic])
    make(topic, "09:00:00", waited=20, handled=300, clerk=anna, rating=5)
    make(topic, "10:05:00", abandoned_after=120)
    page = as_manager.get("/statistics/", {"start": DAY, "end": DAY, "service": 30})
    html = page.content.decode()
    assert page.status_code == 200
    assert "Servicelevel (30 s)" in html and "50 %" in html  # 1 of 2 within 30 s
    assert "<svg" in html and 'role="img"' in html  # the trend chart, with a table beside
    assert "Anna" in html and "Hundesteuer" in html


@pytest.mark.parametrize(
    "query",
    [
        {"start": "2026-03-10", "end": "2026-03-01"},
        {"start": "gestern"},
        {"start": "2020-01-01", "end": "2026-01-01"},
        {"service": "0"},
        {"topic": "999"},
        {"booking": "maybe"},
    ],
)
def test_bad_filters_are_refused_with_an_alert(as_manager, topic, query):
    response = as_manager.get("/statistics/", query)
    assert response.status_code == 400
    assert 'role="alert"' in response.content.decode()
    assert as_manager.get("/statistics/figures.csv", query).status_code == 400


def test_figures_export(as_manager, topic, make_clerk):
    anna = make_clerk("anna", [topic])
    make(topic, "09:00:00", waited=20, handled=300, clerk=anna)
    make(topic, "09:30:00", waited=40, handled=300, clerk=anna, channel="video", booked=True)
    response = as_manager.get("/statistics/figures.csv", {"start": DAY, "end": DAY, "service": 30})
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    total = rows[0]
    assert (total["group"], total["requested"], total["answered"]) == ("total", "2", "2")
    assert float(total["asa"]) == 30 and float(total["service_level"]) == 0.5
    assert {(r["group"], r["value"]) for r in rows[1:]} == {
        ("topic", "Hundesteuer"),
        ("channel", "chat"),
        ("channel", "video"),
        ("booking", "walk_in"),
        ("booking", "booked"),
    }
    booked = next(row for row in rows if row["value"] == "booked")
    assert (booked["requested"], float(booked["asa"])) == ("1", 40)


def test_consultations_export_has_no_personal_data(as_manager, topic, make_clerk):
    anna = make_clerk("anna", [topic])
    consultation = make(topic, "09:00:00", waited=20, handled=300, clerk=anna, rating=4)
    consultation.messages.create(seq=1, sender="citizen", body="Mein Name ist Erika Muster")
    response = as_manager.get(
        "/statistics/consultations.csv", {"start": DAY, "end": DAY, "service": 30}
    )
    text = b"".join(response.streaming_content).decode()
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 1
    assert rows[0]["wait_seconds"] == "20.0" and rows[0]["rating"] == "4"
    assert rows[0]["booked"] == "0"
    assert (
        "Erika" not in text and "anna" not in text.lower() and consultation.public_token not in text
    )
    assert set(rows[0]) == {
        "id",
        "topic",
        "channel",
        "booked",
        "state",
        "requested",
        "answered",
        "ended",
        "ended_by",
        "outcome",
        "wait_seconds",
        "handle_seconds",
        "rating",
    }


def test_empty_period_renders(as_manager):
    response = as_manager.get(
        "/statistics/", {"start": date(2025, 1, 1), "end": date(2025, 1, 2), "service": 30}
    )
    assert response.status_code == 200
    assert "Keine Beratungen in diesem Zeitraum." in response.content.decode()
    assert Consultation.objects.count() == 0


def test_dashboard_splits_walk_ins_from_appointments(as_manager, topic, make_clerk):
    anna = make_clerk("anna", [topic])
    make(topic, "09:00:00", waited=20, handled=300, clerk=anna)
    make(topic, "09:30:00", abandoned_after=120)
    make(topic, "10:00:00", waited=5, handled=600, clerk=anna, booked=True)
    query = {"start": DAY, "end": DAY, "service": 30}
    html = as_manager.get("/statistics/", query).content.decode()
    assert "Ohne oder mit Termin" in html  # the filter
    table = html.split("Nach Art: ohne Termin / mit Termin", 1)[1].split("</table>", 1)[0]
    walk_in = table.split('<th scope="row">Ohne Termin</th>', 1)[1].split("</tr>", 1)[0]
    booked = table.split('<th scope="row">Mit Termin</th>', 1)[1].split("</tr>", 1)[0]
    assert "<td>2</td><td>1</td><td>1</td>" in walk_in  # requested, answered, abandoned
    assert "<td>1</td><td>1</td><td>0</td>" in booked
    assert "100 %" in booked and "50 %" in walk_in  # service level
    only_booked = as_manager.get("/statistics/", {**query, "booking": "booked"}).content.decode()
    assert '<th scope="row">Ohne Termin</th>' not in only_booked
    assert '<option value="booked" selected>Mit Termin</option>' in only_booked


def test_figures_as_a_workbook_for_german_excel(as_manager, topic, make_clerk):
    """Issue 15: the .xlsx opens with openpyxl, its headers are German, shares carry a
    percent format and durations a minutes:seconds format, names rather than codes."""
    from openpyxl import load_workbook

    anna = make_clerk("anna", [topic])
    make(topic, "09:00:00", waited=20, handled=300, clerk=anna)
    make(topic, "09:30:00", waited=40, handled=300, clerk=anna, channel="video", booked=True)
    query = {"start": DAY, "end": DAY, "service": 30}
    response = as_manager.get("/statistics/figures.xlsx", query)
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="figures_{DAY}_{DAY}.xlsx"'
    sheet = load_workbook(io.BytesIO(response.content))["Kennzahlen"]
    rows = list(sheet.iter_rows())
    header = [cell.value for cell in rows[0]]
    assert header[:4] == ["Gruppe", "Name", "Angefragt", "Angenommen"]
    assert "Servicelevel (30 s)" in header
    assert "Mittlere Wartezeit bis Annahme (Min.:Sek.)" in header
    total = {name: cell for name, cell in zip(header, rows[1], strict=True)}
    assert (total["Gruppe"].value, total["Angefragt"].value) == ("Gesamt", 2)
    level = total["Servicelevel (30 s)"]
    assert (level.value, level.number_format) == (0.5, "0%")
    wait = total["Mittlere Wartezeit bis Annahme (Min.:Sek.)"]
    assert wait.number_format == "[m]:ss"
    assert wait.value.total_seconds() == pytest.approx(30)  # a time value: Excel shows 0:30
    assert {(row[0].value, row[1].value) for row in rows[2:]} == {
        ("Thema", "Hundesteuer"),
        ("Kanal", "Chat"),
        ("Kanal", "Video"),
        ("Art", "Ohne Termin"),
        ("Art", "Mit Termin"),
    }
