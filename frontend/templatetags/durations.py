"""Durations as people read them: "6:44 min" rather than "404 s" (issue 15)."""

from django import template

register = template.Library()


def _parts(seconds: float) -> tuple[int, int, int]:
    total = round(seconds)
    return total // 3600, total // 60 % 60, total % 60


@register.filter
def clock(seconds: float | None) -> str:
    """``404`` -> ``6:44``, ``3725`` -> ``1:02:05``; ``None`` (no data) -> a dash."""
    if seconds is None:
        return "\u2013"
    hours, minutes, rest = _parts(seconds)
    return f"{hours}:{minutes:02d}:{rest:02d}" if hours else f"{minutes}:{rest:02d}"


@register.filter
def minutes_seconds(seconds: float | None) -> str:
    """``404`` -> ``6:44 min``, ``3725`` -> ``1:02:05 h``, ``None`` -> a dash. The unit
    abbreviations are the same in German and English."""
    if seconds is None:
        return "\u2013"
    return f"{clock(seconds)} {'h' if _parts(seconds)[0] else 'min'}"
