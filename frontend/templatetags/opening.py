"""When a closed topic opens again, said as people say it: "heute ab 8:00 Uhr", "morgen ab
8:00 Uhr", else with weekday and date."""

from datetime import datetime, timedelta

from django import template
from django.utils import dateformat, timezone
from django.utils.translation import gettext

register = template.Library()


@register.filter
def opens_again(when: datetime | None) -> str:
    if when is None:
        return ""
    local = timezone.localtime(when)
    today = timezone.localdate()
    time = dateformat.format(local, "G:i")
    if local.date() == today:
        return gettext("Opens again today at %(time)s.") % {"time": time}
    if local.date() == today + timedelta(days=1):
        return gettext("Opens again tomorrow at %(time)s.") % {"time": time}
    day = dateformat.format(local, "l, j. F")
    return gettext("Opens again on %(day)s at %(time)s.") % {"day": day, "time": time}
