"""Logging filters: the citizens' credentials masked in every log line; repeats dropped.

A consultation's token (``/c/<token>/``, ``/ws/citizen/<token>/``) and an appointment's
(``/termin/t/<token>/``) are the citizen's only credentials, the secret of a clerk's calendar
feed (``/console/calendar/<secret>.ics``) that feed's; Django's request logger writes the
path of every 4xx ("Forbidden (CSRF token …): /c/<token>/leave/"), and any other line may quote
a URL. Installed on the root handler (config/settings.py ``LOGGING``), so it covers every logger.
"""

import logging
import re
import time

TOKEN_PATH = re.compile(r"(/c/|/ws/citizen/|/termin/t/|/console/calendar/)[A-Za-z0-9_-]{8,}")
MASK = r"\1…"


def mask(text: str) -> str:
    return TOKEN_PATH.sub(MASK, text)


class MaskTokens(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask(message)
        if masked != message:
            record.msg, record.args = masked, ()
        return True


class OncePerOutage(logging.Filter):
    """Drops a line that repeats the last one of its kind (logger and format) within
    ``quiet_seconds``: channels-redis's pub/sub reader logs a traceback every second while
    Redis is down; the first one says it all (installed on that logger in LOGGING)."""

    def __init__(self, quiet_seconds: float = 10) -> None:
        super().__init__()
        self.quiet_seconds = quiet_seconds
        self.last: dict[tuple[str, object], float] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        key, now = (record.name, record.msg), time.monotonic()
        last, self.last[key] = self.last.get(key), now
        return last is None or now - last > self.quiet_seconds
