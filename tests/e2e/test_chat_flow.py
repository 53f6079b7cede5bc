"""A citizen and a clerk really chat, in two Chromium contexts."""

import re

import pytest
from playwright.sync_api import expect

from consult.consultations.models import Consultation

from .conftest import assert_accessible

pytestmark = pytest.mark.e2e


@pytest.fixture
def anna(topic, make_clerk):
    return make_clerk("anna", [topic], status="offline")


def log_in(page, username):
    page.goto("/console/login/")
    page.get_by_label("Benutzername").fill(username)
    page.get_by_label("Passwort").fill("pw-" + username)
    page.get_by_role("button", name="Anmelden").click()
    expect(page.get_by_role("heading", name=re.compile("Konsole"))).to_be_visible()
    # Connected: the console's socket noted the clerk present (their topics are reachable
    # while it beats, if they are available).
    expect(page.locator("#connection")).to_have_text("Verbunden.")


def sign_in(page, username):
    """The clerk logs in and is *Verfügbar*: while their console beats, their topics are
    reachable and a citizen may start (consult/catalogue/hours.py)."""
    log_in(page, username)
    status = page.get_by_label("Mein Status")
    if status.input_value() != "available":
        status.select_option("available")
    expect(status).to_have_value("available")
    # The server's snapshot confirmed it (the console marks the change busy until then):
    # only then is the topic reachable.
    expect(status).not_to_have_attribute("aria-busy", "true")


def test_citizen_and_clerk_chat_end_to_end(pages, topic, anna):
    citizen = pages.new()
    citizen.goto("/")
    expect(citizen.get_by_role("heading", level=1)).to_have_text("Wie können wir Ihnen helfen?")
    # Nobody signed in: open around the clock, but no chat that would wait for nobody.
    expect(citizen.locator(".topic-card")).to_contain_text(
        "Geöffnet, aber gerade ist niemand erreichbar."
    )
    expect(citizen.get_by_role("button", name="Chat starten")).to_have_count(0)
    assert_accessible(citizen)

    clerk = pages.new()
    log_in(clerk, "anna")
    expect(clerk.locator("#connection")).to_have_text("Verbunden.")
    assert_accessible(clerk)
    clerk.get_by_label("Mein Status").select_option("available")
    expect(clerk.get_by_label("Mein Status")).to_have_value("available")
    expect(clerk.get_by_label("Mein Status")).not_to_have_attribute("aria-busy", "true")

    citizen.reload()  # Anna is there now
    expect(citizen.locator(".topic-card")).to_contain_text("Jetzt geöffnet")
    citizen.get_by_role("button", name="Chat starten").click()
    expect(citizen).to_have_url(re.compile(r"/c/[\w-]{43}/$"))
    position = citizen.locator("#position")
    expect(position).to_have_text("Sie sind an Platz 1 von 1 in der Warteschlange.")
    assert_accessible(citizen)

    # Reloading keeps the place.
    citizen.reload()
    expect(position).to_have_text("Sie sind an Platz 1 von 1 in der Warteschlange.")

    queue_item = clerk.locator("#queue li")
    expect(queue_item).to_have_count(1)
    expect(queue_item).to_contain_text("Hundesteuer")
    queue_item.get_by_role("button", name="Annehmen").click()

    expect(citizen.locator("#chat")).to_be_visible()
    expect(citizen.get_by_role("log")).to_contain_text("Anna ist dem Gespräch beigetreten.")
    expect(citizen.locator("#message")).to_be_focused()
    assert_accessible(citizen)

    markup = "<b>Hallo</b> ich habe eine Frage zur Hundesteuer"
    citizen.locator("#message").fill(markup)
    citizen.locator("#message").press("Enter")
    clerk_log = clerk.get_by_role("log")
    expect(clerk_log).to_contain_text(markup)  # shown as text, not rendered as markup
    assert clerk_log.locator("b").count() == 0
    expect(clerk.locator(".typing")).to_have_text("")
    assert_accessible(clerk)

    reply = clerk.get_by_label("Nachricht", exact=True)
    reply.fill("Guten Tag! Wie kann ich helfen?")
    clerk.get_by_role("button", name="Senden").click()
    expect(citizen.get_by_role("log")).to_contain_text("Guten Tag! Wie kann ich helfen?")

    clerk.get_by_label("Ergebnis").select_option("resolved")
    clerk.get_by_role("button", name="Beenden und Ergebnis festhalten").click()
    expect(citizen.get_by_role("heading", name="Diese Beratung ist beendet")).to_be_visible()
    expect(clerk.locator("#no-chats")).to_be_visible()

    # The citizen rates the conversation.
    expect(
        citizen.get_by_role("group", name="Wie zufrieden sind Sie mit der Beratung?")
    ).to_be_visible()
    assert_accessible(citizen)
    citizen.get_by_label("4 – zufrieden").check()
    citizen.get_by_role("button", name="Rückmeldung senden").click()
    expect(
        citizen.get_by_role("status").filter(has_text="Vielen Dank für Ihre Rückmeldung.")
    ).to_be_visible()
    consultation = Consultation.objects.get()
    assert (consultation.state, consultation.outcome, consultation.rating) == (
        "ended",
        "resolved",
        4,
    )
    assert list(consultation.messages.values_list("sender", flat=True)) == [
        "system",
        "citizen",
        "clerk",
        "system",
    ]
    assert pages.foreign_requests() == []


def test_two_clerks_accepting_the_same_consultation_one_sees_a_clear_message(
    pages, topic, make_clerk
):
    make_clerk("anna", [topic], status="available")
    make_clerk("ben", [topic], status="available")
    first, second = pages.new(), pages.new()
    sign_in(first, "anna")
    sign_in(second, "ben")
    citizen = pages.new()
    citizen.goto("/")
    citizen.get_by_role("button", name="Chat starten").click()
    expect(citizen.locator("#position")).to_contain_text("Platz 1")
    for page in (first, second):
        expect(page.locator("#queue li")).to_have_count(1)
    first.locator("#queue").get_by_role("button", name="Annehmen").click()
    expect(first.locator(".chat-panel")).to_have_count(1)
    # Ben's list may still show it for a moment; if he clicks, he is told why it fails.
    if second.locator("#queue li").count():
        second.locator("#queue").get_by_role("button", name="Annehmen").click(timeout=2000)
        expect(second.get_by_role("alert")).to_contain_text("bereits angenommen")
    expect(second.locator("#queue li")).to_have_count(0)
    expect(second.locator(".chat-panel")).to_have_count(0)


def test_leaving_the_queue_marks_the_consultation_abandoned(pages, topic, make_clerk):
    make_clerk("anna", [topic], status="available")
    sign_in(pages.new(), "anna")
    citizen = pages.new()
    citizen.goto("/")
    citizen.get_by_role("button", name="Chat starten").click()
    expect(citizen.locator("#position")).to_contain_text("Platz 1")
    citizen.get_by_role("button", name="Warteschlange verlassen").click()
    expect(citizen.get_by_role("heading", name="Diese Beratung ist beendet")).to_be_visible()
    expect(citizen.locator("#feedback")).to_be_hidden()  # no conversation, nothing to rate
    assert Consultation.objects.get().state == "abandoned"


def test_keyboard_only_citizen_and_clerk(pages, topic, make_clerk):
    make_clerk("anna", [topic], status="available")
    clerk = pages.new()
    clerk.goto("/console/login/")
    # The user name field has focus on load (typing before it has would type into nothing).
    expect(clerk.get_by_label("Benutzername")).to_be_focused()
    clerk.keyboard.type("anna")
    clerk.keyboard.press("Tab")
    clerk.keyboard.type("pw-anna")
    clerk.keyboard.press("Enter")
    expect(clerk.locator("#connection")).to_have_text("Verbunden.")

    citizen = pages.new()
    citizen.goto("/")
    # Tab from the top of the page to the topic's button, then Enter.
    for _ in range(10):
        citizen.keyboard.press("Tab")
        if citizen.evaluate("document.activeElement.textContent.trim()") == "Chat starten":
            break
    citizen.keyboard.press("Enter")
    expect(citizen.locator("#position")).to_contain_text("Platz 1")

    accept = clerk.locator("#offer").get_by_role("button", name="Annehmen")
    expect(accept).to_be_visible()  # the request rings: routing offered it to anna
    for _ in range(15):
        clerk.keyboard.press("Tab")
        if clerk.evaluate("document.activeElement.textContent.trim()") == "Annehmen":
            break
    clerk.keyboard.press("Enter")
    expect(clerk.locator(".chat-panel .compose textarea")).to_be_focused()
    clerk.keyboard.type("Hallo, hier ist Anna.")
    clerk.keyboard.press("Enter")

    expect(citizen.get_by_role("log")).to_contain_text("Hallo, hier ist Anna.")
    expect(citizen.locator("#message")).to_be_focused()
    citizen.keyboard.type("Danke!")
    citizen.keyboard.press("Enter")
    expect(clerk.get_by_role("log")).to_contain_text("Danke!")


def test_english_on_request(pages, topic, make_clerk):
    make_clerk("anna", [topic], status="available")
    sign_in(pages.new(), "anna")
    page = pages.new()
    page.goto("/")
    page.get_by_role("button", name="English").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("How can we help you?")
    expect(page.get_by_role("button", name="Start chat")).to_be_visible()
    assert_accessible(page)


def test_a_citizen_whose_clerk_vanished_writes_on_and_the_next_clerk_reads_it(
    pages, topic, make_clerk
):
    """Issue 13: Anna's console is gone for good; after the grace period the chat is back in
    the queue, and what the citizen writes then is stored for the next clerk instead of
    staying "wird gesendet …" for ever."""
    make_clerk("anna", [topic], status="offline")
    make_clerk("ben", [topic], status="offline")
    anna = pages.new()
    sign_in(anna, "anna")
    citizen = pages.new()
    citizen.goto("/")
    citizen.get_by_role("button", name="Chat starten").click()
    anna.locator("#queue li").get_by_role("button", name="Annehmen").click()
    expect(citizen.get_by_role("log")).to_contain_text("Anna ist dem Gespräch beigetreten.")

    anna.context.close()  # the browser is gone; the grace period (3 s here) runs
    log = citizen.get_by_role("log")
    expect(log).to_contain_text("wieder ganz vorne in der Warteschlange", timeout=20_000)
    expect(citizen.locator("#position")).to_contain_text("Platz 1")
    citizen.locator("#message").fill("Ich warte gern, es geht um den Hundesteuerbescheid.")
    citizen.locator("#message").press("Enter")
    expect(log).to_contain_text("Ich warte gern")
    expect(citizen.locator(".entry-pending")).to_have_count(0)  # stored, not "sending …"
    expect(citizen.locator("#position")).to_be_visible()  # and still waiting for a clerk
    expect(citizen.locator("#position")).to_contain_text("Platz 1")
    assert_accessible(citizen)

    ben = pages.new()
    sign_in(ben, "ben")
    ben.locator("#queue li, #offer").get_by_role("button", name="Annehmen").first.click()
    expect(ben.get_by_role("log")).to_contain_text("Ich warte gern")
    expect(citizen.get_by_role("log")).to_contain_text("Ben ist dem Gespräch beigetreten.")
