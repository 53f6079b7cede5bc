"""Documents in the chat over HTTP: checked by content, re-encoded without metadata, stored
outside the static roots, served only to the consultation's parties; every refusal stores
nothing (rows and disk)."""

import io
import socket
import struct
import threading
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from PIL import Image

from consult.chat import messages
from consult.consultations.models import Consultation, Document, Message
from consult.queue import lifecycle
from consult.recording.transcripts import transcript_text

pytestmark = pytest.mark.django_db

GPS_TAG = 0x8825


@pytest.fixture(autouse=True)
def documents_root(settings, tmp_path):
    settings.DOCUMENTS_ROOT = tmp_path / "documents"
    return settings.DOCUMENTS_ROOT


def stored_files(root) -> list:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def photo_with_gps() -> bytes:
    """A phone photo: JPEG with EXIF camera data and a GPS position."""
    image = Image.new("RGB", (64, 48), (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "Phonemaker"  # Make
    exif[0x0112] = 1  # Orientation
    exif.get_ifd(GPS_TAG).update({1: "N", 2: (48.0, 8.0, 30.0), 3: "E", 4: (11.0, 34.0, 0.0)})
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif, comment=b"Bei Oma zuhause")
    return out.getvalue()


PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def upload(client, url, data: bytes, *, name="foto.jpg", client_id="u1", **headers):
    return client.post(
        url,
        data=data,
        content_type="application/octet-stream",
        headers={"X-Document-Name": name, "X-Client-Id": client_id, **headers},
    )


def citizen_url(consultation) -> str:
    return f"/c/{consultation.public_token}/documents/"


def test_a_photo_is_shared_without_its_gps_position(client, chat, documents_root):
    response = upload(client, citizen_url(chat), photo_with_gps(), name="IMG%201234.jpeg")
    assert response.status_code == 201
    entry = response.json()["entry"]
    assert entry["kind"] == "document"
    assert entry["seq"] == chat.last_seq + 1
    assert entry["document"]["name"] == "IMG 1234.jpg"
    assert entry["document"]["type"] == "image/jpeg"
    [stored] = stored_files(documents_root)
    data = stored.read_bytes()
    assert b"Phonemaker" not in data and b"Oma" not in data
    with Image.open(io.BytesIO(data)) as image:
        assert image.format == "JPEG" and image.size == (64, 48)
        assert not image.getexif() and GPS_TAG not in image.getexif()
        assert "exif" not in image.info
    # The clerk downloads it: an attachment that runs nothing.
    client.force_login(chat.clerk)
    download = client.get(f"/console/consultations/{chat.pk}/documents/{entry['document']['id']}/")
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == data
    assert download["Content-Type"] == "image/jpeg"
    assert download["Content-Disposition"].startswith("attachment;")
    assert download["X-Content-Type-Options"] == "nosniff"
    assert download["Content-Security-Policy"].startswith("sandbox")


def test_the_entry_is_replayed_and_listed_in_the_transcript(client, chat):
    upload(client, citizen_url(chat), PDF, name="Meldebescheinigung.pdf")
    text = transcript_text(chat)
    assert "Meldebescheinigung.pdf (" in text and "Bytes" in text
    replay = client.get(f"/c/{chat.public_token}/transcript.txt").content.decode()
    assert "Meldebescheinigung.pdf" in replay
    entry = Message.objects.get(consultation=chat, kind="document")
    assert entry.document.size == len(PDF)


def test_a_resend_stores_the_file_once(client, chat, documents_root):
    first = upload(client, citizen_url(chat), PDF, name="a.pdf", client_id="same")
    again = upload(client, citizen_url(chat), PDF, name="a.pdf", client_id="same")
    assert (first.status_code, again.status_code) == (201, 200)
    assert Document.objects.count() == 1 and len(stored_files(documents_root)) == 1


def assert_nothing_stored(chat, documents_root) -> None:
    assert not Document.objects.exists()
    assert not Message.objects.filter(consultation=chat, kind="document").exists()
    assert stored_files(documents_root) == []


def test_a_renamed_executable_is_refused(client, chat, documents_root):
    executable = b"\x7fELF\x02\x01\x01" + bytes(200)
    response = upload(client, citizen_url(chat), executable, name="rechnung.pdf")
    assert response.status_code == 400
    assert response.json()["code"] == "document_type"
    assert "PDF, JPEG, PNG" in response.json()["message"]
    windows = upload(client, citizen_url(chat), b"MZ\x90\x00" + bytes(100), name="foto.jpg")
    assert windows.json()["code"] == "document_type"
    assert_nothing_stored(chat, documents_root)


def test_a_pdf_over_the_size_limit_is_refused(client, chat, documents_root, settings):
    settings.DOCUMENTS_MAX_BYTES = 1024
    big = PDF[:-7] + b"x" * 2000 + b"\n%%EOF\n"
    response = upload(client, citizen_url(chat), big, name="gross.pdf")
    assert response.status_code == 413
    assert response.json()["message"] == (
        "Diese Datei ist zu groß. Dateien bis 1,0\xa0KB können geteilt werden."
    )
    assert_nothing_stored(chat, documents_root)


def test_a_file_beyond_the_count_is_refused(client, chat, documents_root, settings):
    settings.DOCUMENTS_MAX_PER_CONSULTATION = 2
    for n in range(2):
        assert upload(client, citizen_url(chat), PDF, client_id=f"n{n}").status_code == 201
    response = upload(client, citizen_url(chat), PDF, client_id="n3")
    assert response.status_code == 409
    assert response.json()["code"] == "too_many_documents"
    assert Document.objects.count() == 2 and len(stored_files(documents_root)) == 2


def test_a_file_for_another_consultations_token_is_refused(client, chat, documents_root):
    other = lifecycle.start_consultation(topic_slug="hundesteuer")
    upload(client, citizen_url(chat), PDF, client_id="mine")
    mine = Document.objects.get()
    # The other citizen can neither upload into this one nor fetch its file through theirs.
    wrong_token = chat.public_token[:-1] + ("A" if chat.public_token[-1] != "A" else "B")
    assert upload(client, f"/c/{wrong_token}/documents/", PDF).status_code == 404
    assert client.get(f"/c/{other.public_token}/documents/{mine.pk}/").status_code == 404
    waiting = upload(client, citizen_url(other), PDF, client_id="theirs")
    assert waiting.status_code == 409 and waiting.json()["code"] == "not_active"
    assert Document.objects.count() == 1 and len(stored_files(documents_root)) == 1


def test_a_clerk_not_assigned_is_refused(client, chat, documents_root, make_clerk, topic):
    client.force_login(make_clerk("ben", [topic]))
    url = f"/console/consultations/{chat.pk}/documents/"
    assert upload(client, url, PDF).status_code == 404
    assert_nothing_stored(chat, documents_root)
    client.force_login(chat.clerk)
    assert upload(client, url, PDF, name="Antrag.pdf").status_code == 201
    document = Document.objects.get()
    client.force_login(make_clerk("clara", [topic]))
    assert client.get(f"{url}{document.pk}/").status_code == 404


def test_the_upload_needs_the_csrf_token(chat):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    assert upload(strict, citizen_url(chat), PDF).status_code == 403
    strict.get(f"/c/{chat.public_token}/")
    token = strict.cookies["csrftoken"].value
    assert upload(strict, citizen_url(chat), PDF, **{"X-CSRFToken": token}).status_code == 201


def test_uploads_are_rate_limited(client, chat, settings, documents_root):
    settings.DOCUMENTS_UPLOADS_PER_MINUTE = 2
    codes = [
        upload(client, citizen_url(chat), PDF, client_id=f"r{n}").status_code for n in range(3)
    ]
    assert codes == [201, 201, 429]
    assert len(stored_files(documents_root)) == 2


class FakeClamd(threading.Thread):
    """clamd's INSTREAM protocol on a unix socket: FOUND for the EICAR test string."""

    def __init__(self, path):
        super().__init__(daemon=True)
        self.server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.server.bind(str(path))
        self.server.listen(4)
        self.scanned = 0

    def run(self):
        while True:
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            with conn:
                stream = conn.makefile("rb")
                assert stream.read(10) == b"zINSTREAM\0"
                data = b""
                while size := struct.unpack("!L", stream.read(4))[0]:
                    data += stream.read(size)
                self.scanned += 1
                found = b"EICAR-STANDARD-ANTIVIRUS-TEST-FILE" in data
                conn.sendall(b"stream: Eicar-Signature FOUND\0" if found else b"stream: OK\0")


def test_the_virus_scanner_refuses_what_it_finds(client, chat, settings, tmp_path):
    clamd = FakeClamd(tmp_path / "clamd.sock")
    clamd.start()
    settings.DOCUMENTS_CLAMD = str(tmp_path / "clamd.sock")
    eicar = (
        PDF[:-7] + b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*\n%%EOF"
    )
    refused = upload(client, citizen_url(chat), eicar, client_id="v1")
    assert refused.status_code == 400 and refused.json()["code"] == "document_infected"
    assert upload(client, citizen_url(chat), PDF, client_id="v2").status_code == 201
    assert clamd.scanned == 2 and Document.objects.count() == 1
    clamd.server.close()
    settings.DOCUMENTS_CLAMD = str(tmp_path / "gone.sock")  # configured but unreachable
    failed = upload(client, citizen_url(chat), PDF, client_id="v3")
    assert failed.status_code == 503 and failed.json()["code"] == "scan_failed"
    assert Document.objects.count() == 1


def test_purge_expired_deletes_the_files_with_the_log(client, chat, documents_root, settings):
    upload(client, citizen_url(chat), photo_with_gps())
    messages.post_message(consultation_id=chat.pk, sender="citizen", body="Hallo", client_id="t")
    lifecycle.end_consultation(consultation_id=chat.pk, clerk=chat.clerk, outcome="resolved")
    assert len(stored_files(documents_root)) == 1
    settings.RETENTION_DAYS = {**settings.RETENTION_DAYS, "messages": 30}
    call_command("purge_expired", stdout=io.StringIO())  # not yet expired
    assert len(stored_files(documents_root)) == 1
    Consultation.objects.filter(pk=chat.pk).update(ended_at=timezone.now() - timedelta(days=31))
    call_command("purge_expired", stdout=io.StringIO())
    assert stored_files(documents_root) == []
    assert not Document.objects.exists() and not Message.objects.filter(consultation=chat)


def stored_image(root):
    [stored] = stored_files(root)
    return Image.open(io.BytesIO(stored.read_bytes()))


def test_a_photo_taken_sideways_is_stored_upright(client, chat, documents_root):
    image = Image.new("RGB", (60, 20), (0, 0, 0))
    image.paste((255, 255, 255), (0, 0, 10, 20))  # a white band at the left
    exif = Image.Exif()
    exif[0x0112] = 6  # the camera was turned: show it rotated by 90 degrees clockwise
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    assert upload(client, citizen_url(chat), out.getvalue()).status_code == 201
    with stored_image(documents_root) as stored:
        assert stored.size == (20, 60)
        assert stored.getpixel((10, 3))[0] > 200  # the white band is now at the top
        assert not stored.getexif()


def test_a_palette_png_keeps_its_colours_and_loses_its_text(client, chat, documents_root):
    from PIL import PngImagePlugin

    image = Image.new("P", (8, 8))
    image.putpalette([0, 0, 0, 10, 200, 30] + [0] * 762)
    image.paste(1, (0, 0, 8, 8))
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "Wohnadresse Musterweg 1")
    out = io.BytesIO()
    image.save(out, "PNG", pnginfo=info)
    response = upload(client, citizen_url(chat), out.getvalue(), name="scan.png")
    assert response.json()["entry"]["document"]["type"] == "image/png"
    with stored_image(documents_root) as stored:
        assert stored.convert("RGB").getpixel((4, 4)) == (10, 200, 30)
        assert "Comment" not in stored.info
    assert b"Musterweg" not in stored_files(documents_root)[0].read_bytes()
