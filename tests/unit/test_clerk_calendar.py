"""The clerk's calendar in the console and their personal .ics subscription feed."""

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from icalendar import Calendar

from consult.appointments import booking, ics
from consult.appointments.models import Appointment
from consult.staff.models import StaffProfile
from tests.appointment_helpers import available, book, local

pytestmark = pytest.mark.django_db

MONDAY = 0


def feed_url(client):
    """Make a calendar address from the calendar page and read it from the page."""
    response = client.post("/console/calendar/feed/new/")
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    (url,) = re.findall(r'id="feed-url"[^>]*value="([^"]+)"', page)
    return url.removeprefix("http://127.0.0.1:8000")


def events(response):
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    return Calendar.from_ical(response.content).walk("VEVENT")


def test_the_console_links_the_calendar_which_lists_the_clerks_week(
    client, topic, anna, day, make_clerk
):
    mine = book(topic, local(day, "09:15"), concern="Hund  verstorben,\r\nwas nun?")
    ben = make_clerk("ben", [topic])
    available(ben, MONDAY, "09:00", "10:00")
    theirs = book(topic, local(day, "09:15"), name="Max Meier")
    assert theirs.clerk.user == ben
    cancelled = book(topic, local(day, "09:30"), name="Gerda Storniert")
    booking.cancel_appointment(token=cancelled.token)
    client.force_login(anna)
    assert 'href="/console/calendar/"' in client.get("/console/").content.decode()
    page = client.get("/console/calendar/", {"week": day.isoformat()}).content.decode()
    assert "Meine Termine" in page and "<h2" in page and "<h3" in page
    assert '<th scope="row">09:15–09:30</th>' in page
    assert "Erika Mustermann" in page and "Hundesteuer" in page
    assert "„Hund verstorben, was nun?“" in page
    assert "Max Meier" not in page and "Gerda Storniert" not in page
    assert f"?week={(day - timedelta(days=7)).isoformat()}" in page
    assert mine.state == Appointment.State.BOOKED


def test_a_joined_appointment_offers_to_begin_the_conversation(client, topic, anna, settings):
    now = timezone.now()
    appointment = Appointment.objects.create(
        topic=topic,
        clerk=anna.staff_profile,
        starts_at=now + timedelta(minutes=2),
        ends_at=now + timedelta(minutes=17),
        name="Erika Mustermann",
        email="erika@example.org",
    )
    StaffProfile.objects.filter(user=anna).update(status="away")  # no ring: it waits
    booking.join_appointment(token=appointment.token, now=now)
    client.force_login(anna)
    page = client.get("/console/calendar/").content.decode()
    assert "Die Bürgerin oder der Bürger wartet." in page
    assert 'href="/console/#queue-heading"' in page and "Gespräch beginnen" in page


def test_only_clerks_see_a_calendar(client, django_user_model):
    assert client.get("/console/calendar/").status_code == 302  # to the login
    client.force_login(django_user_model.objects.create_user(username="maria"))
    assert client.get("/console/calendar/").status_code == 403
    assert client.post("/console/calendar/feed/new/").status_code == 403


def test_the_feed_lists_appointments_neutrally_with_stable_uids(client, topic, anna, day):
    kept = book(topic, local(day, "09:15"), concern="Hund verstorben")
    cancelled = book(topic, local(day, "09:30"))
    booking.cancel_appointment(token=cancelled.token)
    client.force_login(anna)
    url = feed_url(client)
    anonymous = Client()  # a calendar program has no session
    response = anonymous.get(url)
    by_uid = {str(event["uid"]): event for event in events(response)}
    assert set(by_uid) == {ics.uid(kept), ics.uid(cancelled)}
    event = by_uid[ics.uid(kept)]
    assert event.decoded("dtstart") == local(day, "09:15")
    assert event.decoded("dtend") == local(day, "09:30")
    assert str(event["summary"]) == "Termin: Hundesteuer"
    assert str(event["status"]) == "CONFIRMED"
    assert str(by_uid[ics.uid(cancelled)]["status"]) == "CANCELLED"
    body = response.content.decode()
    assert "Erika" not in body and "erika@example.org" not in body and "verstorben" not in body
    # A reschedule keeps the UID and raises SEQUENCE.
    booking.reschedule_appointment(token=kept.token, starts_at=local(day, "09:45"))
    moved = {str(e["uid"]): e for e in events(anonymous.get(url))}[ics.uid(kept)]
    assert moved.decoded("dtstart") == local(day, "09:45")
    assert int(moved["sequence"]) == 1


def test_the_address_is_shown_once_and_a_new_one_or_revoking_ends_the_old(client, anna):
    client.force_login(anna)
    first = feed_url(client)
    assert 'id="feed-url"' not in client.get("/console/calendar/").content.decode()
    assert Client().get(first).status_code == 200
    profile = StaffProfile.objects.get(user=anna)
    assert first.rsplit("/", 1)[-1].removesuffix(".ics") not in profile.calendar_feed_hash
    second = feed_url(client)
    assert second != first
    assert Client().get(first).status_code == 404
    assert Client().get(second).status_code == 200
    assert client.post("/console/calendar/feed/revoke/").status_code == 302
    assert Client().get(second).status_code == 404
    assert Client().get("/console/calendar/wrong.ics").status_code == 404


def test_the_feed_forms_need_the_csrf_token(anna):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(anna)
    assert browser.post("/console/calendar/feed/new/").status_code == 403
    assert browser.post("/console/calendar/feed/revoke/").status_code == 403
