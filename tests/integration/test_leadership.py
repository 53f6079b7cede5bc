"""One process leads the sweep and the live views; the lead moves when its connection dies."""

import pytest
from django.db import connection

from signaling.leader import Leadership

pytestmark = pytest.mark.django_db(transaction=True)


def _backend_pid(leadership: Leadership) -> int:
    assert leadership._connection is not None
    return leadership._connection.info.backend_pid


def _terminate(pid: int) -> None:
    """Kill a backend and wait until PostgreSQL has let it go (with its locks)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s, 5000)", [pid])
        assert cursor.fetchone()[0] is True


def test_one_leader_at_a_time_and_the_lead_moves_when_its_connection_dies():
    first, second = Leadership(), Leadership()
    try:
        assert first.check() is True
        assert second.check() is False
        assert first.check() is True  # holding it: still the leader

        _terminate(_backend_pid(first))  # the leader's connection dies

        assert second.check() is True  # PostgreSQL released the lock with the connection
        assert first.check() is False  # the old leader notices and does not lead any more
        assert first.check() is False  # and cannot take it back while the new one holds it
    finally:
        first.resign()
        second.resign()


def test_resigning_hands_the_lead_over():
    first, second = Leadership(), Leadership()
    try:
        assert first.check() and not second.check()
        first.resign()
        assert second.check() is True
    finally:
        first.resign()
        second.resign()
