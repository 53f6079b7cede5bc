"""Issue 15 in Chromium: the legal pages and the error pages carry the city's name and the
legal links, do not scroll sideways on a phone, and pass axe-core at phone and desktop width."""

import pytest
from playwright.sync_api import expect

from .conftest import assert_accessible

pytestmark = pytest.mark.e2e

PAGES = [
    ("/", 200),
    ("/impressum/", 200),
    ("/datenschutz/", 200),
    ("/barrierefreiheit/", 200),
    ("/c/vertippter-link/", 404),
    ("/statistics/", 403),
]
WIDTHS = [(320, 640), (375, 667), (1280, 800)]
STATUS_ERROR = "Failed to load resource: the server responded with a status of {}"


def forget_the_expected_error_statuses(pages):
    """Chromium logs the 403 and 404 answers that the test asks for as console errors."""
    pages.errors[:] = [
        e for e in pages.errors if not any(e.startswith(STATUS_ERROR.format(c)) for c in (403, 404))
    ]


def test_legal_and_error_pages_are_accessible_at_every_width(pages):
    page = pages.new()
    for path, status in PAGES:
        for width, height in WIDTHS:
            page.set_viewport_size({"width": width, "height": height})
            response = page.goto(path)
            assert response is not None and response.status == status, path
            expect(page.locator("html")).to_have_attribute("lang", "de")
            expect(page.locator(".site-header")).to_contain_text("Stadt Beispielstadt")
            legal = page.get_by_role("navigation", name="Rechtliche Hinweise")
            for name in ("Impressum", "Datenschutzerklärung", "Erklärung zur Barrierefreiheit"):
                expect(legal.get_by_role("link", name=name)).to_be_visible()
            overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 0, (path, width, overflow)
            assert_accessible(page)
    forget_the_expected_error_statuses(pages)


def test_the_404_page_leads_back_by_keyboard(pages):
    page = pages.new()
    page.goto("/termin/t/vertippt/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Seite nicht gefunden")
    start = page.get_by_role("link", name="Zur Startseite")
    start.focus()
    page.keyboard.press("Enter")
    expect(page).to_have_url(pages.base_url + "/")
    forget_the_expected_error_statuses(pages)
