"""Routing in the browser: the ring, its timeout, and a console that goes away mid-chat.

The e2e server runs with a 3 s grace period and 0.5 s heartbeats (see conftest)."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from consult.consultations.models import Consultation
from consult.staff.models import StaffProfile

from .conftest import assert_accessible
from .test_chat_flow import log_in

pytestmark = pytest.mark.e2e


@pytest.fixture
def clerks(topic, make_clerk):
    topic.offer_timeout_seconds = 3
    topic.save()
    anna = make_clerk("anna", [topic], status="available")
    ben = make_clerk("ben", [topic], status="available")
    StaffProfile.objects.filter(user=anna).update(idle_since=timezone.now() - timedelta(hours=1))
    return anna, ben


def start_chat(pages):
    citizen = pages.new()
    citizen.goto("/")
    citizen.get_by_role("button", name="Chat starten", description="Hundesteuer").click()
    expect(citizen.locator("#position")).to_contain_text("Platz 1")
    return citizen


def anna_accepts_a_chat(pages):
    """Anna accepts a citizen's chat; the focus is in her reply box."""
    anna_page = pages.new()
    log_in(anna_page, "anna")
    citizen = start_chat(pages)
    anna_page.locator("#offer").get_by_role("button", name="Annehmen").click()
    expect(citizen.locator("#chat")).to_be_visible()
    panel = anna_page.locator(".chat-panel")
    reply = panel.get_by_label("Nachricht", exact=True)
    expect(reply).to_be_focused()
    return anna_page, citizen, panel, reply


def test_the_ring_times_out_and_moves_to_the_next_clerk(pages, clerks):
    anna_page, ben_page = pages.new(), pages.new()
    log_in(anna_page, "anna")
    log_in(ben_page, "ben")
    citizen = start_chat(pages)
    expect(citizen.locator("#estimate")).to_have_text(
        "Geschätzte Wartezeit: weniger als eine Minute."
    )

    banner = anna_page.locator("#offer")
    expect(banner).to_be_visible()
    expect(anna_page.get_by_role("alert").filter(has_text="Neue Anfrage")).to_have_text(
        "Neue Anfrage: Hundesteuer (Chat)."
    )
    expect(anna_page.locator("#offer-countdown")).to_have_text(re.compile(r"Noch \d s"))
    assert_accessible(anna_page)
    expect(ben_page.locator("#offer")).to_be_hidden()

    # Anna does not answer: after 3 s the offer moves on to Ben.
    expect(ben_page.locator("#offer")).to_be_visible(timeout=10_000)
    expect(banner).to_be_hidden()
    ben_page.locator("#offer").get_by_role("button", name="Annehmen").click()
    expect(citizen.get_by_role("log")).to_contain_text("Ben ist dem Gespräch beigetreten.")
    consultation = Consultation.objects.get()
    assert consultation.clerk.username == "ben"
    assert list(
        consultation.offers.order_by("created_at").values_list("clerk__username", "outcome")
    ) == [("anna", "expired"), ("ben", "accepted")]


def test_decline_rings_the_next_clerk(pages, clerks):
    anna_page, ben_page = pages.new(), pages.new()
    log_in(anna_page, "anna")
    log_in(ben_page, "ben")
    start_chat(pages)
    anna_page.locator("#offer").get_by_role("button", name="Ablehnen").click()
    expect(anna_page.locator("#offer")).to_be_hidden()
    expect(ben_page.locator("#offer")).to_be_visible()


def test_a_console_closed_mid_chat_puts_the_citizen_back_at_the_head(pages, clerks):
    anna_page = pages.new()
    log_in(anna_page, "anna")
    citizen = start_chat(pages)
    anna_page.locator("#offer").get_by_role("button", name="Annehmen").click()
    expect(citizen.locator("#chat")).to_be_visible()
    citizen.locator("#message").fill("Sind Sie noch da?")
    citizen.locator("#message").press("Enter")
    expect(anna_page.get_by_role("log")).to_contain_text("Sind Sie noch da?")

    anna_page.context.close()  # the clerk's browser is gone

    expect(citizen.get_by_role("log")).to_contain_text(
        "Die Verbindung zur Sachbearbeitung ist abgebrochen.", timeout=15_000
    )
    expect(citizen.locator("#waiting")).to_be_visible()
    expect(citizen.locator("#position")).to_have_text(
        "Sie sind an Platz 1 von 1 in der Warteschlange."
    )
    expect(citizen.get_by_role("log")).to_contain_text("Sind Sie noch da?")  # history stays
    # Nobody of the topic is there now: the place is kept, and a written question offered.
    expect(citizen.locator("#estimate")).to_have_text(
        "Zurzeit ist für dieses Thema niemand erreichbar. Sie behalten Ihren Platz."
    )
    expect(
        citizen.get_by_role(
            "heading", name=re.compile("Oder stellen Sie Ihre Frage jetzt schriftlich")
        )
    ).to_be_visible()
    expect(citizen.get_by_role("button", name="Als schriftliche Frage senden")).to_be_visible()
    assert_accessible(citizen)

    ben_page = pages.new()
    log_in(ben_page, "ben")
    expect(ben_page.locator("#offer")).to_be_visible()  # first in line for the next clerk
    ben_page.locator("#offer").get_by_role("button", name="Annehmen").click()
    # (The reply box stays while the chat waits again: wait for Ben, not for the box.)
    expect(citizen.get_by_role("log")).to_contain_text("Ben ist dem Gespräch beigetreten.")
    expect(citizen.locator("#waiting")).to_be_hidden()
    consultation = Consultation.objects.get()
    assert (consultation.state, consultation.clerk.username) == ("active", "ben")


def test_transfer_to_another_topic_in_the_console(pages, clerks, other_topic, make_clerk):
    make_clerk("carl", [other_topic], status="available")
    anna_page = pages.new()
    log_in(anna_page, "anna")
    citizen = start_chat(pages)
    anna_page.locator("#offer").get_by_role("button", name="Annehmen").click()
    expect(citizen.locator("#chat")).to_be_visible()
    anna_page.get_by_text("Weiterleiten", exact=True).click()
    anna_page.get_by_label("In die Warteschlange des Themas").select_option("bauantrag")
    assert_accessible(anna_page)
    anna_page.get_by_role("button", name="An Thema weiterleiten").click()
    expect(anna_page.locator(".chat-panel")).to_have_count(0)
    expect(citizen.get_by_role("log")).to_contain_text(
        "Das Gespräch wurde an Bauantrag weitergeleitet."
    )
    expect(citizen.locator("#position")).to_contain_text("Platz 1")
    carl_page = pages.new()
    log_in(carl_page, "carl")
    expect(carl_page.locator("#offer")).to_contain_text("Bauantrag")
