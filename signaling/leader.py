"""Which web process does the work that must happen once: the queue sweep and the live views.

A PostgreSQL session-level advisory lock, held on a connection of its own, makes one process
the leader. The lock lives as long as that connection: when the process or its connection
dies, PostgreSQL releases it and another process takes it at its next try (every
``QUEUE_SWEEP_SECONDS``). On SQLite (the embedded default, one process) that process leads.
"""

import logging

import psycopg
from django.db import connections

logger = logging.getLogger(__name__)

LOCK_KEY = 5_011_906  # any constant, the same for every process (rollup uses 5_011_905)


def _conninfo() -> dict[str, object]:
    db = connections["default"].settings_dict
    params: dict[str, object] = {
        "dbname": db["NAME"],
        "user": db["USER"] or None,
        "password": db["PASSWORD"] or None,
        "host": db["HOST"] or None,
        "port": db["PORT"] or None,
        "application_name": "sprechstunde-leader",
        "connect_timeout": 5,
    }
    return {k: v for k, v in params.items() if v is not None}


class Leadership:
    """``check()`` answers whether this process leads now, taking the lead when it is free.
    Blocking (a database round trip): call it from a thread."""

    def __init__(self) -> None:
        self._connection: psycopg.Connection[tuple[object, ...]] | None = None
        self._leading = False
        self._closed = False

    @property
    def leading(self) -> bool:
        return self._leading

    def check(self) -> bool:
        if self._closed:
            return False
        if connections["default"].vendor != "postgresql":
            self._leading = True
            return True
        try:
            if self._connection is None:
                self._connection = psycopg.connect(autocommit=True, **_conninfo())  # type: ignore[arg-type]
            if self._leading:
                self._connection.execute("SELECT 1")  # still connected: still holding the lock
            else:
                row = self._connection.execute(
                    "SELECT pg_try_advisory_lock(%s)", [LOCK_KEY]
                ).fetchone()
                self._leading = bool(row and row[0])
                if self._leading:
                    logger.info("this process now leads the queue sweep and live views")
        except psycopg.Error as error:
            logger.warning("leadership connection lost (%s)", type(error).__name__)
            self._leading = False
            self.resign()
        return self._leading

    def close(self) -> None:
        """Resign for good (the process or its event loop ends)."""
        self._closed = True
        self.resign()

    def resign(self) -> None:
        """Give the lead away at once (unlock, then close the connection)."""
        connection, leading = self._connection, self._leading
        self._connection, self._leading = None, False
        if connection is None:
            return
        try:
            if leading:
                connection.execute("SELECT pg_advisory_unlock(%s)", [LOCK_KEY])
        except psycopg.Error:
            pass  # the connection is gone, and the lock with it
        finally:
            connection.close()
