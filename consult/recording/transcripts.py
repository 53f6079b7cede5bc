"""Reads for transcripts: a consultation's chat log as plain text or PDF.

Only the log of the one consultation passed in is read; who may ask for which consultation
is decided by the caller (the citizen's token, the clerk's own consultations).
"""

import logging
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import QuerySet
from django.template.defaultfilters import filesizeformat
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from consult.clock import LOCAL
from consult.consultations.models import Consultation, Message
from consult.staff.names import citizen_facing_names

HISTORY_LENGTH = 20

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class TranscriptLine:
    time: datetime
    who: str
    text: str


def _event_text(kind: str) -> str:
    texts: dict[str, str] = {
        Message.Kind.ACCEPTED: _("The clerk joined the conversation."),
        Message.Kind.ENDED: _("The conversation ended."),
        Message.Kind.ABANDONED: _("The citizen left."),
        Message.Kind.REQUEUED: _("The conversation was returned to the queue."),
        Message.Kind.TRANSFERRED: _("The conversation was transferred."),
        Message.Kind.VIDEO: _("The conversation switched to video."),
        Message.Kind.RELAY_MOVED: _("The video call moved to another server."),
    }
    return texts.get(kind, kind)


def transcript_lines(consultation: Consultation) -> list[TranscriptLine]:
    """The log in order; clerks appear by the name citizens see (CLERK_DISPLAY_NAME) only."""
    messages = list(consultation.messages.select_related("document").order_by("seq"))
    names = citizen_facing_names({m.author_id for m in messages if m.author_id is not None})
    lines = []
    for message in messages:
        # a written question reads as the citizen's text
        if message.kind in (Message.Kind.TEXT, Message.Kind.DOCUMENT, Message.Kind.QUESTION):
            if message.sender == Message.Sender.CITIZEN:
                who = _("Citizen")
            else:
                who = names.get(message.author_id or 0, "") or _("Clerk")
            text = message.body
            document = getattr(message, "document", None)
            if message.kind == Message.Kind.DOCUMENT and document is not None:
                text = _("Shared a file: %(name)s (%(size)s)") % {
                    "name": document.name,
                    "size": filesizeformat(document.size),
                }
        else:
            who, text = "–", _event_text(message.kind)
        lines.append(TranscriptLine(time=message.created_at, who=who, text=text))
    return lines


def _heading(consultation: Consultation) -> list[str]:
    started = date_format(consultation.created_at.astimezone(LOCAL), "DATETIME_FORMAT")
    return [
        _("Transcript of the consultation: %(topic)s") % {"topic": consultation.topic.name},
        _("Started: %(time)s") % {"time": started},
    ]


def _line(line: TranscriptLine) -> tuple[str, str]:
    return f"{line.time.astimezone(LOCAL):%d.%m.%Y %H:%M:%S} {line.who}", line.text


def transcript_text(consultation: Consultation) -> str:
    lines = transcript_lines(consultation)
    out = [*_heading(consultation), ""]
    if not lines:
        out.append(_("No entries (or they were deleted when the retention period ended)."))
    for line in lines:
        stamp, text = _line(line)
        out.append(f"[{stamp}]")
        out.extend(text.splitlines() or [""])
        out.append("")
    return "\n".join(out).rstrip("\n") + "\n"


def _pdf_safe(text: str) -> str:
    """Without the Unicode font the PDF core fonts cover Latin-1 (all German letters) only."""
    text = text.replace("–", "-").replace("„", '"').replace("“", '"').replace("€", "EUR")
    return text.encode("latin-1", "replace").decode("latin-1")


def _as_is(text: str) -> str:
    return text


def _unicode_fonts() -> tuple[Path, Path] | None:
    """DejaVu Sans (regular, bold) from TRANSCRIPT_FONT_DIR (Debian's fonts-dejavu-core), which
    covers Latin, Greek, Cyrillic and Arabic; None when it is not installed."""
    directory = Path(settings.TRANSCRIPT_FONT_DIR)
    regular, bold = directory / "DejaVuSans.ttf", directory / "DejaVuSans-Bold.ttf"
    if regular.is_file() and bold.is_file():
        return regular, bold
    logger.warning(
        "transcript font missing in %s: PDF transcripts fall back to Latin-1 "
        "(install Debian's fonts-dejavu-core)",
        directory,
    )
    return None


def transcript_pdf(consultation: Consultation) -> bytes:
    from fpdf import FPDF  # imported here: only this download needs it

    pdf = FPDF(format="A4")
    fonts = _unicode_fonts()
    family, safe = "Helvetica", _pdf_safe
    if fonts is not None:
        family, safe = "DejaVu", _as_is
        pdf.add_font(family, "", str(fonts[0]))
        pdf.add_font(family, "B", str(fonts[1]))
        # HarfBuzz shaping: Arabic letters joined and right to left, in logical order for
        # copy and search.
        pdf.set_text_shaping(True)
    heading, started = _heading(consultation)
    pdf.set_title(heading)
    pdf.set_creator("Sprechstunde")
    pdf.add_page()
    pdf.set_font(family, style="B", size=14)
    pdf.multi_cell(0, 8, safe(heading), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(family, size=10)
    pdf.multi_cell(0, 6, safe(started), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    for line in transcript_lines(consultation):
        stamp, text = _line(line)
        pdf.set_font(family, style="B", size=10)
        pdf.multi_cell(0, 6, safe(stamp), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(family, size=11)
        pdf.multi_cell(0, 6, safe(text), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(2)
    return bytes(pdf.output())


def transcript_filename(consultation: Consultation, extension: str) -> str:
    return f"sprechstunde-{consultation.created_at.astimezone(LOCAL):%Y-%m-%d}.{extension}"


def clerk_history(clerk: AbstractBaseUser | AnonymousUser) -> QuerySet[Consultation]:
    """The clerk's last ended consultations, newest first."""
    return (
        Consultation.objects.filter(clerk_id=clerk.pk, state=Consultation.State.ENDED)
        .select_related("topic")
        .order_by("-ended_at", "-pk")[:HISTORY_LENGTH]
    )
