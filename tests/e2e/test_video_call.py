"""Citizen and clerk see each other: two Chromium contexts with fake camera and microphone."""

import re
import time
from pathlib import Path

import pytest
from playwright.sync_api import expect

from consult.consultations.models import Consultation

from .conftest import assert_accessible, platform_log
from .test_chat_flow import sign_in

pytestmark = pytest.mark.e2e

# Video frames decoded so far by every open peer connection of the page (getStats).
FRAMES_DECODED = """async () => {
  let total = 0;
  for (const pc of window.sprechstundeCalls || []) {
    const report = await pc.getStats();
    report.forEach((s) => {
      if (s.type === "inbound-rtp" && s.kind === "video") total += s.framesDecoded || 0;
    });
  }
  return total;
}"""


def frames_decoded(page) -> int:
    return int(page.evaluate(FRAMES_DECODED))


def wait_for_frames(page, at_least: int, timeout: float = 20) -> int:
    """Polls ``getStats`` until the page has decoded ``at_least`` video frames; returns the
    count. (Not ``wait_for_function``: it does not await a promise, and a promise is truthy,
    so a predicate built on the async ``getStats`` holds at once.)"""
    deadline = time.monotonic() + timeout
    while (decoded := frames_decoded(page)) < at_least:
        if time.monotonic() > deadline:
            raise AssertionError(f"{decoded} video frames decoded in {timeout} s, not {at_least}")
        page.wait_for_timeout(100)
    return decoded


def wait_for_frames_growing(page, more: int = 30) -> None:
    """Waits until the page decodes video, then until it has decoded ``more`` frames since."""
    start = wait_for_frames(page, 1)
    wait_for_frames(page, start + more)


@pytest.fixture
def anna(topic, make_clerk):
    return make_clerk("anna", [topic], status="offline")


def start_video_call(pages):
    clerk = pages.new()
    sign_in(clerk, "anna")  # there: the topic is reachable
    citizen = pages.new()
    citizen.goto("/")
    citizen.get_by_role("link", name="Videoberatung starten").click()
    expect(citizen.get_by_role("heading", level=1)).to_have_text("Kamera und Mikrofon prüfen")
    expect(citizen.locator("#check-state")).to_have_text(
        "Kamera und Mikrofon funktionieren. Sie können die Videoberatung beginnen."
    )
    expect(citizen.get_by_label("Kamera", exact=True)).not_to_be_empty()
    assert_accessible(citizen)
    citizen.get_by_role("button", name="Videoberatung starten").click()
    expect(citizen).to_have_url(re.compile(r"/c/[\w-]{43}/$"))

    queue_item = clerk.locator("#queue li")
    expect(queue_item).to_contain_text("Hundesteuer")
    queue_item.get_by_role("button", name="Annehmen").click()
    return citizen, clerk


def test_video_call_peer_to_peer(pages, topic, anna):
    citizen, clerk = start_video_call(pages)
    for page in (citizen, clerk):
        expect(page.locator(".call-state")).to_have_text("Videoanruf verbunden (direkt).")
        wait_for_frames_growing(page)
        # From getStats, in words: one machine, no loss.
        expect(page.locator(".call-quality-level")).to_have_text("Verbindungsqualität: gut")
        expect(page.locator(".call-quality-figures")).to_contain_text("Verlust 0,0 %")
        expect(page.locator(".call-suggestion")).to_be_hidden()
    assert_accessible(citizen)
    assert_accessible(clerk)

    # The chat goes on beside the video.
    citizen.locator("#message").fill("Hören Sie mich?")
    citizen.locator("#message").press("Enter")
    expect(clerk.get_by_role("log")).to_contain_text("Hören Sie mich?")

    # Keyboard: mute the microphone, then leave the call; the other party is told.
    mute = citizen.get_by_role("button", name="Mikrofon stummschalten")
    mute.focus()
    citizen.keyboard.press("Enter")
    expect(mute).to_have_attribute("aria-pressed", "true")
    citizen.get_by_role("button", name="Videoanruf verlassen").click()
    expect(clerk.locator(".call-state")).to_have_text(
        "Die andere Seite hat den Videoanruf verlassen. Der Chat geht weiter."
    )
    citizen.get_by_role("button", name="Videoanruf wieder beitreten").click()
    expect(citizen.locator(".call-state")).to_have_text("Videoanruf verbunden (direkt).")
    wait_for_frames_growing(citizen)


# The size of the video the page decodes (getStats), e.g. [640, 480].
FRAME_SIZE = """async () => {
  for (const pc of window.sprechstundeCalls || []) {
    const report = await pc.getStats();
    for (const s of report.values()) {
      if (s.type === "inbound-rtp" && s.kind === "video" && s.frameWidth) {
        return [s.frameWidth, s.frameHeight];
      }
    }
  }
  return null;
}"""


def wait_for_shape(page, *, wide: bool, timeout: float = 20) -> None:
    """Until the decoded video is 16:9 (Chromium's fake screen, 1280x720) or not (its fake
    camera, 4:3): the encoder may scale either down, the shape stays."""
    deadline = time.monotonic() + timeout
    while True:
        size = page.evaluate(FRAME_SIZE)
        if size and (size[0] / size[1] > 1.6) == wide:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"decoded video is {size}, wanted {'16:9' if wide else '4:3'}")
        page.wait_for_timeout(200)


def test_the_clerk_shares_the_screen_and_the_citizen_sees_it(pages, topic, anna):
    """Issue 18: Chromium's fake capture source as the screen; the citizen's decoded video
    becomes the screen's and grows, and is the camera again once sharing stops."""
    citizen, clerk = start_video_call(pages)
    expect(citizen.locator(".call-state")).to_have_text("Videoanruf verbunden (direkt).")
    wait_for_frames_growing(citizen)
    wait_for_shape(citizen, wide=False)
    share = clerk.get_by_role("button", name="Bildschirm teilen")
    share.click()
    expect(share).to_have_attribute("aria-pressed", "true")
    wait_for_shape(citizen, wide=True)
    wait_for_frames_growing(citizen)
    assert_accessible(clerk)
    share.click()
    expect(share).to_have_attribute("aria-pressed", "false")
    wait_for_shape(citizen, wide=False)
    wait_for_frames_growing(citizen)


# What the page's call sends and plays: the sent tracks' device names, the speaker's id.
SENT_TRACKS = """() => {
  const sent = {};
  for (const pc of window.sprechstundeCalls || []) {
    for (const sender of pc.getSenders()) {
      if (sender.track) sent[sender.track.kind] = sender.track.label;
    }
  }
  return sent;
}"""
AUDIO_RECEIVED = """async () => {
  let total = 0;
  for (const pc of window.sprechstundeCalls || []) {
    (await pc.getStats()).forEach((s) => {
      if (s.type === "inbound-rtp" && s.kind === "audio") total += s.packetsReceived || 0;
    });
  }
  return total;
}"""


def wait_for_audio_growing(page, more: int = 50, timeout: float = 20) -> None:
    start = page.evaluate(AUDIO_RECEIVED)
    deadline = time.monotonic() + timeout
    while page.evaluate(AUDIO_RECEIVED) < start + more:
        assert time.monotonic() < deadline, "no audio arrives"
        page.wait_for_timeout(100)


def test_the_citizen_switches_microphone_and_speaker_during_the_call(pages, topic, anna):
    """Issue 18: Chromium's fake devices (three microphones, three outputs): the chosen
    microphone is what the call sends, without a new negotiation, and sound keeps arriving."""
    citizen, clerk = start_video_call(pages)
    expect(citizen.locator(".call-state")).to_have_text("Videoanruf verbunden (direkt).")
    wait_for_audio_growing(clerk)
    citizen.get_by_text("Geräte", exact=True).click()
    microphone = citizen.get_by_label("Mikrofon", exact=True)
    expect(microphone.locator("option")).to_have_count(3)
    expect(citizen.get_by_label("Kamera", exact=True)).to_be_hidden()  # only one camera
    assert_accessible(citizen)
    microphone.select_option(label="Fake Audio Input 2")
    citizen.wait_for_function(
        "() => [...window.sprechstundeCalls].some((pc) => pc.getSenders().some("
        "(s) => s.track && s.track.label === 'Fake Audio Input 2'))"
    )
    assert citizen.evaluate(SENT_TRACKS)["video"] == "fake_device_0"  # the camera stays
    wait_for_audio_growing(clerk)
    speaker = citizen.get_by_label("Lautsprecher", exact=True)
    speaker.select_option(label="Fake Audio Output 1")
    chosen = speaker.input_value()
    citizen.wait_for_function(f"() => document.querySelector('.call-remote').sinkId === {chosen!r}")
    expect(citizen.locator(".call-device-error")).to_have_text("")


# A connection that has become poor: every candidate pair reports a 600 ms round trip, the
# way a congested mobile network does (the rest of getStats stays the browser's own).
SLOW_NETWORK = """(() => {
  const real = RTCPeerConnection.prototype.getStats;
  RTCPeerConnection.prototype.getStats = async function (...args) {
    const report = await real.apply(this, args);
    if (!window.slowNetwork) return report;
    const changed = new Map();
    report.forEach((stat, id) => {
      const slow = stat.type === "candidate-pair";
      changed.set(id, slow ? { ...stat, currentRoundTripTime: 0.6 } : stat);
    });
    return changed;
  };
})()"""


def test_a_poor_connection_is_said_and_the_camera_off_suggested(pages, topic, anna):
    citizen, clerk = start_video_call(pages)
    citizen.add_init_script(SLOW_NETWORK)
    citizen.reload()  # the room again, with the slow network's statistics
    for page in (citizen, clerk):
        expect(page.locator(".call-state")).to_have_text("Videoanruf verbunden (direkt).")
    expect(citizen.locator(".call-quality-level")).to_have_text("Verbindungsqualität: gut")
    citizen.evaluate("window.slowNetwork = true")
    expect(citizen.locator(".call-quality-level")).to_have_text("Verbindungsqualität: schlecht")
    expect(citizen.locator(".call-quality-figures")).to_contain_text("Laufzeit 600 ms")
    suggestion = citizen.locator(".call-suggestion")
    expect(suggestion).to_be_visible()
    assert_accessible(citizen)
    suggestion.get_by_role("button", name="Kamera jetzt ausschalten").click()
    expect(citizen.locator(".call-camera")).to_have_attribute("aria-pressed", "true")
    expect(suggestion).to_be_hidden()


@pytest.fixture(scope="module")
def denying_browser(browser):
    """Chromium that refuses camera and microphone, as when a person clicks "Block"."""
    from .conftest import BROWSER_ARGS, CHROMIUM

    args = [a for a in BROWSER_ARGS if a != "--use-fake-ui-for-media-stream"]
    denying = browser.browser_type.launch(executable_path=CHROMIUM, headless=True, args=args)
    yield denying
    denying.close()


def test_denied_camera_leads_to_chat_only(
    denying_browser, live_server_url, transactional_db, topic, anna
):
    from .conftest import Pages

    pages = Pages(denying_browser, live_server_url)
    try:
        sign_in(pages.new(), "anna")
        citizen = pages.new()
        citizen.goto(f"/video/{topic.slug}/")
        expect(citizen.get_by_role("alert")).to_contain_text(
            "Ihr Browser erlaubt dieser Seite Kamera und Mikrofon nicht."
        )
        expect(citizen.get_by_role("button", name="Videoberatung starten")).to_be_disabled()
        assert_accessible(citizen)
        citizen.get_by_role("button", name="Stattdessen per Chat fortfahren").click()
        expect(citizen.locator("#position")).to_have_text(
            "Sie sind an Platz 1 von 1 in der Warteschlange."
        )
        expect(citizen.locator(".call")).to_be_hidden()  # a chat consultation: no video
    finally:
        pages.close()
    assert pages.foreign_requests() == []
    assert pages.errors == []


def test_clerk_invites_a_chat_to_video_and_the_citizen_agrees_by_keyboard(pages, topic, anna):
    clerk = pages.new()
    sign_in(clerk, "anna")
    citizen = pages.new()
    citizen.goto("/")
    citizen.get_by_role("button", name="Chat starten").click()
    clerk.locator("#queue li").get_by_role("button", name="Annehmen").click()
    expect(citizen.locator("#message")).to_be_focused()

    clerk.get_by_role("button", name="Zu einem Videoanruf einladen").click()
    dialog = citizen.get_by_role("dialog", name="Per Video fortfahren?")
    expect(dialog).to_be_visible()
    assert_accessible(citizen)
    yes = dialog.get_by_role("button", name="Ja, per Video fortfahren")
    expect(yes).to_be_focused()  # the dialog takes the focus; Enter answers
    citizen.keyboard.press("Enter")
    expect(dialog).to_be_hidden()
    expect(citizen.get_by_role("log")).to_contain_text("Das Gespräch geht als Videoanruf weiter.")
    for page in (citizen, clerk):
        expect(page.locator(".call-state")).to_have_text("Videoanruf verbunden (direkt).")
        wait_for_frames_growing(page)
    expect(citizen.locator("#message")).to_be_focused()  # focus came back to where it was


def test_video_call_through_the_server_relay(pages, topic, anna):
    """Through daphne, Redis and the ``mediaworker`` process; the relay forwards what the
    browsers encoded and never encodes itself (its counters, logged when the session
    closes, show it)."""
    _citizen, clerk = start_relayed_call(pages, topic)
    assert_accessible(clerk)

    clerk.get_by_label("Ergebnis").select_option("resolved")
    clerk.get_by_role("button", name="Beenden und Ergebnis festhalten").click()
    closed = media_session_closed(platform_log("daphne"), Consultation.objects.get().pk)
    assert closed["forwarded_video"] >= 60  # both parties decoded 30 frames and more
    assert closed["forwarded_audio"] > 0
    assert (closed["transcoded_audio"], closed["transcoded_video"]) == (0, 0)


def media_session_closed(log: Path, consultation_id: int, timeout: float = 20) -> dict[str, int]:
    """The relay's counters from the media worker's log line when the session closed."""
    pattern = re.compile(
        rf"media session {consultation_id} closed: forwarded audio=(?P<forwarded_audio>\d+) "
        r"video=(?P<forwarded_video>\d+), transcoded audio=(?P<transcoded_audio>\d+) "
        r"video=(?P<transcoded_video>\d+),"
    )
    deadline = time.monotonic() + timeout
    while not (found := pattern.search(log.read_text())):
        if time.monotonic() > deadline:
            raise AssertionError(f"the media worker did not log the session's end in {log}")
        time.sleep(0.1)
    return {name: int(value) for name, value in found.groupdict().items()}


@pytest.fixture(scope="module")
def platform_without_direct_route(django_db_blocker):
    """Only relay candidates and no TURN server: peer-to-peer can never connect."""
    from .conftest import running_platform

    with (
        django_db_blocker.unblock(),
        running_platform("norelay", RTC_FORCE_RELAY="true", RTC_P2P_TIMEOUT_SECONDS="2") as url,
    ):
        yield url


def test_peer_to_peer_that_does_not_connect_falls_back_to_the_relay(
    browser, platform_without_direct_route, transactional_db, topic, anna
):
    from .conftest import Pages

    pages = Pages(browser, platform_without_direct_route)
    try:
        citizen, clerk = start_video_call(pages)
        for page in (citizen, clerk):
            expect(page.locator(".call-state")).to_have_text(
                "Videoanruf verbunden (über den Server).", timeout=15000
            )
            wait_for_frames_growing(page)
    finally:
        pages.close()
    assert pages.foreign_requests() == []
    assert pages.errors == []


def start_relayed_call(pages, topic):
    """A call of a relay topic: both browsers connected through a media worker, decoding."""
    topic.media_mode = "relay"
    topic.save()
    citizen, clerk = start_video_call(pages)
    for page in (citizen, clerk):
        expect(page.locator(".call-state")).to_have_text("Videoanruf verbunden (über den Server).")
        wait_for_frames_growing(page)
    return citizen, clerk


@pytest.fixture(scope="module")
def platform_with_two_media_workers(django_db_blocker):
    from .conftest import running_platform

    with django_db_blocker.unblock(), running_platform("twoworkers", media_workers=2) as url:
        yield url


def test_a_relayed_call_comes_back_when_its_media_worker_is_killed(
    browser, platform_with_two_media_workers, transactional_db, topic, anna
):
    """SIGKILL the media worker of a relayed call: within 10 s both browsers decode video
    again, through the other worker, and the chat says what happened."""
    import redis
    from django.conf import settings

    from .conftest import MEDIA_WORKERS, Pages

    url = platform_with_two_media_workers
    pages = Pages(browser, url)
    try:
        citizen, clerk = start_relayed_call(pages, topic)
        # The worker holding the call, from the pool's pin (docs/media.md, "The pool").
        prefix = f"e2e{url.rsplit(':', 1)[1]}"
        pin = redis.Redis.from_url(settings.REDIS_URL, decode_responses=True).get(
            f"{prefix}:media:pin:{Consultation.objects.get().pk}"
        )
        assert pin is not None
        holder = MEDIA_WORKERS["twoworkers"][int(pin.split("-")[0])]

        before = {page: frames_decoded(page) for page in (citizen, clerk)}
        holder.kill()
        killed = time.monotonic()
        moved = "Der Server, der den Videoanruf vermittelt, ist ausgefallen."
        for page in (citizen, clerk):
            expect(page.get_by_role("log").get_by_text(moved)).to_be_visible(timeout=10000)
        for page in (citizen, clerk):
            # The old peer connection is replaced (the count starts again with the new
            # one), then the new one decodes video.
            while frames_decoded(page) >= before[page]:
                assert time.monotonic() - killed < 10, "the browser did not connect anew"
                page.wait_for_timeout(50)
            wait_for_frames_growing(page, more=30)
        back = time.monotonic() - killed
        print(f"SIGKILL of the media worker -> 30 frames decoded again on both: {back:.1f} s")
        assert back < 10, f"video came back only after {back:.1f} s"
        for page in (citizen, clerk):
            expect(page.locator(".call-state")).to_have_text(
                "Videoanruf verbunden (über den Server)."
            )
    finally:
        pages.close()
    assert pages.errors == []


@pytest.fixture(scope="module")
def platform_on_own_redis(django_db_blocker):
    """A platform whose Redis the test may restart (never the suite's)."""
    from tests.media_processes import OwnRedis

    from .conftest import running_platform

    redis_server = OwnRedis()
    redis_server.start()
    try:
        with (
            django_db_blocker.unblock(),
            running_platform("ownredis", REDIS_URL=redis_server.url) as url,
        ):
            yield url, redis_server
    finally:
        redis_server.close()


def test_a_relayed_call_goes_on_through_a_redis_restart(
    browser, platform_on_own_redis, transactional_db, topic, anna
):
    """Redis down for 3 s in mid-call: the relayed video goes on, the media worker is the
    same process, and it still gets the call's commands afterwards."""
    from .conftest import MEDIA_WORKERS, Pages

    url, redis_server = platform_on_own_redis
    pages = Pages(browser, url)
    try:
        citizen, clerk = start_relayed_call(pages, topic)
        (worker,) = MEDIA_WORKERS["ownredis"]

        redis_server.restart(down_seconds=3)
        for page in (citizen, clerk):
            wait_for_frames_growing(page)
        assert worker.poll() is None  # the same process serves on

        # New commands reach the worker: the clerk reloads the console, whose browser
        # offers again (to the worker holding the call, its pin written back by the
        # worker's heartbeat) and sees the citizen again.
        clerk.reload()
        expect(clerk.locator(".call-state")).to_have_text(
            "Videoanruf verbunden (über den Server).", timeout=20000
        )
        for page in (citizen, clerk):
            wait_for_frames_growing(page)
        assert worker.poll() is None
    finally:
        pages.close()
    assert worker.poll() is None
