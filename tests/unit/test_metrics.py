"""The operator's /metrics: off without METRICS_TOKEN, only its bearer token opens it, and
the figures follow the queue (read with a few queries, whatever the history)."""

from datetime import timedelta

import pytest
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from consult import heartbeats
from consult.consultations.models import Consultation
from consult.queue import lifecycle, routing
from frontend.metrics_views import LiveFigures

pytestmark = pytest.mark.django_db(transaction=True)

TOKEN = "metrics-token-for-tests-0123456789"


@pytest.fixture
def token(settings):
    settings.METRICS_TOKEN = TOKEN
    return TOKEN


def scrape(client, token=TOKEN):
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"].startswith("text/plain; version=0.0.4")
    assert "default-src 'self'" in response["Content-Security-Policy"]  # kept on this page too
    assert response["Cache-Control"] == "no-store"
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.content.decode())
        for sample in family.samples
    }


def test_without_a_token_setting_there_is_no_such_page(client, settings):
    settings.METRICS_TOKEN = ""
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer ").status_code == 404


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "",
        "Bearer",
        "Bearer wrong",
        f"Basic {TOKEN}",
        f"Bearer {TOKEN}x",
        f"Bearer {TOKEN[:-1]}",
    ],
)
def test_anything_but_the_bearer_token_is_refused(client, token, authorization):
    headers = {} if authorization is None else {"HTTP_AUTHORIZATION": authorization}
    response = client.get("/metrics", **headers)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="metrics"'
    assert b"sprechstunde_" not in response.content


def test_a_staff_session_does_not_open_it(client, token, make_clerk, topic):
    client.force_login(make_clerk("anna", [topic]))
    assert client.get("/metrics").status_code == 401


def test_the_token_opens_it_and_the_figures_follow_a_waiting_citizen(client, token, topic, on_duty):
    before = scrape(client)
    assert before[("sprechstunde_queue_waiting", (("topic", "hundesteuer"),))] == 0
    assert before[("sprechstunde_consultations_active", (("channel", "chat"),))] == 0
    assert before[("sprechstunde_clerks", (("status", "available"),))] == 1

    now = timezone.now()
    for waited in (120, 60):
        consultation = lifecycle.start_consultation(topic_slug="hundesteuer", channel="chat")
        Consultation.objects.filter(pk=consultation.pk).update(
            queued_at=now - timedelta(seconds=waited), offered_to=None, offer_expires_at=None
        )
    waiting = scrape(client)
    hundesteuer = (("topic", "hundesteuer"),)
    assert waiting[("sprechstunde_queue_waiting", hundesteuer)] == 2
    assert waiting[("sprechstunde_queue_longest_wait_seconds", hundesteuer)] >= 120
    assert 90 <= waiting[("sprechstunde_queue_average_wait_seconds", hundesteuer)] < 120

    routing.accept(consultation_id=consultation.pk, clerk=on_duty)
    served = scrape(client)
    assert served[("sprechstunde_queue_waiting", hundesteuer)] == 1
    assert served[("sprechstunde_consultations_active", (("channel", "chat"),))] == 1
    assert served[("sprechstunde_consultations_active", (("channel", "video"),))] == 0


def test_the_sweep_lag_shows_once_a_sweep_ran(client, token):
    heartbeats.cache.delete(heartbeats.SWEEP_KEY)
    assert not any(name.startswith("sprechstunde_sweep") for name, _ in scrape(client))
    heartbeats.note_sweep(at=1_000.0)
    figures = scrape(client)
    assert figures[("sprechstunde_sweep_last_timestamp_seconds", ())] == 1_000.0
    assert figures[("sprechstunde_sweep_lag_seconds", ())] > 1_700_000_000  # decades late


def test_media_worker_heartbeats_come_through_the_hook(client, token, monkeypatch):
    assert not any(name.startswith("sprechstunde_media_worker") for name, _ in scrape(client))
    monkeypatch.setattr(
        heartbeats,
        "media_worker_heartbeats",
        lambda: [heartbeats.WorkerHeartbeat(worker="0", seen_at=1_000.0, sessions=3)],
    )
    figures = scrape(client)
    assert figures[("sprechstunde_media_worker_sessions", (("worker", "0"),))] == 3
    assert figures[("sprechstunde_media_worker_heartbeat_timestamp_seconds", (("worker", "0"),))]


def test_the_figures_cost_a_few_queries_however_many_consultations(
    topic, other_topic, on_duty, django_assert_max_num_queries
):
    for _ in range(5):
        lifecycle.start_consultation(topic_slug="hundesteuer", channel="chat")
        lifecycle.start_consultation(topic_slug="hundesteuer", channel="video")
    with django_assert_max_num_queries(4):
        families = list(LiveFigures().collect())
    assert {f.name for f in families} >= {
        "sprechstunde_queue_waiting",
        "sprechstunde_queue_longest_wait_seconds",
        "sprechstunde_queue_average_wait_seconds",
        "sprechstunde_consultations_active",
        "sprechstunde_questions_open",
        "sprechstunde_clerks",
    }
