"""The city's clock: its zone (``settings.TIME_ZONE``, Europe/Berlin) and its calendar days.

Statistics, the roll-up, opening hours, appointment slots and transcripts all count in local
days; this is the one definition of the zone and of a day's bounds. A local day lasts 23 or
25 hours on DST days, so bounds are always made from local midnights, never by adding hours.
"""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

LOCAL = ZoneInfo(settings.TIME_ZONE)
UTC = ZoneInfo("UTC")


def local_day(moment: datetime) -> date:
    """The local calendar day an instant falls on."""
    return timezone.localtime(moment, LOCAL).date()


def local_time(moment: datetime) -> datetime:
    return moment.astimezone(LOCAL)


def day_bounds(first: date, last: date) -> tuple[datetime, datetime]:
    """The instants [start of ``first``, start of the day after ``last``) in local time."""
    return (
        datetime.combine(first, time.min, tzinfo=LOCAL),
        datetime.combine(last + timedelta(days=1), time.min, tzinfo=LOCAL),
    )


def at_wall_clock(day: date, wall: time) -> datetime:
    """The instant of a wall-clock time on a local day, in UTC. A time inside the
    spring-forward gap (e.g. 2:30) is read with the offset before the change (3:30 summer
    time)."""
    return datetime.combine(day, wall).replace(tzinfo=LOCAL).astimezone(UTC)
