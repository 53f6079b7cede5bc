"""Many citizens book the last free slots at the same moment on PostgreSQL: each slot goes to
exactly as many citizens as there are free clerks; everyone else gets ``slot_taken``."""

import threading
from datetime import timedelta

import pytest
from django.db import IntegrityError, connection, transaction

from consult.appointments import booking
from consult.appointments.models import Appointment
from consult.errors import DomainError
from tests.appointment_helpers import available, local, next_weekday

pytestmark = pytest.mark.django_db(transaction=True)


def race(topic, when, threads: int) -> list[str]:
    barrier = threading.Barrier(threads)
    outcomes: list[str] = []

    def work(n: int) -> None:
        try:
            barrier.wait()
            booking.book_appointment(
                topic_slug=topic.slug,
                starts_at=when,
                name=f"Citizen {n}",
                email=f"c{n}@example.org",
            )
            outcomes.append("booked")
        except DomainError as error:
            outcomes.append(error.code)
        finally:
            connection.close()

    workers = [threading.Thread(target=work, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return outcomes


@pytest.mark.parametrize("clerks", [1, 3])
def test_thirty_citizens_race_for_the_last_slot(topic, make_clerk, clerks):
    day = next_weekday(0)
    for n in range(clerks):
        available(make_clerk(f"clerk{n}", [topic]), 0, "09:00", "09:15")  # one slot each
    outcomes = race(topic, local(day, "09:00"), threads=30)
    assert outcomes.count("booked") == clerks
    assert outcomes.count("slot_taken") == 30 - clerks
    booked = Appointment.objects.filter(state="booked")
    assert booked.count() == clerks
    assert booked.values("clerk").distinct().count() == clerks  # never one clerk twice


def test_the_database_refuses_overlapping_appointments_of_one_clerk(topic, make_clerk):
    """The PostgreSQL exclusion constraint behind the lock."""
    clerk = make_clerk("anna", [topic]).staff_profile
    start = local(next_weekday(0), "09:00")
    fields = {"topic": topic, "clerk": clerk, "name": "A", "email": "a@example.org"}
    Appointment.objects.create(starts_at=start, ends_at=start + timedelta(minutes=30), **fields)
    with pytest.raises(IntegrityError), transaction.atomic():
        Appointment.objects.create(
            starts_at=start + timedelta(minutes=15), ends_at=start + timedelta(minutes=45), **fields
        )
    # Back to back is fine, and a cancelled appointment holds nothing.
    Appointment.objects.create(
        starts_at=start + timedelta(minutes=30), ends_at=start + timedelta(minutes=45), **fields
    )
    Appointment.objects.create(
        starts_at=start, ends_at=start + timedelta(minutes=15), state="cancelled", **fields
    )
