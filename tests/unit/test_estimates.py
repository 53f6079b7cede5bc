"""The estimated waiting time and the Erlang C reference."""

from datetime import timedelta

import pytest
from django.utils import timezone

from consult.catalogue.models import Topic
from consult.consultations.models import Consultation
from consult.queue import lifecycle, routing, selectors, status
from consult.queue.estimates import erlang_c, erlang_service_level, estimate_wait, naive_estimate
from consult.staff.models import StaffProfile

T0 = timezone.now().replace(microsecond=0)


def test_erlang_c_matches_the_textbook_value():
    # 2 Erlangs on 3 servers: P(wait) = 4/9, ASA = P(wait) * AHT / (N - A).
    p_wait, asa = erlang_c(arrival_rate=2 / 300, mean_handle=300, servers=3)
    assert p_wait == pytest.approx(4 / 9)
    assert asa == pytest.approx(4 / 9 * 300)
    level = erlang_service_level(arrival_rate=2 / 300, mean_handle=300, servers=3, within=30)
    assert 0.55 < level < 1
    assert erlang_c(arrival_rate=1, mean_handle=5, servers=3) == (1.0, float("inf"))


def test_naive_estimate():
    assert naive_estimate(position=3, mean_handle=200, clerks=2) == 300


@pytest.mark.django_db
class TestEstimate:
    @pytest.fixture
    def history(self, topic, make_clerk):
        """Twenty recent 10-minute conversations of the topic, and one clerk (one chat at a
        time) who is present."""
        old_clerk = make_clerk("old", [topic], status="offline")
        for n in range(20):
            start = T0 - timedelta(hours=2, minutes=n * 11)
            Consultation.objects.create(
                topic=topic,
                state="ended",
                clerk=old_clerk,
                created_at=start,
                accepted_at=start,
                ended_at=start + timedelta(minutes=10),
                outcome="resolved",
            )
        topic.routing_mode = Topic.RoutingMode.MANUAL
        topic.save()
        anna = make_clerk("anna", [topic])
        StaffProfile.objects.filter(user=anna).update(last_seen_at=T0, capacity=1)
        return anna

    def test_unknown_without_staff(self, topic, on_duty):
        waiting = lifecycle.start_consultation(topic_slug=topic.slug, now=T0)
        status.set_status(clerk=on_duty, status="offline", now=T0)  # the last clerk leaves
        assert estimate_wait(waiting, T0) is None

    def test_the_wait_is_the_remaining_talk_plus_those_ahead(self, topic, history):
        busy = lifecycle.start_consultation(topic_slug=topic.slug, now=T0 - timedelta(minutes=4))
        routing.accept(consultation_id=busy.pk, clerk=history, now=T0 - timedelta(minutes=4))
        first = lifecycle.start_consultation(topic_slug=topic.slug, now=T0)
        second = lifecycle.start_consultation(topic_slug=topic.slug, now=T0)
        # 4 of 10 minutes are done: 6 remain for the first; the second waits 10 more.
        assert estimate_wait(first, T0).seconds == pytest.approx(360, abs=1)
        assert estimate_wait(second, T0).seconds == pytest.approx(960, abs=1)
        room = selectors.waiting_room(second.pk, T0)
        assert (room["position"], room["estimate"]) == (2, 960)
        assert room["estimate_low"] <= room["estimate"] <= room["estimate_high"]

    def test_a_free_clerk_means_no_wait(self, topic, history):
        waiting = lifecycle.start_consultation(topic_slug=topic.slug, now=T0)
        assert estimate_wait(waiting, T0).seconds == 0

    def test_a_written_question_being_answered_is_no_busy_chat(self, topic, history):
        """Answering a written question takes no chat slot (routing.load_of), so the waiting
        citizen is told no wait rather than that of a ten-minute chat (issue 14)."""
        from consult.queue import questions

        asked = questions.ask_question(
            topic_slug=topic.slug, question="Wie hoch ist die Steuer?", now=T0
        )
        questions.take_question(consultation_id=asked.pk, clerk=history, now=T0)
        waiting = lifecycle.start_consultation(topic_slug=topic.slug, now=T0)
        assert estimate_wait(waiting, T0).seconds == 0
