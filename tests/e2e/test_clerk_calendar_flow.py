"""The clerk's side of appointments and requests in Chromium: the calendar page by keyboard,
its .ics subscription, and the live count of open callback requests. axe-core on each page."""

import re

import pytest
from icalendar import Calendar
from playwright.sync_api import expect

from tests.appointment_helpers import available, book, local, next_weekday

from .conftest import assert_accessible
from .test_chat_flow import log_in

pytestmark = pytest.mark.e2e


def test_a_clerk_reads_the_week_subscribes_and_sees_a_new_request_counted(pages, topic, make_clerk):
    anna = make_clerk("anna", [topic])
    available(anna, 0, "09:00", "10:00")
    day = next_weekday(0)
    book(topic, local(day, "09:15"))

    clerk = pages.new()
    log_in(clerk, "anna")
    badge = clerk.locator("#callbacks-badge")
    expect(badge).to_have_text("0 offen")

    # A citizen leaves a request: the console counts it without a reload.
    citizen = pages.new()
    citizen.goto("/requests/new/?topic=hundesteuer")
    citizen.get_by_label("Ihre Frage").fill("Muss ich den Hund ummelden?")
    citizen.get_by_label("E-Mail-Adresse").fill("erika@example.org")
    citizen.get_by_role("button", name="Anliegen senden").click()
    expect(citizen.get_by_role("status")).to_contain_text("Eine Bestätigung ist")
    expect(badge).to_have_text("1 offen")
    expect(clerk.get_by_role("region", name="Rückrufbitten")).to_contain_text(
        "Muss ich den Hund ummelden?"
    )

    # By keyboard to the calendar.
    link = clerk.get_by_role("link", name="Meine Termine (Kalender)")
    link.focus()
    clerk.keyboard.press("Enter")
    expect(clerk.get_by_role("heading", level=1)).to_have_text("Meine Termine")
    assert_accessible(clerk)
    clerk.goto(f"/console/calendar/?week={day.isoformat()}")
    table = clerk.get_by_role("table", name=re.compile("Termine am"))
    expect(table).to_contain_text("09:15–09:30")
    expect(table).to_contain_text("Erika Mustermann")
    assert_accessible(clerk)

    clerk.get_by_role("button", name="Kalender-Adresse erstellen").focus()
    clerk.keyboard.press("Enter")
    address = clerk.get_by_label(re.compile("Ihre Kalender-Adresse"))
    expect(address).to_be_visible()
    assert_accessible(clerk)
    url = address.input_value()
    response = clerk.request.get(url)
    assert response.ok and response.headers["content-type"].startswith("text/calendar")
    (event,) = Calendar.from_ical(response.body()).walk("VEVENT")
    assert str(event["summary"]) == "Termin: Hundesteuer"
    assert event.decoded("dtstart") == local(day, "09:15")
    clerk.get_by_role("button", name="Kalender-Adresse widerrufen").click()
    expect(clerk.get_by_text("Sie haben noch keine Kalender-Adresse.")).to_be_visible()
    assert clerk.request.get(url).status == 404
    assert pages.errors == []
