"""Fifty threads on PostgreSQL accept and dispatch at once: never a double assignment."""

import random
import threading

import pytest
from django.db import connection
from django.utils import timezone

from consult.consultations.models import Consultation, Message
from consult.errors import DomainError
from consult.queue import lifecycle, routing
from consult.queue.models import Offer
from consult.staff.models import StaffProfile

pytestmark = pytest.mark.django_db(transaction=True)


def test_fifty_threads_accepting_and_dispatching_never_double_assign(topic, make_clerk):
    clerks = [make_clerk(f"clerk{n}", [topic]) for n in range(10)]
    StaffProfile.objects.update(capacity=2, last_seen_at=timezone.now())
    waiting = [lifecycle.start_consultation(topic_slug=topic.slug) for _ in range(30)]
    ids = [c.pk for c in waiting]
    barrier = threading.Barrier(50)
    outcomes: list[str] = []
    rng = random.Random(7)
    plans = [(rng.choice(clerks), rng.sample(ids, 5), n % 5 == 0) for n in range(50)]

    def work(clerk, targets, dispatcher):
        try:
            barrier.wait()
            if dispatcher:
                routing.dispatch()
                outcomes.append("dispatched")
            for consultation_id in targets:
                try:
                    routing.accept(consultation_id=consultation_id, clerk=clerk)
                    outcomes.append("won")
                except DomainError as error:
                    outcomes.append(error.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=plan) for plan in plans]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert set(outcomes) <= {"won", "already_taken", "at_capacity", "dispatched"}
    accepted = Message.objects.filter(kind="accepted")
    assert (
        accepted.count()
        == outcomes.count("won")
        == Consultation.objects.filter(state="active").count()
    )
    assert accepted.values("consultation").distinct().count() == accepted.count()
    for clerk in clerks:
        assert Consultation.objects.filter(clerk=clerk, state="active").count() <= 2
        assert Offer.objects.filter(clerk=clerk, outcome="pending").count() <= 1
    assert 10 <= outcomes.count("won") <= 20  # ten clerks, two chats each
    assert outcomes.count("at_capacity") > 0 and outcomes.count("already_taken") > 0
