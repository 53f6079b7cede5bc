"""Which days of a period come from the roll-up and which are read raw from the consultations."""

from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.db import connection
from django.db.models import Q, QuerySet

from consult.clock import day_bounds
from consult.consultations.models import Consultation
from consult.statistics.filters import Filters, _filtered, consultations
from consult.statistics.models import RollupDay

# --- Which days come from the roll-up ------------------------------------------------------


@dataclass(frozen=True)
class Plan:
    """The period split into days read from the roll-up and stretches read raw."""

    filters: Filters
    rolled_days: list[date] = field(default_factory=list)
    raw_runs: list[tuple[date, date]] = field(default_factory=list)
    same_service_level: bool = True
    # Roll-up rows of other days in the period exist (built with another short-abandon
    # threshold): the roll-up is read by day list instead of by range.
    others_rolled: bool = False
    # Rows several figures read (the wait histograms, the within counts), read once.
    memo: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    @property
    def rolled(self) -> bool:
        return bool(self.rolled_days)

    def raw(self) -> QuerySet[Consultation] | None:
        """The consultations of the days not in the roll-up (None: there are none)."""
        if not self.raw_runs:
            return None
        if not self.rolled:
            return consultations(self.filters)
        where = Q()
        for first, last in self.raw_runs:
            start, end = day_bounds(first, last)
            where |= Q(created_at__gte=start, created_at__lt=end)
        return _filtered(Consultation.objects.filter(where), self.filters)

    def rollup(self, model: type[Any], *, filtered: bool = True) -> QuerySet[Any] | None:
        """Roll-up rows of the rolled days (rows exist only for rolled days)."""
        if not self.rolled:
            return None
        if self.others_rolled:
            rows = model.objects.filter(day__in=self.rolled_days)
        else:
            rows = model.objects.filter(day__range=(self.filters.start, self.filters.end))
        return _filtered(rows, self.filters) if filtered else rows


_plans: ContextVar[dict[Filters, "Plan"] | None] = ContextVar("statistics_plans", default=None)


def plan(filters: Filters) -> Plan:
    """Closed days rolled up with the current short-abandon threshold come from the roll-up
    (PostgreSQL only); every other day of the period is read raw. Inside ``dashboard`` one
    plan serves every figure."""
    cache = _plans.get()
    if cache is None:
        return _plan(filters)
    if filters not in cache:
        cache[filters] = _plan(filters)
    return cache[filters]


def _plan(filters: Filters) -> Plan:
    everything = [(filters.start, filters.end)]
    if connection.vendor != "postgresql":
        return Plan(filters, raw_runs=everything)
    built = RollupDay.objects.filter(day__range=(filters.start, filters.end)).values_list(
        "day", "service_seconds", "short_abandon_seconds"
    )
    thresholds, others = {}, False
    for day, service, short in built:
        if short == filters.short_abandon_seconds:
            thresholds[day] = service
        else:
            others = True
    if not thresholds:
        return Plan(filters, raw_runs=everything)
    runs: list[tuple[date, date]] = []
    day = filters.start
    while day <= filters.end:
        if day not in thresholds:
            if runs and runs[-1][1] == day - timedelta(days=1):
                runs[-1] = (runs[-1][0], day)
            else:
                runs.append((day, day))
        day += timedelta(days=1)
    return Plan(
        filters,
        rolled_days=sorted(thresholds),
        raw_runs=runs,
        same_service_level=set(thresholds.values()) == {filters.service_seconds},
        others_rolled=others,
    )
