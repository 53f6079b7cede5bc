"""Video call set-up in real Chromium, on `make run`'s embedded default (SQLite, the in-memory
channel layer, the media worker inside the one daphne process).

    make bench-video        (python -m tests.bench.video_bench; BENCH_CALLS=5 per mode)

For each mode (peer-to-peer, server relay) a citizen starts a video consultation and the clerk
clicks "Accept"; each page records when its first video frame was decoded (getStats
``framesDecoded`` > 0). Prints the time from the click to the first frame on both sides, and
the frames decoded in the following 5 s. Figures, no assertions.
"""

import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CALLS = int(os.environ.get("BENCH_CALLS", "5"))
CHROMIUM = os.environ.get("CHROMIUM", "/usr/lib/chromium/chromium")
WORK = Path(tempfile.mkdtemp(prefix="video-bench-"))
ENV = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
ENV.update(SQLITE_PATH=str(WORK / "bench.sqlite3"), WHITENOISE_USE_FINDERS="true")
os.environ.update(ENV)
os.environ.pop("DATABASE_URL", None)
os.environ.pop("REDIS_URL", None)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402

from consult.catalogue.models import Topic  # noqa: E402
from consult.staff.models import StaffProfile  # noqa: E402

# Polls getStats and notes (once) when the first video frame was decoded.
WATCH_FIRST_FRAME = """() => {
  window.benchFirstFrame = null;
  window.benchFrames = 0;
  window.setInterval(async () => {
    let frames = 0;
    for (const pc of window.sprechstundeCalls || []) {
      (await pc.getStats()).forEach((s) => {
        if (s.type === "inbound-rtp" && s.kind === "video") frames += s.framesDecoded || 0;
      });
    }
    window.benchFrames = frames;
    if (frames > 0 && window.benchFirstFrame === null) window.benchFirstFrame = Date.now();
  }, 10);
}"""
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--use-fake-ui-for-media-stream",
    "--use-fake-device-for-media-stream=fps=30",
]


def prepare() -> None:
    call_command("migrate", verbosity=0)
    Topic.objects.create(name="Direkt", slug="direkt", media_mode="p2p")
    Topic.objects.create(name="Über den Server", slug="server", media_mode="relay")
    user = get_user_model().objects.create_user("bench", password="bench-pw")
    profile = StaffProfile.objects.create(user=user, display_name="Bench", status="offline")
    profile.topics.set(Topic.objects.all())


def start_daphne() -> tuple[subprocess.Popen, str]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    log = open(WORK / "daphne.log", "w")
    server = subprocess.Popen(  # noqa: S603
        [
            sys.executable,
            "-m",
            "daphne",
            "-b",
            "127.0.0.1",
            "-p",
            str(port),
            "config.asgi:application",
        ],
        cwd=ROOT,
        env=ENV,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2):  # noqa: S310
                return server, url
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"daphne did not start; see {log.name}")


def one_call(browser, url: str, clerk, slug: str) -> tuple[float, float, int, int]:
    citizen_context = browser.new_context(base_url=url)
    citizen = citizen_context.new_page()
    citizen.goto(f"/video/{slug}/")
    citizen.locator("#start-video-button:enabled").click()
    citizen.wait_for_url("**/c/*/")
    citizen.evaluate(WATCH_FIRST_FRAME)
    clerk.evaluate(WATCH_FIRST_FRAME)
    item = clerk.locator("#queue li")
    item.get_by_role("button").first.wait_for()
    clicked = clerk.evaluate("Date.now()")
    item.get_by_role("button").first.click()
    for page in (citizen, clerk):
        page.wait_for_function("() => window.benchFirstFrame !== null", timeout=30000)
    times = [page.evaluate("window.benchFirstFrame") - clicked for page in (citizen, clerk)]
    before = [page.evaluate("window.benchFrames") for page in (citizen, clerk)]
    clerk.wait_for_timeout(5000)  # a fixed window for counting frames, not a wait for an event
    after = [page.evaluate("window.benchFrames") for page in (citizen, clerk)]
    panel = clerk.locator(".chat-panel")
    panel.locator(".end-form select").select_option("resolved")
    panel.locator(".end-form button").click()
    panel.wait_for(state="detached")
    citizen_context.close()
    return times[0], times[1], after[0] - before[0], after[1] - before[1]


def main() -> None:
    from playwright.sync_api import sync_playwright

    prepare()
    server, url = start_daphne()
    results: dict[str, list[tuple[float, float, int, int]]] = {}
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            clerk = browser.new_context(base_url=url).new_page()
            clerk.goto("/console/login/")
            clerk.locator("#id_username").fill("bench")
            clerk.locator("#id_password").fill("bench-pw")
            clerk.get_by_role("button", name="Anmelden").click()
            clerk.wait_for_url("**/console/")
            clerk.locator("#status").select_option("available")
            for mode, slug in (("peer-to-peer", "direkt"), ("server relay", "server")):
                results[mode] = [one_call(browser, url, clerk, slug) for _ in range(CALLS)]
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=15)
    print(f"Video call set-up, {CALLS} calls per mode, embedded default (one daphne process)")
    print("mode           first frame after Accept (median, min–max)   frames decoded in 5 s")
    print("               citizen            clerk                     citizen / clerk")
    for mode, rows in results.items():
        cols = list(zip(*rows, strict=True))
        cells = [
            f"{statistics.median(c):5.0f} ms ({min(c):.0f}–{max(c):.0f})"
            for c in (cols[0], cols[1])
        ]
        frames = f"{statistics.median(cols[2]):.0f} / {statistics.median(cols[3]):.0f}"
        print(f"{mode:14} {cells[0]:18} {cells[1]:25} {frames}")


if __name__ == "__main__":
    main()
