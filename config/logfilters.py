"""A logging filter that masks the citizens' credentials in every log line.

A consultation's token (``/c/<token>/``, ``/ws/citizen/<token>/``) and an appointment's
(``/termin/t/<token>/``) are the citizen's only credentials, the secret of a clerk's calendar
feed (``/console/calendar/<secret>.ics``) that feed's; Django's request logger writes the
path of every 4xx ("Forbidden (CSRF token …): /c/<token>/leave/"), and any other line may quote
a URL. Installed on the root handler (config/settings.py ``LOGGING``), so it covers every logger.
"""

import logging
import re

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
