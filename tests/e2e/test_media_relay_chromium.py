"""Two headless Chromium pages in a call through the relay (no app pages: the relay alone).

The pages are served from http://127.0.0.1 (getUserMedia needs a trustworthy origin) by a
throwaway HTTP server; their offers go straight to a ``Session`` in this event loop.
"""

import http.server
import threading
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from playwright.async_api import async_playwright

from signaling.media.session import Session
from tests.conftest import CHROMIUM
from tests.media_peers import EncoderCalls

from .conftest import BROWSER_ARGS

pytestmark = pytest.mark.e2e

OFFER = """async () => {
  const stream = await navigator.mediaDevices.getUserMedia(
    {video: {width: 640, height: 480}, audio: true});
  const pc = new RTCPeerConnection({iceServers: []});
  window.pc = pc;
  window.framesDecoded = 0;
  stream.getTracks().forEach((track) => pc.addTrack(track, stream));
  await pc.setLocalDescription(await pc.createOffer());
  await new Promise((resolve) => {
    if (pc.iceGatheringState === "complete") resolve();
    pc.addEventListener("icegatheringstatechange",
      () => pc.iceGatheringState === "complete" && resolve());
  });
  setInterval(async () => {
    let frames = 0;
    (await pc.getStats()).forEach((r) => {
      if (r.type === "inbound-rtp" && r.kind === "video") frames += r.framesDecoded || 0;
    });
    window.framesDecoded = frames;
  }, 100);
  return pc.localDescription.sdp;
}"""
ANSWER = "(sdp) => window.pc.setRemoteDescription({type: 'answer', sdp})"


class _Blank(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b"<!doctype html><html lang='en'><title>relay</title></html>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def origin() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Blank)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/"
    server.shutdown()


@pytest.fixture
async def chromium() -> AsyncIterator[Any]:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=BROWSER_ARGS)
        yield browser
        await browser.close()


async def test_two_chromium_pages_see_each_other_through_the_pass_through_relay(
    chromium: Any, origin: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    encoders = EncoderCalls()
    encoders.patch(monkeypatch)
    session = Session(consultation_id=1, ice_servers=[], notify=_ignore)
    pages = {}
    try:
        for party in ("citizen", "clerk"):  # the clerk joins while the citizen is sending
            page = await (await chromium.new_context()).new_page()
            await page.goto(origin)
            sdp = await page.evaluate(OFFER)
            answer = await session.accept_offer(party=party, sdp=sdp, reply_group="g")
            await page.evaluate(ANSWER, answer)
            pages[party] = page

        for page in pages.values():
            await page.wait_for_function("window.framesDecoded >= 30", timeout=30_000)
        assert session.relay.stats.forwarded["video"] >= 60
        assert session.relay.stats.transcoded == {"audio": 0, "video": 0}
        assert encoders.of([leg.pc for leg in session.legs.values()]) == 0
    finally:
        await session.close()


async def _ignore(group: str, message: dict[str, Any]) -> None:
    pass
