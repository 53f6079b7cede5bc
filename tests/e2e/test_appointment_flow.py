"""Appointments in Chromium: book by keyboard, get the e-mail with the .ics, cancel; join at
the time ahead of walk-ins; the widget on another origin opens the start flow in a frame."""

import email
from datetime import timedelta
from email import policy
from pathlib import Path

import pytest
from django.utils import timezone
from icalendar import Calendar
from playwright.sync_api import expect

from consult.appointments.models import Appointment
from consult.catalogue.models import Topic
from tests.appointment_helpers import available, local, next_weekday

from .conftest import assert_accessible
from .test_chat_flow import sign_in

pytestmark = pytest.mark.e2e


def mails_to(folder: Path, address: str) -> list[email.message.EmailMessage]:
    found = []
    for path in sorted(folder.glob("*.log"), key=lambda p: p.stat().st_mtime):
        for raw in path.read_bytes().split(b"-" * 79 + b"\n"):
            if raw.strip():
                message = email.message_from_bytes(raw, policy=policy.default)
                if message["To"] == address:
                    found.append(message)
    return found


def calendar_of(message: email.message.EmailMessage) -> Calendar:
    (part,) = [p for p in message.walk() if p.get_content_type() == "text/calendar"]
    return Calendar.from_ical(part.get_payload(decode=True))


def test_citizen_books_by_keyboard_gets_the_ics_and_cancels(pages, topic, make_clerk, mail_folder):
    day = next_weekday(0)
    available(make_clerk("anna", [topic]), 0, "09:00", "10:00")
    citizen = pages.new()
    citizen.goto("/")
    citizen.get_by_role("link", name="Termin buchen").click()
    expect(citizen.get_by_role("heading", level=1)).to_have_text("Termin buchen: Hundesteuer")
    first_day = citizen.get_by_role("navigation").get_by_role("link").first
    expect(first_day).to_have_attribute("aria-current", "true")
    expect(first_day).to_contain_text(f"{day.day}. ")
    expect(first_day).to_contain_text("4 frei")
    assert_accessible(citizen)

    # Keyboard only: the time group is a radio group; arrows move, Enter submits.
    citizen.get_by_role("radio", name="09:00").focus()
    citizen.keyboard.press("ArrowDown")
    expect(citizen.get_by_role("radio", name="09:15")).to_be_checked()
    citizen.keyboard.press("Tab")
    citizen.keyboard.type("Erika Mustermann")
    citizen.keyboard.press("Tab")
    citizen.keyboard.type("erika")
    citizen.keyboard.press("Enter")
    expect(citizen.get_by_role("alert")).to_contain_text("gültige E-Mail-Adresse")
    assert_accessible(citizen)
    expect(citizen.get_by_role("radio", name="09:15")).to_be_checked()
    citizen.get_by_label("E-Mail-Adresse").fill("erika.e2e@example.org")
    citizen.get_by_label("E-Mail-Adresse").press("Enter")

    expect(citizen.get_by_role("heading", level=1)).to_have_text("Ihr Termin ist gebucht")
    expect(citizen.get_by_role("status")).to_contain_text("erika.e2e@example.org")
    assert_accessible(citizen)

    (confirmation,) = mails_to(mail_folder, "erika.e2e@example.org")
    assert confirmation["Subject"].strip().startswith("Termin bestätigt: Hundesteuer")
    event = calendar_of(confirmation).walk("VEVENT")[0]
    assert event.decoded("dtstart") == local(day, "09:15")
    appointment = Appointment.objects.get(email="erika.e2e@example.org")
    link = f"{pages.base_url}/termin/t/{appointment.token}/"
    assert link in confirmation.get_body(("plain",)).get_content()

    citizen.goto(link)
    expect(citizen.get_by_role("heading", level=1)).to_have_text("Ihr Termin")
    assert_accessible(citizen)

    # Reschedule to 09:45: a new e-mail with the moved calendar entry.
    citizen.get_by_role("link", name="Verschieben").click()
    expect(citizen.get_by_role("heading", level=1)).to_have_text("Termin verschieben")
    assert_accessible(citizen)
    citizen.get_by_role("radio", name="09:45").check()
    citizen.get_by_role("button", name="Termin verschieben").click()
    expect(citizen.get_by_role("heading", level=1)).to_have_text("Ihr Termin wurde verschoben")
    expect(citizen.get_by_role("status")).to_contain_text("09:45")
    moved = mails_to(mail_folder, "erika.e2e@example.org")[-1]
    assert moved["Subject"].strip().startswith("Termin verschoben")
    event = calendar_of(moved).walk("VEVENT")[0]
    assert (event.decoded("dtstart"), event["sequence"]) == (local(day, "09:45"), 1)

    citizen.goto(link)
    citizen.get_by_role("link", name="Termin absagen").click()  # asks once
    expect(citizen.get_by_role("heading", level=1)).to_have_text("Termin absagen?")
    assert_accessible(citizen)
    citizen.get_by_role("button", name="Ja, Termin absagen").click()
    expect(citizen.get_by_role("status")).to_contain_text("Dieser Termin ist abgesagt.")
    assert_accessible(citizen)
    cancellation = mails_to(mail_folder, "erika.e2e@example.org")[-1]
    assert cancellation["Subject"].strip().startswith("Termin abgesagt")
    assert calendar_of(cancellation)["method"] == "CANCEL"


def test_booked_citizen_joins_ahead_of_walk_ins(pages, topic, make_clerk):
    topic.routing_mode = Topic.RoutingMode.MANUAL
    topic.save()
    anna = make_clerk("anna", [topic], status="offline")
    start = timezone.now() + timedelta(minutes=2)
    appointment = Appointment.objects.create(
        topic=topic,
        clerk=anna.staff_profile,
        starts_at=start,
        ends_at=start + timedelta(minutes=15),
        name="Erika",
        email="erika@example.org",
    )
    clerk = pages.new()
    sign_in(clerk, "anna")  # there: a walk-in may start (manual pick: nothing rings)
    walk_in = pages.new()
    walk_in.goto("/")
    walk_in.get_by_role("button", name="Chat starten").click()
    expect(walk_in.locator("#position")).to_have_text(
        "Sie sind an Platz 1 von 1 in der Warteschlange."
    )

    booked = pages.new()
    booked.goto(f"/termin/t/{appointment.token}/")
    assert_accessible(booked)
    booked.get_by_role("button", name="Jetzt teilnehmen").click()
    expect(booked.locator("#position")).to_have_text(
        "Sie sind an Platz 1 von 2 in der Warteschlange."
    )
    expect(walk_in.locator("#position")).to_have_text(
        "Sie sind an Platz 2 von 2 in der Warteschlange."
    )

    first = clerk.locator("#queue li").first
    expect(clerk.locator("#queue li")).to_have_count(2)
    first.get_by_role("button", name="Annehmen").click()
    expect(booked.get_by_role("log")).to_contain_text("Anna ist dem Gespräch beigetreten.")
    expect(walk_in.locator("#position")).to_have_text(
        "Sie sind an Platz 1 von 1 in der Warteschlange."
    )


HOST_PAGE = """<!doctype html>
<html lang="de">
<head><meta charset="utf-8"><link rel="icon" href="data:,">
<title>Stadt Musterstadt – Hundesteuer</title>
<script src="{origin}/widget.js" defer></script></head>
<body><main><h1>Hundesteuer</h1><p>Fragen? Sprechen Sie mit uns.</p>
<div data-sprechstunde data-topic="hundesteuer"></div></main></body>
</html>
"""


def test_widget_on_another_origin_opens_the_start_flow_in_a_frame(
    pages, topic, widget_host, make_clerk
):
    make_clerk("anna", [topic], status="offline")
    topic_page = pages.new()
    topic_page.goto(f"/widget/{topic.slug}/")  # nobody there: said, and no chat
    expect(topic_page.get_by_text("Geöffnet, aber gerade ist niemand erreichbar.")).to_be_visible()
    expect(topic_page.get_by_role("button", name="Chat starten")).to_have_count(0)
    assert_accessible(topic_page)
    sign_in(pages.new(), "anna")  # there: the widget offers the chat
    host_url, folder = widget_host
    (folder / "hundesteuer.html").write_text(HOST_PAGE.format(origin=pages.base_url))
    pages.other_hosts.add(host_url.split("://", 1)[1])
    topic_page.reload()
    expect(topic_page.get_by_role("button", name="Chat starten")).to_be_visible()
    assert_accessible(topic_page)  # what the frame shows
    page = pages.new()
    page.goto(f"{host_url}/hundesteuer.html")
    button = page.get_by_role("button", name="Online-Beratung")
    assert_accessible(page)
    button.click()
    dialog = page.get_by_role("dialog", name="Online-Beratung des Bürgerservice")
    expect(dialog).to_be_visible()
    frame_element = dialog.locator("iframe")
    expect(frame_element).to_have_attribute("allow", "camera; microphone")
    frame = page.frame_locator("iframe")
    expect(frame.get_by_role("heading", level=1)).to_have_text("Hundesteuer")
    assert_accessible(page)

    # The start flow works inside the frame: the chat starts, the waiting room shows.
    frame.get_by_role("button", name="Chat starten").click()
    expect(frame.locator("#position")).to_have_text(
        "Sie sind an Platz 1 von 1 in der Warteschlange."
    )
    # Escape inside the frame stays in the frame; the close button ends the dialog.
    dialog.get_by_role("button", name="Schließen").press("Enter")
    expect(dialog).to_have_count(0)
    expect(button).to_be_focused()
