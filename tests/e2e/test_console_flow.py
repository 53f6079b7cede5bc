"""The clerk console in the browser: keyboard focus across queue updates.

The e2e server runs with a 3 s grace period and 0.5 s heartbeats (see conftest)."""

import pytest
from playwright.sync_api import expect

from consult.catalogue.models import Topic

from .conftest import assert_accessible
from .test_chat_flow import log_in

pytestmark = pytest.mark.e2e


def arrive(pages, place):
    """A citizen starts a chat on Hundesteuer and waits at ``place``."""
    citizen = pages.new()
    citizen.goto("/")
    citizen.get_by_role("button", name="Chat starten", description="Hundesteuer").click()
    expect(citizen.locator("#position")).to_contain_text(f"Platz {place}")
    return citizen


@pytest.fixture
def manual_topic(topic):
    """Clerks pick by hand: the list, not an offer, is what changes."""
    topic.routing_mode = Topic.RoutingMode.MANUAL
    topic.save()
    return topic


def test_keyboard_focus_stays_on_accept_across_queue_updates(pages, manual_topic, make_clerk):
    make_clerk("anna", [manual_topic], status="available")
    first = arrive(pages, 1)
    clerk = pages.new()
    log_in(clerk, "anna")
    entries = clerk.locator("#queue li")
    expect(entries).to_have_count(1)
    accept_first = entries.first.get_by_role("button", name="Annehmen")
    accept_first.focus()
    clerk.evaluate("window.focusedBefore = document.activeElement")

    # A new citizen arrives: the list grows, focus stays on the very same button, and the
    # arrival is told once in the polite live region.
    second = arrive(pages, 2)
    expect(entries).to_have_count(2)
    expect(clerk.locator("#queue-announcer")).to_have_text("Neue Anfrage wartet: Hundesteuer.")
    assert clerk.locator("#queue-announcer").get_attribute("role") == "status"
    assert clerk.evaluate("document.activeElement === window.focusedBefore")
    expect(accept_first).to_be_focused()
    assert_accessible(clerk)

    # The focused entry leaves: focus goes to the next entry's button.
    first.get_by_role("button", name="Warteschlange verlassen").click()
    expect(entries).to_have_count(1)
    expect(entries.first.get_by_role("button", name="Annehmen")).to_be_focused()

    # The last one leaves: the list's heading.
    second.get_by_role("button", name="Warteschlange verlassen").click()
    expect(entries).to_have_count(0)
    expect(clerk.get_by_role("heading", name="Wartend")).to_be_focused()
