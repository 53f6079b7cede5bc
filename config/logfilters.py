"""Logging filters: the citizens' credentials and addresses masked in every log line;
repeats dropped.

A consultation's token (``/c/<token>/``, ``/ws/citizen/<token>/``) and an appointment's
(``/termin/t/<token>/``) are the citizen's only credentials, the secret of a clerk's calendar
feed (``/console/calendar/<secret>.ics``) that feed's; Django's request logger writes the
path of every 4xx ("Forbidden (CSRF token …): /c/<token>/leave/"), and any other line may quote
a URL. An IPv4 address keeps only its first three parts (``203.0.113.x``), as a proxy's
truncated log would: which network, not who. Installed on the root handler
(config/settings.py ``LOGGING``), so it covers every logger, the text of a traceback
included.
"""

import ipaddress
import logging
import re
import time

TOKEN_PATH = re.compile(r"(/c/|/ws/citizen/|/termin/t/|/console/calendar/)[A-Za-z0-9_-]{8,}")
MASK = r"\1…"
OCTET = r"(?:25[0-5]|2[0-4]\d|1?\d?\d)"
IPV4 = re.compile(rf"(?<![\d.])({OCTET}(?:\.{OCTET}){{2}})\.{OCTET}(?![\d.])")


def mask(text: str) -> str:
    return IPV4.sub(r"\1.x", TOKEN_PATH.sub(MASK, text))


class MaskTokens(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask(message)
        if masked != message:
            record.msg, record.args = masked, ()
        if record.exc_info and not record.exc_text:  # the traceback's text, formatted once
            record.exc_text = mask(logging.Formatter().formatException(record.exc_info))
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


def network_of(address: str) -> str:
    """An IPv4 address without its last part, an IPv6 address as its /48; else "unknown"."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return "unknown"
    if ip.version == 4:
        return mask(str(ip))
    return str(ipaddress.ip_network(f"{ip}/48", strict=False))


def axes_client(username: str, ip_address: str, *args: object) -> str:
    """How django-axes names a client in its warnings (``AXES_CLIENT_STR_CALLABLE``): the
    network, never the user name or the full address (the lockout itself is an audit event)."""
    return f"{{network: {network_of(ip_address or '')!r}}}"
