"""Issue 15, a console that fits: during a video call at 1280 x 800 and 1920 x 1080 the
queue, the video, the chat with its reply box and the actions are on the screen without
scrolling the page; when the conversation ends the video area goes away. Screenshots go to
``var/e2e-screens/``."""

import pytest
from playwright.sync_api import expect

from .conftest import assert_accessible
from .test_phone_layout import SCREENS, in_viewport
from .test_video_call import start_video_call, wait_for_frames_growing

pytestmark = pytest.mark.e2e

SCREENS_SIZES = [(1280, 800), (1920, 1080)]


@pytest.fixture
def anna(topic, make_clerk):
    return make_clerk("anna", [topic], status="offline")


def test_the_console_fits_the_screen_during_a_video_call(pages, topic, anna):
    citizen, clerk = start_video_call(pages)
    expect(clerk.locator(".call-state")).to_have_text("Videoanruf verbunden (direkt).")
    wait_for_frames_growing(clerk)
    clerk.get_by_label("Nachricht", exact=True).fill("Guten Tag! Ich sehe Sie.")
    clerk.get_by_role("button", name="Senden").click()
    expect(citizen.get_by_role("log")).to_contain_text("Ich sehe Sie.")
    SCREENS.mkdir(parents=True, exist_ok=True)
    for width, height in SCREENS_SIZES:
        clerk.set_viewport_size({"width": width, "height": height})
        clerk.evaluate("window.scrollTo(0, 0)")
        clerk.screenshot(path=SCREENS / f"console-call-{width}.png")
        for what in (
            "#queue-heading",
            "#callbacks-heading",
            ".chat-panel .chat-title",
            ".chat-panel .call-remote",
            ".chat-panel .call-hangup",
            ".chat-panel .log",
            ".chat-panel .compose textarea",
            ".chat-panel .compose button",
            ".chat-panel .end-form button",
        ):
            assert in_viewport(clerk, what), f"{what} is off the screen at {width} x {height}"
        assert clerk.evaluate("window.scrollY") == 0
        overflow = clerk.evaluate("document.documentElement.scrollWidth - innerWidth")
        assert overflow <= 0, (width, overflow)
    assert_accessible(clerk)

    # The citizen ends the conversation: the clerk records the outcome, with no video left.
    citizen.get_by_role("button", name="Gespräch beenden").click()
    citizen.get_by_role("dialog").get_by_role("button", name="Ja, Gespräch beenden").click()
    expect(clerk.locator(".chat-state")).to_have_text(
        "Das Gespräch ist beendet. Bitte halten Sie das Ergebnis fest."
    )
    expect(clerk.locator(".chat-panel .call")).to_be_hidden()
    expect(clerk.get_by_role("button", name="Mikrofon stummschalten")).to_have_count(0)
    clerk.screenshot(path=SCREENS / "console-after-call-1920.png")
    assert in_viewport(clerk, ".chat-panel .end-form button")
    assert_accessible(clerk)
