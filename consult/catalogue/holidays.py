"""Public holidays of the city's Bundesland, from the kept ``holidays`` package.

They close every topic and remove every appointment slot, like a closure for every topic
(``hours``); the city's own closures (24 December, a staff outing) stay closures in the admin.
``PUBLIC_HOLIDAYS_STATE`` names the Bundesland (ISO 3166-2 without "DE-": BY, BE, NW, …);
empty: the nationwide holidays only; ``none``: no calendar at all (only the closures; the test
suite runs so, on any day of the year).
"""

from datetime import date
from functools import cache

import holidays
from django.conf import settings


@cache
def _year(state: str, year: int) -> dict[date, str]:
    calendar = holidays.country_holidays("DE", subdiv=state or None, years=year, language="de")
    return dict(calendar.items())


def public_holidays(first: date, last: date) -> dict[date, str]:
    """The public holidays from ``first`` to ``last`` (inclusive), with their German names."""
    state = settings.PUBLIC_HOLIDAYS_STATE
    found: dict[date, str] = {}
    if state == "none":
        return found
    for year in range(first.year, last.year + 1):
        found.update(
            (day, name) for day, name in _year(state, year).items() if first <= day <= last
        )
    return found
