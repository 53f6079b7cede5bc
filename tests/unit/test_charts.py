"""The statistics chart's y-axis has round ticks, not only 0 and the maximum (issue 15)."""

from datetime import date, timedelta

import pytest

from frontend.charts import axis_ticks, daily_bars


@pytest.mark.parametrize(
    ("peak", "ticks"),
    [
        (1, [0, 1]),
        (4, [0, 1, 2, 3, 4]),
        (6, [0, 2, 4, 6]),
        (37, [0, 10, 20, 30, 40]),
        (120, [0, 50, 100, 150]),
        (1000, [0, 200, 400, 600, 800, 1000]),
    ],
)
def test_axis_ticks_are_round_and_cover_the_peak(peak, ticks):
    assert axis_ticks(peak) == ticks


def test_the_chart_labels_every_tick_and_draws_its_grid_line():
    start = date(2026, 11, 30)
    days = [
        {"day": start + timedelta(days=i), "total": t, "answered": t - 2, "abandoned": 1}
        for i, t in enumerate([12, 37, 20])
    ]
    svg = str(daily_bars(days))
    for tick in (0, 10, 20, 30, 40):
        assert f'text-anchor="end">{tick}</text>' in svg
    assert svg.count('class="grid"') == 5
