"""Reads for transcripts: a consultation's chat log as plain text or PDF.

Only the log of the one consultation passed in is read; who may ask for which consultation
is decided by the caller (the citizen's token, the clerk's own consultations).
"""

from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import QuerySet
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from consult.clock import LOCAL
from consult.consultations.models import Consultation, Message
from consult.staff.names import citizen_facing_names

HISTORY_LENGTH = 20


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
    }
    return texts.get(kind, kind)


def transcript_lines(consultation: Consultation) -> list[TranscriptLine]:
    """The log in order; clerks appear by the name citizens see (CLERK_DISPLAY_NAME) only."""
    messages = list(consultation.messages.order_by("seq"))
    names = citizen_facing_names({m.author_id for m in messages if m.author_id is not None})
    lines = []
    for message in messages:
        if message.kind == Message.Kind.TEXT:
            if message.sender == Message.Sender.CITIZEN:
                who = _("Citizen")
            else:
                who = names.get(message.author_id or 0, "") or _("Clerk")
            text = message.body
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
    """The PDF core fonts cover Latin-1 (all German letters); anything else becomes '?'."""
    text = text.replace("–", "-").replace("„", '"').replace("“", '"').replace("€", "EUR")
    return text.encode("latin-1", "replace").decode("latin-1")


def transcript_pdf(consultation: Consultation) -> bytes:
    from fpdf import FPDF  # imported here: only this download needs it

    pdf = FPDF(format="A4")
    pdf.set_title(_pdf_safe(_heading(consultation)[0]))
    pdf.set_creator("Sprechstunde")
    pdf.add_page()
    pdf.set_font("Helvetica", style="B", size=14)
    heading, started = _heading(consultation)
    pdf.multi_cell(0, 8, _pdf_safe(heading), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=10)
    pdf.multi_cell(0, 6, _pdf_safe(started), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    for line in transcript_lines(consultation):
        stamp, text = _line(line)
        pdf.set_font("Helvetica", style="B", size=10)
        pdf.multi_cell(0, 6, _pdf_safe(stamp), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", size=11)
        pdf.multi_cell(0, 6, _pdf_safe(text), new_x="LMARGIN", new_y="NEXT")
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
