"""Server-side SVG charts (no chart library, nothing loaded from elsewhere). Every chart on a
page has a table beside it with the same numbers."""

import math
from collections.abc import Iterator
from datetime import date
from typing import Any

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

WIDTH, HEIGHT, LEFT, BOTTOM, TOP = 720, 240, 48, 28, 12


def axis_ticks(peak: float, *, most: int = 5) -> list[int]:
    """Round steps (1, 2 or 5 times a power of ten) from 0 to at least ``peak``, at most
    ``most`` of them: 37 -> 0, 10, 20, 30, 40."""
    step = next(step for step in _round_steps() if peak <= step * most)
    top = max(1, math.ceil(peak / step)) * step
    return list(range(0, top + 1, step))


def _round_steps() -> Iterator[int]:
    power = 1
    while True:
        yield from (power, 2 * power, 5 * power)
        power *= 10


def daily_bars(days: list[dict[str, Any]]) -> SafeString:
    """Requests per day, split into answered, abandoned and the rest, as stacked bars, on a
    y-axis with round ticks and light grid lines."""
    ticks = axis_ticks(max([row["total"] for row in days] + [1]))
    peak = ticks[-1]
    plot_w, plot_h = WIDTH - LEFT - 8, HEIGHT - BOTTOM - TOP
    step = plot_w / max(len(days), 1)
    bar = max(step * 0.7, 1.0)
    parts = []
    for index, row in enumerate(days):
        x = LEFT + index * step + (step - bar) / 2
        y = TOP + plot_h
        for value, css in (
            (row["answered"], "bar-answered"),
            (row["abandoned"], "bar-abandoned"),
            (row["total"] - row["answered"] - row["abandoned"], "bar-other"),
        ):
            h = plot_h * value / peak
            y -= h
            if h > 0:
                parts.append((css, f"{x:.1f}", f"{y:.1f}", f"{bar:.1f}", f"{h:.1f}"))
    grid = []
    for tick in ticks:
        tick_y = TOP + plot_h - plot_h * tick / peak
        grid.append((LEFT, f"{tick_y:.1f}", WIDTH - 8, LEFT - 6, f"{tick_y + 4:.1f}", tick))
    labels = [
        (f"{LEFT + index * step + step / 2:.1f}", _short(row["day"]))
        for index, row in enumerate(days)
        if len(days) <= 14 or index % max(1, len(days) // 10) == 0
    ]
    return format_html(
        '<svg class="chart" viewBox="0 0 {w} {h}" role="img" aria-labelledby="trend-title">'
        '<title id="trend-title">{title}</title>'
        "{grid}"
        '<line x1="{left}" y1="{base}" x2="{right}" y2="{base}" class="axis"/>'
        '<line x1="{left}" y1="{top}" x2="{left}" y2="{base}" class="axis"/>'
        "{bars}{labels}</svg>",
        w=WIDTH,
        h=HEIGHT,
        left=LEFT,
        right=WIDTH - 8,
        base=TOP + plot_h,
        top=TOP,
        grid=format_html_join(
            "",
            '<line x1="{0}" y1="{1}" x2="{2}" y2="{1}" class="grid"/>'
            '<text x="{3}" y="{4}" class="tick" text-anchor="end">{5}</text>',
            grid,
        ),
        title=_("Requests per day: answered, abandoned and other (table below)"),
        bars=format_html_join("", '<rect class="{}" x="{}" y="{}" width="{}" height="{}"/>', parts),
        labels=format_html_join(
            "",
            '<text x="{}" y="' + str(HEIGHT - 8) + '" class="tick" text-anchor="middle">{}</text>',
            labels,
        ),
    )


def _short(day: date) -> str:
    return f"{day.day}.{day.month}."


def heat_style(seconds: float | None, peak: float) -> str:
    """A CSS class of five shades; text colour switches for contrast on dark shades."""
    if seconds is None:
        return "heat-none"
    level = min(4, int(5 * seconds / peak)) if peak else 0
    return f"heat-{level}"
