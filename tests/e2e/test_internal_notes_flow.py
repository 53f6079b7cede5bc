"""Hand-over notes in the console: Anna writes an internal note and transfers the chat to
Carl's topic; Carl reads the note when he takes it. The citizen never sees it."""

import pytest
from playwright.sync_api import expect

from .conftest import assert_accessible
from .test_chat_flow import log_in
from .test_routing_flow import anna_accepts_a_chat, clerks  # noqa: F401 (fixture)

pytestmark = pytest.mark.e2e

NOTE = "Bescheid liegt vor, es fehlt nur die Meldebescheinigung."


def test_a_note_goes_with_the_transfer_and_never_to_the_citizen(
    pages,
    clerks,  # noqa: F811 (the fixture imported above)
    other_topic,
    make_clerk,
):
    make_clerk("carl", [other_topic], status="available")
    anna_page, citizen, panel, _reply = anna_accepts_a_chat(pages)
    expect(panel.get_by_text("Noch keine Notizen.")).to_be_visible()
    panel.get_by_label("Neue Notiz").fill(NOTE)
    panel.get_by_role("button", name="Notiz speichern").click()
    expect(panel.locator(".notes-list")).to_contain_text("Anna · ")
    expect(panel.locator(".notes-list")).to_contain_text(NOTE)
    expect(panel.get_by_label("Neue Notiz")).to_have_value("")
    assert_accessible(anna_page)

    anna_page.get_by_text("Weiterleiten", exact=True).click()
    anna_page.get_by_label("In die Warteschlange des Themas").select_option("bauantrag")
    anna_page.get_by_role("button", name="An Thema weiterleiten").click()
    expect(anna_page.locator(".chat-panel")).to_have_count(0)

    carl_page = pages.new()
    log_in(carl_page, "carl")
    carl_page.locator("#offer").get_by_role("button", name="Annehmen").click()
    carl_notes = carl_page.locator(".chat-panel .notes-list")
    expect(carl_notes).to_contain_text(NOTE)
    assert_accessible(carl_page)

    expect(citizen.locator("#message")).to_be_visible()
    citizen.reload()
    expect(citizen.get_by_role("log")).to_contain_text("weitergeleitet")
    assert NOTE not in citizen.content()

    # Carl ends it; his history lists the note beside the consultation.
    carl_page.get_by_label("Ergebnis").select_option("resolved")
    carl_page.get_by_role("button", name="Beenden und Ergebnis festhalten").click()
    expect(carl_page.locator("#no-chats")).to_be_visible()
    carl_page.goto("/console/history/")
    expect(carl_page.get_by_role("table")).to_contain_text(NOTE)
    assert_accessible(carl_page)
