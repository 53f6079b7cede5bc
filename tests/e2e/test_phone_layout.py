"""Issue 15, phone first: every page of the citizen flow fits 320, 375 and 1280 px without
sideways scrolling and passes axe-core at phone and desktop width; on a phone the chat keeps
its log on the screen and the reply box at the bottom, asks once before ending, and booking
shows the times under the chosen day. Screenshots of every page at every width go to
``var/e2e-screens/`` (not committed) for a look by eye."""

import json
import re

import pytest
from playwright.sync_api import expect

from consult.catalogue.importer import import_catalogue_file
from tests.appointment_helpers import available, next_weekday

from .conftest import ROOT, assert_accessible
from .test_chat_flow import sign_in

pytestmark = pytest.mark.e2e

WIDTHS = [(320, 640), (375, 667), (1280, 800)]
SCREENS = ROOT / "var" / "e2e-screens"
# The first service of the demo catalogue: long document names, fees, an office.
DOG_SERVICE = {
    "offices": [
        {
            "name": "Steueramt",
            "address": "Rathausplatz 1\n12345 Beispielstadt",
            "opening_hours": "Mo–Fr 8:00–18:00, Sa 9:00–13:00",
            "phone": "+49 1234 5678-100",
            "email": "steueramt@beispielstadt.de",
        }
    ],
    "services": [
        {
            "slug": "hund-anmelden",
            "name": "Hund anmelden (Hundesteuer)",
            "leika_key": "99000000010001",
            "topic": "hundesteuer",
            "office": "Steueramt",
            "description": "Wer in der Stadt einen Hund hält, muss ihn innerhalb von zwei Wochen "
            "nach Anschaffung oder Zuzug anmelden und Hundesteuer zahlen.",
            "keywords": ["Hund", "Welpe", "Hund gekauft", "Hundemarke"],
            "required_documents": [
                "Personalausweis oder Reisepass",
                "Angaben zum Hund (Rasse, Geburtsdatum, Kennzeichnung durch Chip)",
                "Bei Zuzug: Abmeldebescheinigung der bisherigen Gemeinde",
                "IBAN für das SEPA-Lastschriftmandat (freiwillig)",
            ],
            "fees": "Anmeldung gebührenfrei; Hundesteuer im Jahr: 100 € für den ersten, "
            "150 € für jeden weiteren Hund",
            "processing_time": "Steuerbescheid meist innerhalb von 2 Wochen",
            "legal_basis": "Hundesteuersatzung der Stadt; Kommunalabgabengesetz des Landes",
        }
    ],
}


@pytest.fixture
def dog_service(topic, tmp_path):
    path = tmp_path / "services.json"
    path.write_text(json.dumps(DOG_SERVICE), encoding="utf-8")
    import_catalogue_file(path=path)


def anna_on_duty(pages):
    """Anna logs in and is available: the topic is reachable, a citizen may start."""
    clerk = pages.new()
    sign_in(clerk, "anna")
    return clerk


def accept(clerk):
    """The clerk accepts the one waiting citizen from the queue."""
    clerk.locator("#queue li").get_by_role("button", name="Annehmen").click()


def check_every_width(page, name: str, *, axe: bool = True) -> None:
    """No sideways scrolling at any width; axe-core at the narrowest and the widest; a
    screenshot of each. The page is not reloaded: a room keeps its socket."""
    SCREENS.mkdir(parents=True, exist_ok=True)
    for width, height in WIDTHS:
        page.set_viewport_size({"width": width, "height": height})
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        page.screenshot(path=SCREENS / f"{name}-{width}.png", full_page=True)
        assert overflow <= 0, f"{name} is {overflow} px too wide at {width} px"
        if axe and width in (WIDTHS[0][0], WIDTHS[-1][0]):
            assert_accessible(page)


def test_the_citizen_flow_fits_a_phone(pages, topic, dog_service, make_clerk):
    anna = make_clerk("anna", [topic], status="offline")
    available(anna, next_weekday(0).weekday(), "09:00", "12:00")
    clerk = anna_on_duty(pages)  # the topic is reachable: every page offers what it can
    citizen = pages.new()
    citizen.goto("/")
    check_every_width(citizen, "start")

    citizen.get_by_label("Was ist Ihr Anliegen?").fill("Ich habe einen Hund gekauft")
    citizen.get_by_label("Was ist Ihr Anliegen?").press("Enter")
    expect(citizen.get_by_role("heading", name="Ergebnisse")).to_be_visible()
    check_every_width(citizen, "navigator")

    citizen.get_by_role("link", name="Hund anmelden (Hundesteuer)").click()
    expect(citizen.get_by_text("Kennzeichnung durch Chip")).to_be_visible()
    check_every_width(citizen, "service")

    citizen.goto("/services/")
    check_every_width(citizen, "catalogue")

    citizen.goto(f"/video/{topic.slug}/")
    expect(citizen.locator("#check-state")).to_contain_text("funktionieren")
    check_every_width(citizen, "device-check")

    citizen.goto(f"/requests/new/?topic={topic.slug}")
    check_every_width(citizen, "request-form")

    citizen.goto(f"/termin/{topic.slug}/")
    expect(citizen.get_by_role("radio").first).to_be_visible()
    check_every_width(citizen, "booking")

    citizen.goto("/")
    citizen.get_by_role("button", name="Chat starten").click()
    expect(citizen.locator("#position")).to_contain_text("Platz 1 von 1")
    check_every_width(citizen, "waiting-room")

    accept(clerk)
    expect(citizen.get_by_role("log")).to_contain_text("Anna ist dem Gespräch beigetreten.")
    citizen.locator("#message").fill("Guten Tag, ich habe einen Hund gekauft.")
    citizen.locator("#message").press("Enter")
    expect(clerk.get_by_role("log")).to_contain_text("einen Hund gekauft")
    check_every_width(citizen, "chat")


def in_viewport(page, selector: str) -> bool:
    """The element is on the screen in full: inside the viewport and inside every frame
    around it that scrolls or clips."""
    return page.evaluate(
        """(selector) => {
          const element = document.querySelector(selector);
          const box = element.getBoundingClientRect();
          let top = 0, bottom = window.innerHeight;
          for (let frame = element.parentElement; frame; frame = frame.parentElement) {
            if (getComputedStyle(frame).overflowY === "visible") continue;
            const clip = frame.getBoundingClientRect();
            top = Math.max(top, clip.top);
            bottom = Math.min(bottom, clip.bottom);
          }
          return box.height > 0 && box.top >= top - 1 && box.bottom <= bottom + 1;
        }""",
        selector,
    )


@pytest.fixture
def phone(browser, pages):
    """A touch phone of 375 x 667 (the keyboard hint is for a mouse and a keyboard)."""
    context = browser.new_context(
        base_url=pages.base_url,
        viewport={"width": 375, "height": 667},
        has_touch=True,
        is_mobile=True,
    )
    context.on("request", lambda request: pages.requests.append(request.url))
    pages.contexts.append(context)
    page = context.new_page()
    page.on("pageerror", lambda error: pages.errors.append(str(error)))
    page.on("console", lambda m: m.type == "error" and pages.errors.append(m.text))
    return page


def test_on_a_phone_the_chat_fills_the_screen_and_ending_asks_once(pages, phone, topic, make_clerk):
    make_clerk("anna", [topic], status="offline")
    clerk = anna_on_duty(pages)
    phone.goto("/")
    phone.get_by_role("button", name="Chat starten").click()
    expect(phone.locator("#position")).to_contain_text("Platz 1 von 1")
    accept(clerk)
    expect(phone.get_by_role("log")).to_contain_text("Anna ist dem Gespräch beigetreten.")

    # The log and the reply box on the screen together; the log takes most of it.
    expect(phone.locator("#message")).to_be_focused()
    assert in_viewport(phone, "#log") and in_viewport(phone, "#compose")
    log_height = phone.evaluate("document.getElementById('log').offsetHeight / innerHeight")
    assert log_height > 0.4, log_height
    SCREENS.mkdir(parents=True, exist_ok=True)
    phone.screenshot(path=SCREENS / "chat-phone-screen-375.png")  # what the phone shows
    expect(phone.get_by_text("Höchstens 4.000 Zeichen.")).to_be_visible()
    expect(phone.get_by_text("Eingabetaste sendet")).to_be_hidden()  # no keyboard on a phone

    # "End conversation" is not under "Send", and it asks first; "No" keeps the chat.
    send = phone.get_by_role("button", name="Senden").bounding_box()
    end = phone.get_by_role("button", name="Gespräch beenden")
    assert end.bounding_box()["y"] + end.bounding_box()["height"] < send["y"]
    end.click()
    dialog = phone.get_by_role("dialog", name="Gespräch beenden?")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("button", name="Nein, weiter schreiben")).to_be_focused()
    assert_accessible(phone)
    phone.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(end).to_be_focused()
    expect(phone.locator("#compose")).to_be_visible()

    # By keyboard: Enter on the button, Tab to "yes", Enter; the conversation ends.
    phone.keyboard.press("Enter")
    expect(dialog).to_be_visible()
    phone.keyboard.press("Shift+Tab")
    expect(dialog.get_by_role("button", name="Ja, Gespräch beenden")).to_be_focused()
    phone.keyboard.press("Enter")
    expect(phone.get_by_role("heading", name="Diese Beratung ist beendet")).to_be_visible()
    expect(clerk.locator(".chat-state")).to_have_text(
        "Das Gespräch ist beendet. Bitte halten Sie das Ergebnis fest."
    )
    check_every_width(phone, "ended-with-feedback")


def test_on_a_phone_a_chosen_day_shows_its_times_at_once(phone, topic, make_clerk):
    anna = make_clerk("anna", [topic])
    for weekday in range(5):
        available(anna, weekday, "09:00", "10:00")
    phone.goto(f"/termin/{topic.slug}/")
    days = phone.locator(".day-link")
    expect(days.nth(3)).to_be_visible()
    days.nth(3).click()
    expect(days.nth(3)).to_have_attribute("aria-current", "true")
    expect(phone).to_have_url(re.compile(r"#slot-group$"))
    assert in_viewport(phone, "#slot-group legend")
    expect(phone.get_by_role("radio", name="09:00")).to_be_in_viewport()


def test_a_video_call_fits_a_phone_without_screen_sharing(pages, phone, topic, make_clerk):
    make_clerk("anna", [topic], status="offline")
    clerk = anna_on_duty(pages)
    # As on Android and iOS: the browser has no getDisplayMedia.
    phone.add_init_script("delete MediaDevices.prototype.getDisplayMedia")
    phone.goto(f"/video/{topic.slug}/")
    expect(phone.locator("#check-state")).to_contain_text("funktionieren")
    phone.get_by_role("button", name="Videoberatung starten").click()
    expect(phone.locator("#position")).to_contain_text("Platz 1 von 1")
    accept(clerk)
    expect(phone.locator(".call-state")).to_have_text("Videoanruf verbunden (direkt).")
    expect(phone.get_by_role("button", name="Mikrofon stummschalten")).to_be_visible()
    expect(phone.get_by_role("button", name="Bildschirm teilen")).to_be_hidden()
    expect(clerk.get_by_role("button", name="Bildschirm teilen")).to_be_visible()
    check_every_width(phone, "call")

    # The clerk ends: the video area (black boxes, buttons) goes away on the citizen's side.
    clerk.get_by_label("Ergebnis").select_option("resolved")
    clerk.get_by_role("button", name="Beenden und Ergebnis festhalten").click()
    expect(phone.get_by_role("heading", name="Diese Beratung ist beendet")).to_be_visible()
    expect(phone.locator(".call")).to_be_hidden()
    expect(phone.locator(".call-videos")).to_be_hidden()
