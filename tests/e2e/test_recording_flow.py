"""A recorded consultation in two Chromium contexts: consent, indicator, two playable files,
the manager's playback with its audit entry, and withdrawal deleting the files."""

import re
import time
from pathlib import Path

import av
import pytest
from django.contrib.auth.models import Permission
from playwright.sync_api import expect

from consult.recording.models import AuditEvent, Recording, RecordingFile

from .conftest import assert_accessible
from .test_statistics_flow import log_in_manager
from .test_video_call import anna, start_video_call, wait_for_frames_growing  # noqa: F401

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def recordings_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("recordings")


@pytest.fixture(scope="module")
def recording_platform(django_db_blocker, recordings_dir):
    """daphne and a media worker writing recordings to a directory of this test."""
    from .conftest import running_platform

    with (
        django_db_blocker.unblock(),
        running_platform("recording", RECORDINGS_DIR=str(recordings_dir)) as url,
    ):
        yield url


@pytest.fixture
def maria(django_user_model):
    user = django_user_model.objects.create_user(username="maria", password="pw-maria")
    user.user_permissions.add(Permission.objects.get(codename="view_statistics"))
    return user


# Video frames the page has sent on its open peer connections (getStats).
FRAMES_SENT = """async () => {
  let total = 0;
  for (const pc of window.sprechstundeCalls || []) {
    (await pc.getStats()).forEach((s) => {
      if (s.type === "outbound-rtp" && s.kind === "video") total += s.framesSent || 0;
    });
  }
  return total;
}"""


def frames_sent(page) -> int:
    return int(page.evaluate(FRAMES_SENT))


def eventually(check, timeout=20):
    """Polls the database (the platform's processes write it) until ``check`` holds."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached")
        time.sleep(0.1)


def test_a_recorded_consultation(
    browser,
    recording_platform,
    recordings_dir,
    transactional_db,
    topic,
    anna,  # noqa: F811
    maria,
):
    from .conftest import Pages

    pages = Pages(browser, recording_platform)
    try:
        citizen, clerk = start_video_call(pages)  # peer-to-peer first
        for page in (citizen, clerk):
            expect(page.locator(".call-state")).to_have_text("Videoanruf verbunden (direkt).")

        clerk.get_by_label("Zweck einer Aufzeichnung").fill("Nachweis der Antragstellung")
        clerk.get_by_role("button", name="Aufzeichnung anfragen").click()
        expect(clerk.locator(".rec-indicator")).to_have_text(
            "Warten auf die Einwilligung zur Aufzeichnung …"
        )
        dialog = citizen.get_by_role(
            "dialog", name="Darf dieses Videogespräch aufgezeichnet werden?"
        )
        expect(dialog).to_contain_text("Nachweis der Antragstellung")
        expect(dialog).to_contain_text("30 Tage nach der Beratung gelöscht")
        assert_accessible(citizen)
        assert not Recording.objects.filter(state="recording").exists()
        dialog.get_by_role("button", name="Ja, ich stimme der Aufzeichnung zu").click()

        for page in (citizen, clerk):
            indicator = page.get_by_role("status").filter(has_text="Aufzeichnung läuft")
            expect(indicator).to_contain_text("Zweck: Nachweis der Antragstellung")
            expect(page.locator(".call-state")).to_have_text(
                "Videoanruf verbunden (über den Server).", timeout=15000
            )
            wait_for_frames_growing(page, more=60)
        assert_accessible(clerk)

        # The recording started before the parties switched to the relay, so each file must
        # hold every frame its browser sent through the relay until the stop: compared with
        # what was sent, not with a frame rate (Chrome sends fewer while its bitrate ramps up).
        sent = {"citizen": frames_sent(citizen), "clerk": frames_sent(clerk)}
        clerk.get_by_role("button", name="Aufzeichnung beenden und behalten").click()
        eventually(lambda: RecordingFile.objects.count() == 2)
        recording = Recording.objects.get()
        assert recording.state == "stopped" and recording.duration_seconds > 1
        for file in recording.files.all():
            with av.open(str(Path(recordings_dir) / file.path)) as container:
                recorded = sum(1 for _ in container.decode(video=0))
            assert recorded >= sent[file.party] >= 60, (file.party, recorded, sent)

        manager = pages.new()
        log_in_manager(manager)
        manager.goto("/recordings/")
        expect(manager.get_by_role("heading", name=re.compile("Aufzeichnung \\d+"))).to_be_visible()
        assert_accessible(manager)
        player = manager.get_by_label("Aufzeichnung (Bürgerin oder Bürger)")
        player.evaluate("(video) => { video.muted = true; return video.play(); }")
        manager.wait_for_function(
            "(video) => video.currentTime > 0.5", arg=player.element_handle(), timeout=15000
        )
        eventually(lambda: AuditEvent.objects.filter(actor_name="maria").exists())
        manager.reload()
        expect(manager.get_by_text("Zugriffsprotokoll: 1")).to_be_visible()

        citizen.get_by_role("button", name="Aufzeichnung beenden und löschen").click()
        for page in (citizen, clerk):
            expect(page.locator(".rec-indicator")).to_have_text(
                "Die Aufzeichnung wurde beendet und gelöscht."
            )
        eventually(lambda: not (Path(recordings_dir) / str(recording.pk)).exists())
        assert not RecordingFile.objects.exists()
        manager.reload()
        expect(
            manager.get_by_text("Es gibt keine Aufzeichnungen, die Sie sehen dürfen.")
        ).to_be_visible()
    finally:
        pages.close()
    assert pages.foreign_requests() == []
    assert pages.errors == []
