"""Many sockets write one consultation's chat at once on PostgreSQL: numbers without gaps or
repeats, and a resend racing its original is stored once."""

import pytest

from consult.chat import messages
from consult.consultations.models import Message
from consult.queue import lifecycle, routing
from tests.concurrency import run_at_once

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def active(topic, make_clerk):
    clerk = make_clerk("anna", [topic])
    consultation = lifecycle.start_consultation(topic_slug=topic.slug)
    return routing.accept(consultation_id=consultation.pk, clerk=clerk)


def post(consultation, client_id, sender="citizen"):
    return lambda: messages.post_message(
        consultation_id=consultation.pk,
        sender=sender,
        body=f"Nachricht {client_id}",
        client_id=client_id,
        author=consultation.clerk if sender == "clerk" else None,
    )


def test_thirty_writers_at_once_get_consecutive_numbers(active):
    jobs = [post(active, f"m{n}", "clerk" if n % 2 else "citizen") for n in range(30)]
    results = run_at_once(jobs)
    assert all(created for _, created in results)
    seqs = sorted(message.seq for message, _ in results)
    assert seqs == list(range(2, 32))  # 1 is the accept entry
    stored = list(Message.objects.filter(consultation=active).values_list("seq", flat=True))
    assert stored == list(range(1, 32))
    active.refresh_from_db()
    assert active.last_seq == 31


def test_a_resend_racing_its_original_is_stored_once(active):
    results = run_at_once([post(active, "same") for _ in range(12)])
    assert sorted(created for _, created in results) == [False] * 11 + [True]
    assert len({message.pk for message, _ in results}) == 1
    assert Message.objects.filter(consultation=active, kind="text").count() == 1
    active.refresh_from_db()
    assert active.last_seq == 2  # no number was used up by the resends
