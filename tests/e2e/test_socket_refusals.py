"""A room socket the server refuses is said in German in the page, with a way forward
(issue 15): one window over the cap of sockets per conversation (close code 4029), and a
conversation that no longer exists (its token is refused: the page asks its own address,
which answers 404)."""

import re

import pytest
from playwright.sync_api import expect

from consult.consultations.models import Consultation

from .conftest import assert_accessible
from .test_presence_flow import start_chat

pytestmark = pytest.mark.e2e

# Opens sockets to the room from another page of the same origin and waits until they are open.
OPEN_SOCKETS = """async ([path, count]) => {
  window.kept = [];
  await Promise.all(Array.from({ length: count }, () => new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://${location.host}${path}`);
    ws.onopen = resolve;
    ws.onclose = () => reject(new Error("refused"));
    window.kept.push(ws);
  })));
}"""


def test_a_window_over_the_cap_says_so_and_offers_to_try_again(pages, topic, make_clerk):
    make_clerk("anna", [topic])  # signed in and available: the topic is reachable
    citizen = start_chat(pages)  # socket 1 of 5
    path = "/ws/citizen/" + citizen.url.rstrip("/").split("/")[-1] + "/"
    others = pages.new()
    others.goto("/")
    others.evaluate(OPEN_SOCKETS, [path, 4])  # sockets 2 to 5

    sixth = pages.new()
    sixth.goto(citizen.url)
    alert = sixth.get_by_role("alert").filter(has_text="zu vielen Fenstern")
    expect(alert).to_have_text(
        re.compile(
            r"Dieses Gespräch ist in zu vielen Fenstern geöffnet\. Schließen Sie eines davon;"
            r" dieses Fenster versucht es gleich noch einmal\."
        )
    )
    expect(alert.get_by_role("button", name="Jetzt erneut versuchen")).to_be_visible()
    expect(sixth.locator("#connection")).to_have_text("Nicht verbunden.")
    expect(citizen.locator("#connection")).to_have_text("Verbunden.")  # the others go on
    assert_accessible(sixth)

    # Another window closes: "try again now" connects, and the alert goes away.
    others.close()
    alert.get_by_role("button", name="Jetzt erneut versuchen").click()
    expect(sixth.locator("#connection")).to_have_text("Verbunden.")
    expect(sixth.get_by_role("alert")).to_have_text("")


def test_a_conversation_that_no_longer_exists_leads_back_to_the_start(pages, topic, make_clerk):
    make_clerk("anna", [topic])  # signed in and available: the topic is reachable
    citizen = pages.new()
    sockets = []

    def through(ws):  # the real server behind; the test can cut the line (a lost network)
        ws.connect_to_server()
        sockets.append(ws)

    citizen.route_web_socket(re.compile(r"/ws/citizen/"), through)
    citizen.goto("/")
    citizen.get_by_role("button", name="Chat starten", description="Hundesteuer").click()
    expect(citizen.locator("#connection")).to_have_text("Verbunden.")

    token = citizen.url.rstrip("/").split("/")[-1]
    Consultation.objects.filter(public_token=token).delete()  # e.g. removed after its retention
    sockets[-1].close(code=1001)  # the connection drops; the server refuses the reconnects

    alert = citizen.get_by_role("alert").filter(has_text="gibt es nicht mehr")
    expect(alert).to_have_text(
        re.compile(r"Dieses Gespräch gibt es nicht mehr: .* ein neues Anliegen beginnen\."),
        timeout=15_000,
    )
    expect(citizen.locator("#connection")).to_have_text("Nicht verbunden.")
    assert_accessible(citizen)
    alert.get_by_role("link", name="Zur Startseite").click()
    expect(citizen).to_have_url(re.compile(r"/$"))
    # What the browser logs about it (the refused handshakes, the page's own 404) is expected.
    refused = re.compile(r"WebSocket connection to .* failed|status of 404")
    pages.errors[:] = [error for error in pages.errors if not refused.search(error)]
