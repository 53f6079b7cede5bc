"""Citizen presence in the browser (issue 14): a closed tab leaves the queue after the grace
(5 s on the e2e server), a reload keeps the place, and the clerk sees a dropped connection."""

import re

import pytest
from playwright.sync_api import expect

from consult.consultations.models import Consultation
from consult.queue.models import Offer

from .conftest import assert_accessible
from .test_chat_flow import log_in

pytestmark = pytest.mark.e2e
LEFT_AFTER_MS = 20_000  # the 5 s grace, a 1 s sweep, and a slow machine


def start_chat(pages):
    citizen = pages.new()
    citizen.goto("/")
    citizen.get_by_role("button", name="Chat starten", description="Hundesteuer").click()
    expect(citizen).to_have_url(re.compile(r"/c/[\w-]{43}/$"))
    expect(citizen.locator("#connection")).to_have_text("Verbunden.")
    return citizen


def test_a_closed_tab_leaves_the_queue_and_a_reload_keeps_the_place(pages, topic, make_clerk):
    topic.offer_timeout_seconds = 300  # Anna's ring for the first lasts through the test
    topic.save()
    make_clerk("anna", [topic], status="available")
    clerk = pages.new()
    log_in(clerk, "anna")  # there: the topic is reachable
    stays = start_chat(pages)  # rings at Anna's console
    leaves = start_chat(pages)  # waits behind
    expect(clerk.locator("#queue li")).to_have_count(2)
    stays_id = Consultation.objects.get(public_token=stays.url.rstrip("/").split("/")[-1]).pk

    leaves.context.close()  # the tab is closed
    stays.reload()  # within the grace
    expect(stays.locator("#position")).to_have_text(
        "Sie sind an Platz 1 von 2 in der Warteschlange."
    )

    # The closed tab's entry leaves the clerk's queue; the reloaded one stays.
    expect(clerk.locator("#queue li")).to_have_count(1, timeout=LEFT_AFTER_MS)
    expect(clerk.locator("#queue li")).to_contain_text(f"#{stays_id}")
    expect(stays.locator("#position")).to_have_text(
        "Sie sind an Platz 1 von 1 in der Warteschlange."
    )
    ghost = Consultation.objects.exclude(pk=stays_id).get()
    assert (ghost.state, ghost.ended_by) == ("abandoned", "citizen")

    # Only the citizen who is there was ever offered.
    expect(clerk.locator("#offer")).to_be_visible()
    assert list(Offer.objects.values_list("consultation_id", flat=True)) == [stays_id]
    assert_accessible(clerk)


def test_the_clerk_sees_the_citizen_drop_and_come_back(pages, topic, make_clerk):
    make_clerk("anna", [topic], status="available")
    clerk = pages.new()
    log_in(clerk, "anna")
    citizen = start_chat(pages)
    clerk.locator("#offer").get_by_role("button", name="Annehmen").click()
    expect(citizen.locator("#message")).to_be_visible()
    citizen.locator("#message").fill("Meine Frage zur Hundesteuer")
    citizen.locator("#message").press("Enter")
    expect(clerk.get_by_role("log")).to_contain_text("Meine Frage zur Hundesteuer")
    room = citizen.url

    citizen.context.close()  # the citizen's network is gone
    presence = clerk.locator(".citizen-presence")
    expect(presence).to_contain_text("Verbindung zur Bürgerin / zum Bürger unterbrochen")
    assert_accessible(clerk)
    clerk.get_by_label("Nachricht", exact=True).fill("Sind Sie noch da?")
    clerk.get_by_role("button", name="Senden").click()

    back = pages.new()
    back.goto(room)
    expect(presence).to_have_text("Die Bürgerin oder der Bürger ist wieder verbunden.")
    log = back.get_by_role("log")
    expect(log).to_contain_text("Meine Frage zur Hundesteuer")
    expect(log).to_contain_text("Sind Sie noch da?")  # written while they were gone

    # A drop that lasts: the clerk ends with the outcome "aborted".
    back.context.close()
    expect(presence).to_contain_text("unterbrochen")
    clerk.get_by_label("Ergebnis").select_option("aborted")
    clerk.get_by_role("button", name="Beenden und Ergebnis festhalten").click()
    expect(clerk.locator("#no-chats")).to_be_visible()
    assert Consultation.objects.get().outcome == "aborted"
