"""Writes for documents in the chat: a party shares a PDF, JPEG or PNG, which becomes a log
entry of kind ``document`` with the consultation's next sequence number (so live delivery,
replay and transcripts include it) and a file under ``settings.DOCUMENTS_ROOT``.

What is stored is decided by the content, never by the name or the browser's claim: a PDF by
its header and trailer, an image by Pillow, which decodes it and encodes it again without any
metadata (no EXIF, no GPS position, no comments, no colour profile), upright as the camera
meant it. With a scanner configured (consult/chat/scanner.py) every file is scanned first.
Every refusal raises ``DomainError`` with a code of consult/errors.py and stores nothing.

Files live in one directory per consultation under a random name
(``DOCUMENTS_ROOT/<consultation id>/<storage name>``); the file is written before its row
and removed again when the row is not written, and retention (consult/recording/retention.py)
deletes the directory with the chat log.
"""

import io
import logging
import re
import shutil
import time
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.cache import cache
from django.db import transaction
from django.template.defaultfilters import filesizeformat

from consult.chat import scanner
from consult.chat.messages import clerk_id_of
from consult.consultations.log import append_log_entry
from consult.consultations.models import Consultation, Document, Message
from consult.errors import DomainError, message_for
from consult.validators import storable

logger = logging.getLogger(__name__)

# The names DOCUMENTS_TYPES may list, and what each is stored and served as.
TYPES: dict[str, str] = {
    "pdf": Document.Type.PDF,
    "jpeg": Document.Type.JPEG,
    "png": Document.Type.PNG,
}
EXTENSIONS: dict[str, str] = {
    Document.Type.PDF: ".pdf",
    Document.Type.JPEG: ".jpg",
    Document.Type.PNG: ".png",
}
MAX_NAME = Document._meta.get_field("name").max_length or 120
CLIENT_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
RATE_WINDOW_SECONDS = 60


@dataclass(frozen=True)
class Checked:
    """The file as it will be stored: its type by content, and its bytes (re-encoded for
    images)."""

    content_type: str
    data: bytes


def allowed_types() -> list[str]:
    return [TYPES[kind] for kind in settings.DOCUMENTS_TYPES if kind in TYPES]


def limits() -> dict[str, object]:
    """What the pages tell before a file is chosen, and what the picker offers."""
    types = allowed_types()
    return {
        "accept": ",".join(types),
        "types": ", ".join(label for value, label in Document.Type.choices if value in types),
        "size": filesizeformat(settings.DOCUMENTS_MAX_BYTES),
        "count": settings.DOCUMENTS_MAX_PER_CONSULTATION,
        "max_bytes": settings.DOCUMENTS_MAX_BYTES,
        "too_large": refusal_text("document_too_large"),
    }


def refusal_text(code: str) -> str:
    """The text of a refusal for a person, with the limits in force filled in."""
    names = [label for value, label in Document.Type.choices if value in allowed_types()]
    return message_for(code) % {
        "types": ", ".join(names),
        "size": filesizeformat(settings.DOCUMENTS_MAX_BYTES),
        "count": settings.DOCUMENTS_MAX_PER_CONSULTATION,
    }


def clean_name(name: str, content_type: str) -> str:
    """The name the parties see: the last path part, printable, at most ``MAX_NAME``
    characters, with the extension of the type it really is."""
    name = unicodedata.normalize("NFC", name).replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in name if c.isprintable()).strip().strip(".") or "Dokument"
    stem = name.rsplit(".", 1)[0] if "." in name else name
    extension = EXTENSIONS[content_type]
    return stem[: MAX_NAME - len(extension)].strip() + extension


def _pdf(data: bytes) -> Checked | None:
    # A PDF starts with its header (some writers put up to 1 KiB before it) and ends with
    # the end-of-file marker within its last bytes.
    if b"%PDF-" in data[:1024] and b"%%EOF" in data[-2048:]:
        return Checked(content_type=Document.Type.PDF, data=data)
    return None


# EXIF orientation -> how to turn the pixels upright (as ``ImageOps.exif_transpose``).
ORIENTATION = {2: "FLIP_LEFT_RIGHT", 3: "ROTATE_180", 4: "FLIP_TOP_BOTTOM", 5: "TRANSPOSE"}
ORIENTATION |= {6: "ROTATE_270", 7: "TRANSVERSE", 8: "ROTATE_90"}


def _image(data: bytes) -> Checked | None:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as opened:
            if opened.format not in ("JPEG", "PNG"):
                return None
            width, height = opened.size
            if width * height > settings.DOCUMENTS_MAX_PIXELS:
                raise DomainError("document_too_large", "Too many pixels.")
            opened.load()
            kind = opened.format
            turn = ORIENTATION.get(opened.getexif().get(0x0112, 1))
            # A new image from the pixels alone: nothing of the file's metadata comes along.
            # (Palette images as RGBA: a new palette image would not have the palette.)
            source = opened.convert("RGBA") if opened.mode in ("P", "PA") else opened
            clean = Image.new(source.mode, source.size)
            clean.paste(source)
            del opened, source  # their pixels are not needed twice
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        return None
    if turn:
        clean = clean.transpose(getattr(Image.Transpose, turn))
    out = io.BytesIO()
    if kind == "JPEG":
        if clean.mode not in ("RGB", "L"):
            clean = clean.convert("RGB")
        clean.save(out, "JPEG", quality=90)
        return Checked(content_type=Document.Type.JPEG, data=out.getvalue())
    if clean.mode not in ("1", "L", "LA", "RGB", "RGBA", "I", "I;16"):
        clean = clean.convert("RGBA")
    clean.save(out, "PNG")
    return Checked(content_type=Document.Type.PNG, data=out.getvalue())


def check_content(data: bytes) -> Checked:
    """The file's type by its content, or ``document_type``."""
    if not data:
        raise DomainError("document_empty", "The file is empty.")
    checked = _pdf(data) or _image(data)
    if checked is None or checked.content_type not in allowed_types():
        raise DomainError("document_type", "Not an allowed type by content.")
    return checked


def _check_rate(consultation: Consultation, sender: str) -> None:
    window = int(time.time() // RATE_WINDOW_SECONDS)
    # The id with the start time: ids repeat when a database is made anew (a reinstall, the
    # tests), while the cache (Redis) keeps its counters.
    started = int(consultation.created_at.timestamp() * 1_000_000)
    key = f"documents.rate.{consultation.pk}.{started}.{sender}.{window}"
    if cache.add(key, 1, timeout=RATE_WINDOW_SECONDS * 2):
        count = 1
    else:
        try:
            count = cache.incr(key)
        except ValueError:  # expired in between
            cache.add(key, 1, timeout=RATE_WINDOW_SECONDS * 2)
            count = 1
    if count > settings.DOCUMENTS_UPLOADS_PER_MINUTE:
        raise DomainError("rate_limited", "Too many uploads in this minute.")


def _check_party(consultation: Consultation | None, *, clerk_id: int | None) -> Consultation:
    if consultation is None:
        raise DomainError("not_found", "No such consultation.")
    if clerk_id is not None and consultation.clerk_id != clerk_id:
        raise DomainError("not_found", "This consultation is no longer yours.")
    if consultation.state != Consultation.State.ACTIVE:
        raise DomainError("not_active", "Documents can be shared only during the conversation.")
    return consultation


def _check_count(consultation_id: int) -> None:
    shared = Document.objects.filter(consultation_id=consultation_id).count()
    if shared >= settings.DOCUMENTS_MAX_PER_CONSULTATION:
        raise DomainError("too_many_documents", "The consultation has its maximum of files.")


def documents_dir(consultation_id: int) -> Path:
    return Path(settings.DOCUMENTS_ROOT) / str(int(consultation_id))


def document_path(document: Document) -> Path:
    return documents_dir(document.consultation_id) / document.storage_name


def share_document(
    *,
    consultation_id: int,
    sender: str,
    data: bytes,
    name: str,
    client_id: str,
    author: AbstractBaseUser | None = None,
) -> tuple[Message, bool]:
    """Store a shared file and its log entry once per ``client_id``; returns ``(entry,
    created)``. ``data`` is at most ``DOCUMENTS_MAX_BYTES`` + 1 bytes (the caller stops
    reading there). The entry is broadcast to both parties on commit."""
    clerk_id = clerk_id_of(sender=sender, author=author)
    if not CLIENT_ID.match(client_id):
        raise DomainError("invalid_field", "client_id is required (1 to 64 characters).")
    if not storable(name):
        raise DomainError("invalid_characters", "The file name cannot be stored.")
    existing = (
        Message.objects.filter(consultation_id=consultation_id, sender=sender, client_id=client_id)
        .select_related("document")
        .first()
    )
    if existing is not None:
        return existing, False  # a resend after a lost answer: stored once
    consultation = _check_party(
        Consultation.objects.filter(pk=consultation_id).first(), clerk_id=clerk_id
    )
    if len(data) > settings.DOCUMENTS_MAX_BYTES:
        raise DomainError("document_too_large", "The file is over the size limit.")
    _check_count(consultation_id)
    _check_rate(consultation, sender)
    checked = check_content(data)
    if scanner.scanner_configured():
        try:
            infected = scanner.is_infected([data])
        except scanner.ScanFailed as error:
            logger.warning("document scan failed: %s", error)
            raise DomainError("scan_failed", "The scanner gave no verdict.") from None
        if infected:
            logger.warning("document refused by the scanner (consultation %s)", consultation_id)
            raise DomainError("document_infected", "The scanner found malware.")
    return _store(
        consultation_id=consultation_id,
        sender=sender,
        clerk_id=clerk_id,
        checked=checked,
        name=clean_name(name, checked.content_type),
        client_id=client_id,
    )


def _store(
    *,
    consultation_id: int,
    sender: str,
    clerk_id: int | None,
    checked: Checked,
    name: str,
    client_id: str,
) -> tuple[Message, bool]:
    document = Document(
        consultation_id=consultation_id,
        name=name,
        content_type=checked.content_type,
        size=len(checked.data),
    )
    path = document_path(document)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(checked.data)
    try:
        with transaction.atomic():
            # The row lock orders concurrent uploads: the count holds under races.
            consultation = _check_party(
                Consultation.objects.select_for_update().filter(pk=consultation_id).first(),
                clerk_id=clerk_id,
            )
            _check_count(consultation_id)
            message = append_log_entry(
                consultation=consultation,
                kind=Message.Kind.DOCUMENT,
                sender=sender,
                body=name,
                client_id=client_id,
                author_id=clerk_id,
                document_of=document,
            )
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return message, True


def consultations_with_files() -> list[int]:
    """The consultations that have a directory of files under ``DOCUMENTS_ROOT``."""
    root = Path(settings.DOCUMENTS_ROOT)
    if not root.is_dir():
        return []
    return [int(path.name) for path in root.iterdir() if path.is_dir() and path.name.isdigit()]


def delete_document_files(consultation_ids: list[int]) -> int:
    """Delete the document directories of these consultations (also files whose row was
    never written); returns how many files went."""
    removed = 0
    for consultation_id in consultation_ids:
        directory = documents_dir(consultation_id)
        if not directory.is_dir():
            continue
        removed += sum(1 for path in directory.iterdir() if path.is_file())
        shutil.rmtree(directory, ignore_errors=True)
    return removed
