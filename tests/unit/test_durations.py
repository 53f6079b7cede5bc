"""Durations in the statistics read as minutes and seconds (issue 15: "404 s")."""

import pytest

from frontend.templatetags.durations import clock, minutes_seconds


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [
        (404, "6:44 min"),
        (404.4, "6:44 min"),
        (59.6, "1:00 min"),
        (0, "0:00 min"),
        (7, "0:07 min"),
        (3599, "59:59 min"),
        (3725, "1:02:05 h"),
        (None, "–"),
    ],
)
def test_minutes_seconds(seconds, shown):
    assert minutes_seconds(seconds) == shown


def test_clock_has_no_unit_for_narrow_cells():
    assert clock(404) == "6:44"
    assert clock(36000) == "10:00:00"
    assert clock(None) == "–"
