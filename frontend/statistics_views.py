"""Manager pages: the statistics dashboard, CSV exports and the live wallboard."""

import csv
from collections.abc import Callable, Iterator
from datetime import timedelta
from functools import wraps
from typing import Any

from django import forms
from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBase, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_safe

from consult.catalogue import selectors as catalogue_selectors
from consult.consultations.models import LIVE_CHANNELS
from consult.staff import selectors
from consult.statistics import exports, figures
from consult.statistics import filters as statistics_filters
from consult.statistics import questions as statistics_questions

from . import charts, spreadsheets

MAX_DAYS = 3 * 366
BOOKINGS = [("walk_in", _("Without appointment")), ("booked", _("With appointment"))]
WEEKDAYS = [_("Mon"), _("Tue"), _("Wed"), _("Thu"), _("Fri"), _("Sat"), _("Sun")]


def manager_required(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """403 for everyone without the statistics permission (citizens and clerks alike)."""

    @wraps(view)
    def checked(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not selectors.can_view_statistics(request.user):
            return render(
                request, "frontend/403.html", {"manager_page": True, "status": 403}, status=403
            )
        return view(request, *args, **kwargs)

    return checked


class StatisticsFilterForm(forms.Form):
    start = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("To"), widget=forms.DateInput(attrs={"type": "date"}))
    topic = forms.TypedChoiceField(label=_("Topic"), required=False, coerce=int, empty_value=None)
    channel = forms.ChoiceField(
        label=_("Channel"),
        required=False,
        choices=[("", _("all")), *[(c.value, c.label) for c in LIVE_CHANNELS]],
    )
    booking = forms.ChoiceField(
        label=_("Walk-in or appointment"), required=False, choices=[("", _("all")), *BOOKINGS]
    )
    service = forms.IntegerField(
        label=_("Service level threshold (seconds)"), min_value=1, max_value=3600
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        topic = self.fields["topic"]
        assert isinstance(topic, forms.ChoiceField)  # noqa: S101 - narrows the type
        topic.choices = [
            ("", _("all")),
            *((t.pk, t.name) for t in catalogue_selectors.active_topics()),
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        for value in (start, end):
            if value and not 2000 <= value.year <= 2100:
                raise forms.ValidationError(_("Choose dates between the years 2000 and 2100."))
        if start and end:
            if start > end:
                raise forms.ValidationError(_("The start must not be after the end."))
            if (end - start).days > MAX_DAYS:
                raise forms.ValidationError(_("Choose at most three years."))
        return data

    def filters(self) -> statistics_filters.Filters:
        data = self.cleaned_data
        return statistics_filters.Filters(
            start=data["start"],
            end=data["end"],
            topic_id=data["topic"],
            channel=data["channel"] or None,
            booking=data["booking"] or None,
            service_seconds=data["service"],
            short_abandon_seconds=settings.SHORT_ABANDON_SECONDS,
        )


def _form(request: HttpRequest) -> StatisticsFilterForm:
    today = timezone.localdate()
    initial = {
        "start": (today - timedelta(days=27)).isoformat(),
        "end": today.isoformat(),
        "service": settings.SERVICE_LEVEL_SECONDS,
    }
    return StatisticsFilterForm({**initial, **request.GET.dict()})


@require_safe
@manager_required
def dashboard(request: HttpRequest) -> HttpResponse:
    form = _form(request)
    if not form.is_valid():
        return render(request, "frontend/statistics.html", {"form": form}, status=400)
    filters = form.filters()
    board = figures.dashboard(filters)
    days, heat = board["days"], board["heat"]
    peak = max([row["asa"] or 0 for row in heat.values()] + [1])
    hours = range(6, 21)
    heatmap = [
        (
            WEEKDAYS[weekday - 1],
            [
                (
                    hour,
                    heat.get((weekday, hour)),
                    charts.heat_style((heat.get((weekday, hour)) or {}).get("asa"), peak),
                )
                for hour in hours
            ],
        )
        for weekday in range(1, 8)
    ]
    return render(
        request,
        "frontend/statistics.html",
        {
            "form": form,
            "filters": filters,
            "summary": board["summary"],
            "by_topic": board["by_topic"],
            "by_channel": board["by_channel"],
            "by_booking": [{**row, "kind": _kind(row["booked"])} for row in board["by_booking"]],
            "by_clerk": board["by_clerk"],
            "questions": statistics_questions.answer_times(filters),
            "days": days,
            "trend_chart": charts.daily_bars(days),
            "hours": hours,
            "heatmap": heatmap,
            "query": request.GET.urlencode(),
        },
    )


def _kind(booked: bool) -> str:
    return str(BOOKINGS[1][1] if booked else BOOKINGS[0][1])


class _Echo:
    def write(self, value: str) -> str:
        return value


def _csv_response(rows: Iterator[list[Any]], filename: str) -> HttpResponseBase:
    writer = csv.writer(_Echo())
    response = StreamingHttpResponse(
        (writer.writerow(row) for row in rows), content_type="text/csv; charset=utf-8"
    )
    return _attachment(response, filename)


def _attachment(response: HttpResponseBase, filename: str) -> HttpResponseBase:
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _export(
    view: Callable[[statistics_filters.Filters], HttpResponseBase],
) -> Callable[[HttpRequest], HttpResponseBase]:
    """An export for managers: it takes the dashboard's filters; bad ones get a plain-text
    400."""

    @require_safe
    @manager_required
    @wraps(view)
    def exported(request: HttpRequest) -> HttpResponseBase:
        form = _form(request)
        if not form.is_valid():
            return HttpResponse(form.errors.as_text(), status=400, content_type="text/plain")
        return view(form.filters())

    return exported


@_export
def export_figures(filters: statistics_filters.Filters) -> HttpResponseBase:
    """The figures shown: the total and one row per topic, per channel and per kind."""
    return _csv_response(exports.figure_rows(filters), f"figures_{filters.start}_{filters.end}.csv")


@_export
def export_figures_xlsx(filters: statistics_filters.Filters) -> HttpResponseBase:
    """The same figures as an Excel workbook with German headers and number formats."""
    workbook = spreadsheets.figures_workbook(filters, kind_label=_kind)
    return _attachment(
        HttpResponse(workbook, content_type=spreadsheets.CONTENT_TYPE),
        f"figures_{filters.start}_{filters.end}.xlsx",
    )


@_export
def export_consultations(filters: statistics_filters.Filters) -> HttpResponseBase:
    """The underlying consultations, without personal data: no names, no messages."""
    return _csv_response(
        exports.consultation_rows(filters), f"consultations_{filters.start}_{filters.end}.csv"
    )


@require_safe
@manager_required
def wallboard(request: HttpRequest) -> HttpResponse:
    return render(request, "frontend/wallboard.html", {"config": {"ws": "/ws/wallboard/"}})
