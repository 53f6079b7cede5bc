"""Text snippets in the console, by keyboard only: Anna types "/" and a few letters in the
reply box, the list of her topic's and her own snippets opens (axe with the list open), the
arrow keys move, Enter inserts; a service snippet brings the catalogue's documents and fees.
Nothing is sent until she sends it herself."""

import pytest
from playwright.sync_api import expect

from consult.chat import snippets
from consult.chat.models import Snippet

from .conftest import assert_accessible
from .test_routing_flow import anna_accepts_a_chat, clerks  # noqa: F401 (fixture)

pytestmark = pytest.mark.e2e

GREETING = "Guten Tag, ich bin Anna vom Steueramt. Wie kann ich helfen?"


@pytest.fixture
def snippet_world(clerks, topic, other_topic, dog_service):  # noqa: F811 (the fixture imported above)
    anna, _ben = clerks
    Snippet.objects.create(title="Unterlagen Hund anmelden", topic=topic, service=dog_service)
    Snippet.objects.create(title="Bauantrag Fristen", body="Vier Wochen.", topic=other_topic)
    snippets.save_personal_snippet(clerk=anna, title="Begrüßung", body=GREETING)
    return anna


def test_slash_lists_the_snippets_and_enter_inserts_them(pages, snippet_world):
    anna_page, citizen, panel, reply = anna_accepts_a_chat(pages)

    anna_page.keyboard.type("/")
    listbox = panel.get_by_role("listbox", name="Textbausteine")
    expect(listbox.get_by_role("option")).to_have_count(2)  # not the other topic's
    expect(panel.locator(".snippet-announcer")).to_contain_text("2 Textbausteine")
    assert_accessible(anna_page)
    anna_page.keyboard.type("begr")
    expect(listbox.get_by_role("option")).to_have_count(1)
    expect(listbox.get_by_role("option", selected=True)).to_contain_text("Begrüßung")
    anna_page.keyboard.press("Enter")
    expect(listbox).to_be_hidden()
    expect(reply).to_have_value(GREETING)
    expect(reply).to_be_focused()
    expect(citizen.get_by_role("log")).not_to_contain_text("Steueramt")  # not sent
    anna_page.keyboard.press("Enter")
    expect(citizen.get_by_role("log")).to_contain_text(GREETING)

    anna_page.keyboard.type("/")
    selected = listbox.get_by_role("option", selected=True)
    expect(selected).to_contain_text("Unterlagen")  # the topic's first, then her own
    anna_page.keyboard.press("ArrowDown")
    expect(selected).to_contain_text("Begrüßung")
    anna_page.keyboard.press("ArrowDown")  # round to the top
    expect(selected).to_contain_text("Unterlagen")
    anna_page.keyboard.press("Enter")
    text = reply.input_value()
    for fact in ("Personalausweis", "Nachweis der Hundehaftpflicht", "Gebühren: keine Gebühr"):
        assert fact in text
    assert "Bearbeitungsdauer: etwa 2 Wochen" in text
    assert text.endswith("/services/hund-anmelden/")
    anna_page.keyboard.press("Enter")
    expect(citizen.get_by_role("log")).to_contain_text("Nachweis der Hundehaftpflicht")

    anna_page.keyboard.type("/")
    expect(listbox).to_be_visible()
    anna_page.keyboard.press("Escape")
    expect(listbox).to_be_hidden()
    expect(reply).to_have_value("/")


def test_the_button_opens_the_same_list_and_inserts_at_the_cursor(pages, snippet_world):
    anna_page, _citizen, panel, reply = anna_accepts_a_chat(pages)
    anna_page.keyboard.type("Hallo! ")
    button = panel.get_by_role("button", name="Textbaustein einfügen")
    button.focus()
    anna_page.keyboard.press("Enter")
    listbox = panel.get_by_role("listbox", name="Textbausteine")
    expect(listbox).to_be_focused()
    expect(button).to_have_attribute("aria-expanded", "true")
    assert_accessible(anna_page)
    anna_page.keyboard.press("ArrowDown")
    anna_page.keyboard.press("Enter")
    expect(reply).to_be_focused()
    expect(reply).to_have_value(f"Hallo! {GREETING}")

    anna_page.goto("/console/snippets/")
    expect(anna_page.get_by_role("heading", level=1)).to_have_text("Meine Textbausteine")
    expect(anna_page.get_by_label("Titel").nth(1)).to_have_value("Begrüßung")
    assert_accessible(anna_page)
