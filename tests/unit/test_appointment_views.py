"""The booking pages and the embedding headers, through Django's test client."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from consult.appointments.models import Appointment
from frontend.appointment_forms import slot_value
from tests.appointment_helpers import available, local, next_weekday

pytestmark = pytest.mark.django_db


@pytest.fixture
def day(topic, make_clerk):
    available(make_clerk("anna", [topic]), 0, "09:00", "10:00")
    return next_weekday(0)


def test_the_start_page_links_each_topic_to_booking(client, topic):
    page = client.get("/").content.decode()
    assert reverse("appointments:book", args=[topic.slug]) in page


def test_booking_page_lists_days_and_times(client, topic, day):
    url = reverse("appointments:book", args=[topic.slug])
    page = client.get(url, {"day": day.isoformat()}).content.decode()
    assert f'value="{slot_value(local(day, "09:15"))}"' in page
    assert "Termin buchen" in page
    assert 'name="concern"' in page and 'maxlength="200"' in page


def test_the_concern_is_booked_along_and_checked(client, topic, day):
    url = reverse("appointments:book", args=[topic.slug])
    data = {
        "day": day.isoformat(),
        "slot": slot_value(local(day, "09:15")),
        "name": "Erika",
        "email": "erika@example.org",
        "concern": "x" * 201,
    }
    refused = client.post(url, data).content.decode()
    assert 'href="#id_concern"' in refused and not Appointment.objects.exists()
    client.post(url, {**data, "concern": "Hund verstorben"})
    assert Appointment.objects.get().concern == "Hund verstorben"


def test_invalid_details_are_reported_and_book_nothing(client, topic, day):
    url = reverse("appointments:book", args=[topic.slug])
    response = client.post(
        url,
        {"day": day.isoformat(), "slot": slot_value(local(day, "09:15")), "name": "", "email": "x"},
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert 'role="alert"' in page and 'aria-invalid="true"' in page
    assert "Bitte prüfen Sie Ihre Angaben" in page
    # The summary names each field and links to it (it said "Dieses Feld ist zwingend
    # erforderlich." without saying which).
    assert '<a href="#id_name">Ihr Name</a>: Dieses Feld ist zwingend erforderlich.' in page
    assert '<a href="#id_email">E-Mail-Adresse</a>:' in page
    assert not Appointment.objects.exists()


def test_a_taken_slot_gets_a_clear_message(client, topic, day):
    url = reverse("appointments:book", args=[topic.slug])
    data = {
        "day": day.isoformat(),
        "slot": slot_value(local(day, "09:15")),
        "name": "Erika",
        "email": "erika@example.org",
    }
    first = client.post(url, data)
    assert first.status_code == 302
    token = Appointment.objects.get().token
    assert first["Location"] == reverse("appointments:confirmed", args=[token])
    again = client.post(url, data)
    assert again.status_code == 200
    assert "Diese Uhrzeit ist nicht mehr frei" in again.content.decode()
    assert Appointment.objects.count() == 1


def test_manage_cancel_and_unknown_link(client, topic, day):
    url = reverse("appointments:book", args=[topic.slug])
    client.post(
        url,
        {
            "day": day.isoformat(),
            "slot": slot_value(local(day, "09:00")),
            "name": "Erika",
            "email": "erika@example.org",
        },
    )
    token = Appointment.objects.get().token
    manage = client.get(reverse("appointments:manage", args=[token])).content.decode()
    assert "Termin absagen" in manage and "Jetzt teilnehmen" not in manage
    ask = client.get(reverse("appointments:cancel", args=[token])).content.decode()
    assert "Termin absagen?" in ask and "Ja, Termin absagen" in ask  # asks once …
    assert Appointment.objects.get().state == "booked"  # … and the question changes nothing
    client.post(reverse("appointments:cancel", args=[token]))
    assert Appointment.objects.get().state == "cancelled"
    assert (
        "Dieser Termin ist abgesagt"
        in client.get(reverse("appointments:manage", args=[token])).content.decode()
    )
    assert client.get(reverse("appointments:manage", args=["x" * 43])).status_code == 404


def test_a_started_appointment_offers_no_change_and_refuses_one(client, topic, day):
    """The page and the writers ask the same predicate (slots.is_changeable)."""
    client.post(
        reverse("appointments:book", args=[topic.slug]),
        {
            "day": day.isoformat(),
            "slot": slot_value(local(day, "09:00")),
            "name": "Erika",
            "email": "erika@example.org",
        },
    )
    appointment = Appointment.objects.get()
    started = timezone.now() - timedelta(minutes=1)
    Appointment.objects.filter(pk=appointment.pk).update(
        starts_at=started, ends_at=started + timedelta(minutes=15)
    )
    manage = client.get(reverse("appointments:manage", args=[appointment.token]))
    assert "Termin absagen" not in manage.content.decode()
    reschedule = client.get(reverse("appointments:reschedule", args=[appointment.token]))
    assert reschedule.status_code == 409
    assert "Dieser Termin kann nicht mehr geändert werden." in reschedule.content.decode()
    cancel = client.post(reverse("appointments:cancel", args=[appointment.token]))
    assert cancel.status_code == 409
    assert Appointment.objects.get().state == "booked"
    # Past the join period and not yet marked by the sweep: shown as missed.
    long_ago = timezone.now() - timedelta(hours=2)
    Appointment.objects.filter(pk=appointment.pk).update(
        starts_at=long_ago, ends_at=long_ago + timedelta(minutes=15)
    )
    page = client.get(reverse("appointments:manage", args=[appointment.token])).content.decode()
    assert "Die Zeit für diesen Termin ist vorbei." in page


ORIGIN = "https://www.musterstadt.de"


def test_embeddable_pages_allow_the_configured_origins(client, topic, settings):
    settings.WIDGET_ALLOWED_ORIGINS = [ORIGIN]
    for url in ["/", reverse("appointments:book", args=[topic.slug]), f"/widget/{topic.slug}/"]:
        response = client.get(url)
        assert response.status_code == 200
        assert f"frame-ancestors 'self' {ORIGIN}" in response["Content-Security-Policy"]
        assert "X-Frame-Options" not in response
        policy = response["Permissions-Policy"]
        assert f'camera=(self "{ORIGIN}")' in policy
        assert f'microphone=(self "{ORIGIN}")' in policy
    # Everything else stays unframeable.
    login = client.get(reverse("frontend:login"))
    assert "frame-ancestors 'none'" in login["Content-Security-Policy"]
    assert login["X-Frame-Options"] == "DENY"
    assert "camera=(self)" in login["Permissions-Policy"]


def test_without_origins_embeddable_pages_are_same_origin_only(client, settings):
    settings.WIDGET_ALLOWED_ORIGINS = []
    response = client.get("/")
    assert re.search(r"frame-ancestors 'self'(;|$)", response["Content-Security-Policy"])
    assert response["X-Frame-Options"] == "SAMEORIGIN"


def test_widget_script_is_served_for_other_sites(client):
    response = client.get("/widget.js")
    assert response["Content-Type"].startswith("text/javascript")
    assert response["Cross-Origin-Resource-Policy"] == "cross-origin"
    assert b"data-sprechstunde" in response.content
