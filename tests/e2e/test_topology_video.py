"""A video call through the shipped TURN configuration: coturn started with the rendered
deploy/coturn/turnserver.conf, the platform with RTC_FORCE_RELAY (only relay candidates) and
the TURN credentials it derives from the rendered RTC_TURN_SECRET; citizen and clerk in
Chromium, through nginx over TLS. Frames decoded on both sides prove coturn relayed them with
the shared secret."""

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from consult.consultations.models import Consultation

from .conftest import Pages, tokens_in_platform_logs
from .test_video_call import start_video_call, wait_for_frames_growing
from .topology import Topology, running_topology

pytestmark = pytest.mark.e2e
# The fixture's certificate is self-signed.
EXTRA_BROWSER_ARGS = ["--ignore-certificate-errors"]
# The candidate types (local, remote) of each call's selected candidate pair (getStats).
CONNECTED_PAIRS = """async () => {
  const pairs = [];
  for (const pc of window.sprechstundeCalls || []) {
    const report = await pc.getStats();
    report.forEach((s) => {
      if (s.type === "transport" && s.selectedCandidatePairId) {
        const pair = report.get(s.selectedCandidatePairId);
        pairs.push([
          report.get(pair.localCandidateId).candidateType,
          report.get(pair.remoteCandidateId).candidateType,
        ]);
      }
    });
  }
  return pairs;
}"""


@pytest.fixture(scope="module")
def topology(django_db_setup: None, django_db_blocker: Any, tmp_path_factory: Any) -> Iterator:
    folder = tmp_path_factory.mktemp("topology-turn")
    with (
        django_db_blocker.unblock(),
        running_topology(folder, turn=True, RTC_FORCE_RELAY="true") as topology,
    ):
        yield topology


@pytest.fixture
def pages(browser: Any, topology: Topology, transactional_db: None, monkeypatch, settings):
    pages = Pages(browser, topology.prepared(monkeypatch, settings).url)
    yield pages
    pages.close()
    assert pages.foreign_requests() == [], "a page requested another host"
    assert pages.errors == [], "a page reported script errors"
    assert tokens_in_platform_logs() == [], "a citizen's token reached a daphne log"
    tokens = Consultation.objects.values_list("public_token", flat=True)
    assert not [token for token in tokens if token in topology.nginx_logs()]


def test_video_call_relayed_by_coturn(pages, topology, topic, make_clerk):
    make_clerk("anna", [topic], status="offline")
    citizen, clerk = start_video_call(pages)
    for page in (citizen, clerk):
        expect(page.locator(".call-state")).to_have_text(
            "Videoanruf verbunden (direkt).", timeout=30_000
        )
        wait_for_frames_growing(page)
        # The pair that carries the call: relay candidates on both ends (coturn's).
        assert page.evaluate(CONNECTED_PAIRS) == [["relay", "relay"]]
    assert topology.turn is not None and topology.turn.poll() is None
