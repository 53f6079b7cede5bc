"""Reads: the rows of the two CSV exports, header first (docs/metrics.md). No writes here.

Values are plain: booleans as 0/1, floats rounded to four places, datetimes in ISO 8601.
"""

from collections.abc import Iterator
from typing import Any

from consult.statistics import figures
from consult.statistics.filters import BOOKINGS, Filters, consultations

FIGURE_COLUMNS = [
    "requested",
    "answered",
    "abandoned",
    "short_abandoned",
    "ended",
    "asa",
    "median_wait",
    "p90_wait",
    "max_wait",
    "service_level",
    "abandonment_rate",
    "aht",
    "satisfaction",
    "ratings",
]

# CSV column: consultation field. No names, no messages, no token.
CONSULTATION_COLUMNS = {
    "id": "pk",
    "topic": "topic__slug",
    "channel": "channel",
    "booked": "booked",
    "state": "state",
    "requested": "created_at",
    "answered": "first_accepted_at",
    "ended": "ended_at",
    "ended_by": "ended_by",
    "outcome": "outcome",
    "wait_seconds": "wait_seconds",
    "handle_seconds": "handle_seconds",
    "rating": "rating",
}

# The booking filter's value for a row of ``by_booking`` (walk_in or booked).
_BOOKING_VALUE = {booked: value for value, booked in BOOKINGS.items()}


def _value(value: Any) -> Any:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, float):
        return round(value, 4)
    return value.isoformat() if hasattr(value, "isoformat") else value


def _figures(group: str, value: Any, row: dict[str, Any]) -> list[Any]:
    return [group, value, *(_value(row[column]) for column in FIGURE_COLUMNS)]


def figure_rows(filters: Filters) -> Iterator[list[Any]]:
    """The figures the dashboard shows: the total and one row per topic, per channel and per
    kind (``booking``: walk_in or booked, the values of the filter)."""
    yield ["group", "value", *FIGURE_COLUMNS]
    yield _figures("total", "", figures.summary(filters))
    for row in figures.by_topic(filters):
        yield _figures("topic", row["topic__name"], row)
    for row in figures.by_channel(filters):
        yield _figures("channel", row["channel"], row)
    for row in figures.by_booking(filters):
        yield _figures("booking", _BOOKING_VALUE[row["booked"]], row)


def consultation_rows(filters: Filters, *, chunk_size: int = 2000) -> Iterator[list[Any]]:
    """The underlying consultations of the period, oldest first, without personal data."""
    yield list(CONSULTATION_COLUMNS)
    rows = consultations(filters).order_by("created_at").values_list(*CONSULTATION_COLUMNS.values())
    for row in rows.iterator(chunk_size=chunk_size):
        yield [_value(value) for value in row]
