"""Documents in the chat, in two Chromium contexts: the citizen shares a phone photo with its
GPS position, the clerk sees it and downloads it without any EXIF, a reload replays it, the
transcript lists it; a cancelled upload shares nothing."""

import io
import re

import pytest
from PIL import Image
from playwright.sync_api import expect

from consult.consultations.models import Consultation, Document

from .conftest import assert_accessible
from .test_chat_flow import sign_in

pytestmark = pytest.mark.e2e

GPS_TAG = 0x8825
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def phone_photo() -> bytes:
    image = Image.new("RGB", (320, 240), (30, 120, 200))
    exif = Image.Exif()
    exif[0x010F] = "Phonemaker"
    exif.get_ifd(GPS_TAG).update({1: "N", 2: (52.0, 31.0, 12.0), 3: "E", 4: (13.0, 24.0, 0.0)})
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


@pytest.fixture
def anna(topic, make_clerk):
    return make_clerk("anna", [topic], status="offline")


def test_a_photo_reaches_the_clerk_without_its_position(pages, topic, anna):
    clerk = pages.new()
    sign_in(clerk, "anna")  # there: the topic is reachable
    citizen = pages.new()
    citizen.goto("/")
    citizen.get_by_role("button", name="Chat starten").click()
    expect(citizen).to_have_url(re.compile(r"/c/[\w-]{43}/$"))
    clerk.locator("#queue li").get_by_role("button", name="Annehmen").click()
    expect(citizen.get_by_role("log")).to_contain_text("Anna ist dem Gespräch beigetreten.")

    # A cancelled upload: the progress bar shows, Cancel stops it, nothing is shared.
    held = []
    citizen.route("**/documents/", lambda route: held.append(route))
    picker = citizen.get_by_label("Datei teilen")
    picker.set_input_files(
        files=[{"name": "entwurf.jpg", "mimeType": "image/jpeg", "buffer": phone_photo()}]
    )
    cancel = citizen.get_by_role("button", name="Hochladen abbrechen")
    expect(cancel).to_be_focused()
    expect(citizen.get_by_role("progressbar", name="Fortschritt des Hochladens")).to_be_visible()
    assert_accessible(citizen)
    cancel.click()
    expect(citizen.locator(".upload-status")).to_have_text(
        "Hochladen abgebrochen. Es wurde nichts geteilt."
    )
    expect(picker).to_be_focused()
    citizen.unroute("**/documents/")
    assert not Document.objects.exists()

    picker.set_input_files(
        files=[{"name": "Bescheid Foto.jpeg", "mimeType": "image/jpeg", "buffer": phone_photo()}]
    )
    expect(citizen.locator(".upload-status")).to_have_text("„Bescheid Foto.jpg“ wurde geteilt.")
    citizen_log = citizen.get_by_role("log")
    expect(citizen_log.locator(".entry-document")).to_have_count(1)
    expect(citizen_log).to_contain_text("Hat eine Datei geteilt: Bescheid Foto.jpg")
    assert_accessible(citizen)

    clerk_log = clerk.get_by_role("log")
    link = clerk_log.get_by_role("link", name=re.compile(r"^Bescheid Foto\.jpg \([\d,]+ K?B\)$"))
    expect(link).to_be_visible()
    assert_accessible(clerk)
    with clerk.expect_download() as download_info:
        link.click()
    download = download_info.value
    assert download.suggested_filename == "Bescheid Foto.jpg"
    with open(download.path(), "rb") as handle:
        data = handle.read()
    with Image.open(io.BytesIO(data)) as image:
        assert image.format == "JPEG" and image.size == (320, 240)
        assert not image.getexif() and "exif" not in image.info
    assert b"Phonemaker" not in data

    # The other direction: the clerk shares a PDF, the citizen gets it.
    clerk.get_by_label("Datei teilen").set_input_files(
        files=[{"name": "Merkblatt.pdf", "mimeType": "application/pdf", "buffer": PDF}]
    )
    citizen_link = citizen.get_by_role("log").get_by_role("link", name="Merkblatt.pdf (45 B)")
    expect(citizen_link).to_be_visible()
    with citizen.expect_download() as pdf_download:
        citizen_link.click()
    with open(pdf_download.value.path(), "rb") as handle:
        assert handle.read() == PDF

    # A reload replays the entry; the transcript lists it by name and size.
    citizen.reload()
    expect(citizen.get_by_role("log").locator(".entry-document")).to_have_count(2)
    expect(citizen.get_by_role("log")).to_contain_text("Bescheid Foto.jpg")
    consultation = Consultation.objects.get()
    transcript = citizen.request.get(f"/c/{consultation.public_token}/transcript.txt").text()
    assert re.search(
        r"Hat eine Datei geteilt: Bescheid Foto\.jpg \([\d,]+\s(Bytes|KB)\)", transcript
    )

    # A file that is no image or PDF, whatever its name: refused in German, nothing stored.
    picker = citizen.get_by_label("Datei teilen")
    picker.set_input_files(
        files=[{"name": "scan.pdf", "mimeType": "application/pdf", "buffer": b"MZ\x90\x00" * 64}]
    )
    expect(
        citizen.get_by_role("alert").filter(has_text="kann nicht geteilt werden")
    ).to_be_visible()
    assert_accessible(citizen)
    assert Document.objects.count() == 2
    # The browser reports the refusal's status; nothing else went wrong.
    assert pages.errors == [
        "Failed to load resource: the server responded with a status of 400 (Bad Request)"
    ]
    pages.errors.clear()
