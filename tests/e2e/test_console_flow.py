"""The clerk console in the browser: keyboard focus across queue updates, missed offers and
a ring in a background tab, the citizen's service and concern in the queue and the offer.

The e2e server runs with a 3 s grace period and 0.5 s heartbeats (see conftest)."""

import re

import pytest
from playwright.sync_api import expect

from consult.catalogue.models import Service, Topic
from consult.consultations.models import Consultation

from .conftest import ROOT, assert_accessible
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
    clerk = pages.new()
    log_in(clerk, "anna")  # there: the topic is reachable
    first = arrive(pages, 1)
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


# A Notification API whose answers the test controls, and a tab the test can send to the
# background (headless Chromium is always "visible").
BACKGROUND_AND_NOTIFICATIONS = """
window.__background = false;
window.__notifications = [];
Object.defineProperty(document, "visibilityState", {
  get: () => (window.__background ? "hidden" : "visible"),
});
Object.defineProperty(document, "hidden", { get: () => window.__background });
class FakeNotification {
  constructor(title, options) {
    window.__notifications.push({ title, body: options.body, tag: options.tag });
  }
  addEventListener() {}
  close() {}
}
FakeNotification.permission = "default";
FakeNotification.requestPermission = () => {
  FakeNotification.permission = "granted";
  return Promise.resolve("granted");
};
window.Notification = FakeNotification;
"""


def to_background(page, hidden=True):
    page.evaluate(
        "hidden => { window.__background = hidden;"
        " document.dispatchEvent(new Event('visibilitychange')); }",
        hidden,
    )


def test_missed_offers_are_told_and_a_background_tab_is_rung(pages, topic, make_clerk):
    topic.offer_timeout_seconds = 3
    topic.save()
    make_clerk("anna", [topic], status="available")
    clerk = pages.new()
    clerk.context.add_init_script(BACKGROUND_AND_NOTIFICATIONS)
    log_in(clerk, "anna")
    expect(clerk.locator("#connection")).to_have_text("Verbunden.")
    assert clerk.evaluate("window.__notifications") == []  # nothing asked on page load
    allow = clerk.get_by_role("button", name="Benachrichtigungen erlauben")
    expect(allow).to_be_visible()
    allow.click()
    expect(allow).to_be_hidden()
    title = clerk.title()

    # A request rings while the tab is in the background: title and one notification.
    to_background(clerk)
    arrive(pages, 1)
    expect(clerk.locator("#offer")).to_be_visible()
    expect(clerk).to_have_title(f"Neue Anfrage – {title}")
    notifications = clerk.evaluate("window.__notifications")
    assert [(n["title"], n["body"]) for n in notifications] == [
        ("Neue Anfrage", "Neue Anfrage: Hundesteuer (Chat).")
    ]
    to_background(clerk, False)
    expect(clerk).to_have_title(title)
    to_background(clerk)
    expect(clerk).to_have_title(f"Neue Anfrage – {title}")
    assert len(clerk.evaluate("window.__notifications")) == 1  # one per offer

    # Nobody answers: the request goes back to the queue, and the clerk is told.
    notice = clerk.locator("#missed-text")
    expect(notice).to_have_text(
        "Eine Anfrage wurde nicht rechtzeitig angenommen und ging zurück in die Warteschlange.",
        timeout=10_000,
    )
    expect(clerk).to_have_title(title)
    expect(clerk.get_by_label("Mein Status")).to_have_value("available")

    # A second citizen, a second miss in a row: the clerk is set away, and told so.
    to_background(clerk, False)
    arrive(pages, 2)
    expect(clerk.locator("#offer")).to_be_visible()
    expect(notice).to_contain_text(
        "Angebot verpasst – Status auf Abwesend gesetzt (2 Angebote in Folge nicht angenommen).",
        timeout=10_000,
    )
    expect(clerk.get_by_label("Mein Status")).to_have_value("away")
    assert notice.get_attribute("role") == "status"
    assert_accessible(clerk)

    # After a reload the console still says why the status is away.
    clerk.reload()
    expect(notice).to_have_text(
        "Angebot verpasst – Status auf Abwesend gesetzt (2 Angebote in Folge nicht angenommen)."
    )
    # Back at the desk: the notice goes.
    clerk.get_by_label("Mein Status").select_option("available")
    expect(notice).to_have_text("")
    expect(clerk.get_by_role("button", name="Hinweis ausblenden")).to_be_hidden()


def test_the_clerk_sees_service_and_concern_in_the_queue_and_the_offer(
    pages, manual_topic, make_clerk
):
    Service.objects.create(
        slug="hund-anmelden",
        name="Hund anmelden",
        topic=manual_topic,
        description="Wer einen Hund hält, meldet ihn an.",
    )
    make_clerk("anna", [manual_topic], status="available")
    clerk = pages.new()
    log_in(clerk, "anna")  # there: the topic is reachable
    concern = "Zweiter Hund <b>Bello</b> – was kostet das?"

    # From the service page: the concern field is there, with its limit.
    citizen = pages.new()
    citizen.goto("/services/hund-anmelden/")
    field = citizen.get_by_label("Ihr Anliegen (freiwillig)")
    expect(field).to_have_attribute("maxlength", "200")
    expect(field).to_have_accessible_description(re.compile("höchstens 200 Zeichen"))
    field.fill(concern)
    assert_accessible(citizen)
    citizen.get_by_role("button", name="Chat zu diesem Thema starten").click()
    expect(citizen.locator("#position")).to_contain_text("Platz 1")
    expect(citizen.locator("#waiting")).to_contain_text(f"Ihr Anliegen: {concern}")

    entries = clerk.locator("#queue li")
    expect(entries).to_have_count(1)
    expect(entries.first).to_contain_text("Leistung: Hund anmelden")
    expect(entries.first).to_contain_text(f"Anliegen: „{concern}“")  # as text, not markup
    assert entries.first.locator("b").count() == 0
    expect(entries.first.get_by_role("button", name="Annehmen")).to_have_accessible_description(
        re.compile("Leistung: Hund anmelden.*Anliegen: „Zweiter Hund")
    )
    assert_accessible(clerk)

    # From the start page: the concern in the topic's disclosure, no service.
    second = pages.new()
    second.goto("/")
    second.get_by_text("Anliegen kurz beschreiben (freiwillig)").click()
    second.get_by_label("Ihr Anliegen (freiwillig)").fill("Hundesteuer ummelden")
    assert_accessible(second)
    second.get_by_role("button", name="Chat starten", description="Hundesteuer").click()
    expect(second.locator("#position")).to_contain_text("Platz 2")
    expect(entries).to_have_count(2)
    expect(entries.nth(1)).to_contain_text("Anliegen: „Hundesteuer ummelden“")
    expect(entries.nth(1)).not_to_contain_text("Leistung")

    # The same in the offer when the topic rings its clerks, and in the conversation.
    Topic.objects.filter(pk=manual_topic.pk).update(routing_mode=Topic.RoutingMode.AUTO_OFFER)
    offer = clerk.locator("#offer")
    expect(offer).to_be_visible(timeout=10_000)  # the sweep dispatches within a second
    expect(offer.locator("#offer-details")).to_have_text(
        f"Leistung: Hund anmeldenAnliegen: „{concern}“"
    )
    assert offer.locator("b").count() == 0
    assert_accessible(clerk)
    offer.get_by_role("button", name="Annehmen").click()
    expect(clerk.locator(".chat-panel .request-details")).to_contain_text(f"Anliegen: „{concern}“")
    assert Consultation.objects.filter(concern=concern, service__slug="hund-anmelden").exists()
    # Content, not for logs (the platform's processes write theirs to var/e2e-*.log).
    written = "".join(p.read_text(errors="replace") for p in (ROOT / "var").glob("e2e-*.log"))
    assert "Bello" not in written and "ummelden" not in written
