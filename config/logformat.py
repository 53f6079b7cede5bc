"""``LOG_FORMAT=json``: one JSON object per log line, written by python-json-logger.

Only a fixed set of fields goes out: ``time`` (ISO 8601, UTC), ``level``, ``logger``,
``message``, ``process`` (the pid: several daphne processes write to one journal), and
``exc_info`` / ``stack_info`` when there is one. A record's extras never do: Django's request
logger attaches the request, whose text holds the path with a citizen's token, and any
``extra=`` a library passes could hold a name or an address. The message and the traceback
are masked like every line (config/logfilters.py).
"""

import logging
from typing import Any

from pythonjsonlogger.json import JsonFormatter

from .logfilters import mask

FIELDS = ("time", "level", "logger", "message", "process", "exc_info", "stack_info")
MASKED = ("message", "exc_info", "stack_info")


class PrivateJsonFormatter(JsonFormatter):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(
            "%(levelname)s %(name)s %(message)s %(process)d",
            rename_fields={"levelname": "level", "name": "logger"},
            timestamp="time",
            json_ensure_ascii=False,
        )

    def add_fields(
        self, log_data: dict[str, Any], record: logging.LogRecord, message_dict: dict[str, Any]
    ) -> None:
        super().add_fields(log_data, record, message_dict)
        for key in [key for key in log_data if key not in FIELDS]:
            del log_data[key]  # extras, and a dict logged as the message

    def process_log_record(self, log_data: dict[str, Any]) -> dict[str, Any]:
        for key in MASKED:
            if isinstance(log_data.get(key), str):
                log_data[key] = mask(log_data[key])
        return log_data
