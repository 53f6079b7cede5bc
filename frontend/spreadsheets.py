"""The statistics as an Excel workbook (.xlsx, openpyxl) that opens right in German Excel:
headers in the visitor's language, counts as whole numbers, shares as percentages, durations
as time values shown minutes:seconds, topic and channel names rather than codes. The CSV
exports stay as they are, for tools (docs/metrics.md)."""

from collections.abc import Callable, Iterable
from io import BytesIO
from typing import Any

from django.utils.text import capfirst
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from consult.consultations.models import Consultation
from consult.statistics import figures
from consult.statistics.filters import Filters

CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
COUNT, MEAN, PERCENT = "0", "0.0", "0%"
DURATION = "[m]:ss"  # a time value; "[m]" keeps counting minutes past the hour: 75:03
SECONDS_PER_DAY = 86400


def _columns(filters: Filters) -> list[tuple[str, str, str]]:
    """(figure, header, number format) in the order of the CSV export's columns."""

    def duration(label: str) -> str:
        return _("%(figure)s (min:s)") % {"figure": label}

    return [
        ("requested", _("Requested"), COUNT),
        ("answered", _("Answered"), COUNT),
        ("abandoned", _("Abandoned while waiting"), COUNT),
        (
            "short_abandoned",
            _("Left within %(s)s s (not counted)") % {"s": filters.short_abandon_seconds},
            COUNT,
        ),
        ("ended", _("Ended"), COUNT),
        ("asa", duration(_("Average speed of answer")), DURATION),
        ("median_wait", duration(_("Median wait")), DURATION),
        ("p90_wait", duration(_("90th percentile wait")), DURATION),
        ("max_wait", duration(_("Longest wait")), DURATION),
        ("service_level", _("Service level (%(s)s s)") % {"s": filters.service_seconds}, PERCENT),
        ("abandonment_rate", _("Abandonment rate"), PERCENT),
        ("aht", duration(_("Average handle time")), DURATION),
        ("satisfaction", _("Satisfaction (1–5)"), MEAN),
        ("ratings", _("Ratings"), COUNT),
    ]


def figures_workbook(filters: Filters, *, kind_label: Callable[[bool], str]) -> bytes:
    """One sheet: the total, then one row per topic, per channel and per kind (walk-in or
    appointment), as the dashboard shows them. ``kind_label(booked)`` names the kind."""
    columns = _columns(filters)
    book = Workbook(write_only=True)
    sheet = book.create_sheet(_("Figures"))
    sheet.freeze_panes = "C2"
    for letter, width in (("A", 26), ("B", 30)):
        sheet.column_dimensions[letter].width = width
    bold = Font(bold=True)
    sheet.append([_cell(sheet, text, font=bold) for text in _header(columns)])
    groups: Iterable[tuple[str, str, dict[str, Any]]] = [
        (_("Total"), "", figures.summary(filters)),
        *((_("Topic"), row["topic__name"], row) for row in figures.by_topic(filters)),
        *(
            (_("Channel"), str(capfirst(Consultation.Channel(row["channel"]).label)), row)
            for row in figures.by_channel(filters)
        ),
        *((_("Kind"), kind_label(row["booked"]), row) for row in figures.by_booking(filters)),
    ]
    for group, name, row in groups:
        sheet.append(
            [
                _cell(sheet, group),
                _cell(sheet, name),
                *(_figure(sheet, row[key], number_format) for key, _h, number_format in columns),
            ]
        )
    out = BytesIO()
    book.save(out)
    return out.getvalue()


def _header(columns: list[tuple[str, str, str]]) -> list[str]:
    return [_("Group"), _("Name"), *(header for _k, header, _f in columns)]


def _cell(sheet: WriteOnlyWorksheet, value: Any, *, font: Font | None = None) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value=value)
    if font is not None:
        cell.font = font
    return cell


def _figure(sheet: WriteOnlyWorksheet, value: float | None, number_format: str) -> WriteOnlyCell:
    """A number in its format; a duration in seconds becomes a time value (days); no data
    stays an empty cell."""
    if value is not None and number_format == DURATION:
        value = value / SECONDS_PER_DAY
    cell = _cell(sheet, value)
    cell.number_format = number_format
    return cell
