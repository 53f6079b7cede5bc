"""A manager's dashboard and live wallboard in Chromium."""

import re

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone
from playwright.sync_api import expect

from consult.statistics.history import generate_history

from .conftest import assert_accessible
from .test_chat_flow import log_in
from .test_phone_layout import SCREENS

pytestmark = pytest.mark.e2e


@pytest.fixture
def manager(django_user_model, topic, other_topic, make_clerk):
    make_clerk("anna", [topic, other_topic])
    user = django_user_model.objects.create_user(username="maria", password="pw-maria")
    user.user_permissions.add(Permission.objects.get(codename="view_statistics"))
    generate_history(days=14, per_day=30, until=timezone.localdate())
    return user


def test_dashboard_with_history_and_its_exports(pages, manager):
    page = pages.new()
    log_in_manager(page)
    expect(page.get_by_role("heading", name="Statistik", exact=True)).to_be_visible()
    expect(page.get_by_role("heading", name="Nach Thema")).to_be_visible()
    expect(page.get_by_role("heading", name="Nach Art: ohne Termin / mit Termin")).to_be_visible()
    expect(page.locator("svg.chart rect").first).to_be_attached()
    assert_accessible(page)
    page.get_by_text("Tagesverlauf als Tabelle").click()
    assert_accessible(page)
    with page.expect_download() as download:
        page.get_by_role("link", name="Kennzahlen herunterladen (CSV)").click()
    assert download.value.suggested_filename.startswith("figures_")
    page.get_by_label("Kanal", exact=True).select_option("video")
    page.get_by_label("Ohne oder mit Termin").select_option(label="Ohne Termin")
    page.get_by_role("button", name="Anzeigen").click()
    expect(page).to_have_url(re.compile(r"channel=video.*booking=walk_in"))
    region = page.get_by_role("region", name="Nach Art: ohne Termin / mit Termin")
    expect(region.get_by_role("rowheader", name="Ohne Termin")).to_be_visible()


def log_in_manager(page):
    page.goto("/console/login/")
    page.get_by_label("Benutzername").fill("maria")
    page.get_by_label("Passwort").fill("pw-maria")
    page.get_by_role("button", name="Anmelden").click()


def test_the_wallboard_moves_when_a_citizen_joins(pages, manager):
    board = pages.new()
    log_in_manager(board)
    board.get_by_role("link", name="Wallboard", exact=True).click()
    expect(board.locator("#connection")).to_have_text("Verbunden.")
    row = board.locator("#queues tr").filter(has_text="Hundesteuer")
    expect(row.locator("td").first).to_have_text("0")
    assert_accessible(board)

    clerk = pages.new()
    log_in(clerk, "anna")  # there: the topic is reachable
    expect(board.locator("#clerks-available")).to_have_text("1")

    citizen = pages.new()
    citizen.goto("/")
    citizen.get_by_role("button", name="Chat starten", description="Hundesteuer").click()
    expect(row.locator("td").first).to_have_text("1")
    expect(row.locator("td").nth(1)).to_have_text(re.compile(r"^0:\d\d Min\.$"))


# Where a cell is inside its scrolling table frame (1 px: the frame's border).
OFFSET_IN_FRAME = """(() => {
  const cell = th.getBoundingClientRect();
  const frame = th.closest(".table-wrap").getBoundingClientRect();
  return { left: cell.left - frame.left, top: cell.top - frame.top };
})()"""


def test_the_dashboard_fits_1280_with_durations_in_minutes_and_a_chart_axis(pages, manager):
    """Issue 15: tables scroll in their own frame with the header in view, durations read
    "6:44 min", the chart's y-axis has round ticks."""
    page = pages.new()
    page.set_viewport_size({"width": 1280, "height": 800})
    log_in_manager(page)
    overview = page.locator(".kpis")
    expect(overview.locator("div").filter(has_text="Mittlere Bearbeitungszeit")).to_contain_text(
        re.compile(r"\d+:\d\d min")
    )
    assert page.evaluate("document.documentElement.scrollWidth <= innerWidth")
    # Twelve columns scroll sideways inside their frame; the topic column stays in view.
    topics = page.get_by_role("region", name="Nach Thema")
    topics.evaluate("(frame) => frame.scrollBy(200, 0)")
    row_header = topics.get_by_role("rowheader", name="Hundesteuer")
    assert row_header.evaluate(f"(th) => {OFFSET_IN_FRAME}.left") == pytest.approx(1, abs=1.5)
    assert page.locator("svg.chart text.tick[text-anchor='end']").count() >= 3
    heat = page.get_by_role("region", name=re.compile("Wochentag und Stunde"))
    heat.evaluate("(frame) => frame.scrollBy(0, 80)")
    header = heat.locator("thead th").nth(1)
    assert header.evaluate(f"(th) => {OFFSET_IN_FRAME}.top") == pytest.approx(1, abs=1.5)
    (SCREENS / "statistics-1280.png").parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENS / "statistics-1280.png", full_page=True)
