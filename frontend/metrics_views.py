"""``/metrics``: the operator's figures in Prometheus' text format (docs/observability.md).

Off unless ``METRICS_TOKEN`` is set (then 404, as if there were no such page); with it, only
a request with ``Authorization: Bearer <METRICS_TOKEN>`` gets the figures (compared in
constant time), everyone else 401. Besides the token, keep it to the internal network
(README, "Production"): scrape each daphne process on its own port, not through the proxy.

What it shows: this process's registry (open websockets by endpoint with its pid, and
prometheus_client's process figures), the live queue read from the database with a few cheap
queries (consult/queue/monitoring.py), the time since the last queue sweep and the media
workers' heartbeats (consult/heartbeats.py). No names, tokens or addresses: topics by slug,
everything else counted.
"""

import hmac
import time
from collections.abc import Iterator

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import connections
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.http import require_safe
from prometheus_client import CONTENT_TYPE_PLAIN_0_0_4, REGISTRY, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric

from consult import heartbeats
from consult.queue import monitoring

PREFIX = "sprechstunde_"


def _gauge(name: str, documentation: str, labels: list[str] | None = None) -> GaugeMetricFamily:
    return GaugeMetricFamily(PREFIX + name, documentation, labels=labels)


class LiveFigures:
    """The installation's figures, read when collected (one scrape: one read)."""

    def collect(self) -> Iterator[Metric]:
        now = timezone.now()
        figures = monitoring.live_figures(now=now)
        waiting = _gauge("queue_waiting", "Citizens waiting in the topic's queue.", ["topic"])
        longest = _gauge(
            "queue_longest_wait_seconds",
            "How long the citizen waiting longest in the topic's queue has waited.",
            ["topic"],
        )
        average = _gauge(
            "queue_average_wait_seconds",
            "How long the citizens in the topic's queue have waited so far, on average.",
            ["topic"],
        )
        for topic in figures.topics:
            waiting.add_metric([topic.slug], topic.waiting)
            longest.add_metric([topic.slug], topic.longest_wait_seconds)
            average.add_metric([topic.slug], topic.average_wait_seconds)
        yield from (waiting, longest, average)
        active = _gauge(
            "consultations_active", "Consultations in progress, by channel.", ["channel"]
        )
        for channel, count in sorted(figures.active_by_channel.items()):
            active.add_metric([channel], count)
        yield active
        questions = _gauge("questions_open", "Written questions waiting for an answer.")
        questions.add_metric([], figures.questions_open)
        yield questions
        clerks = _gauge("clerks", "Clerks by the status they set.", ["status"])
        for status, count in sorted(figures.clerks_by_status.items()):
            clerks.add_metric([status], count)
        yield clerks
        yield from _sweep(time.time())
        yield from _media_workers(time.time())


def _sweep(now: float) -> Iterator[Metric]:
    """When the leading process last swept (absent before the first sweep is known)."""
    last = heartbeats.last_sweep()
    if last is None:
        return
    at = _gauge("sweep_last_timestamp_seconds", "Unix time the queue sweep last ran.")
    at.add_metric([], last)
    lag = _gauge("sweep_lag_seconds", "Seconds since the queue sweep last ran (any process).")
    lag.add_metric([], max(now - last, 0.0))
    yield from (at, lag)


def _media_workers(now: float) -> Iterator[Metric]:
    beats = heartbeats.media_worker_heartbeats()
    if not beats:
        return
    at = _gauge(
        "media_worker_heartbeat_timestamp_seconds",
        "Unix time of the media worker's last heartbeat.",
        ["worker"],
    )
    age = _gauge(
        "media_worker_heartbeat_age_seconds",
        "Seconds since the media worker's last heartbeat.",
        ["worker"],
    )
    sessions = _gauge("media_worker_sessions", "Relay sessions the media worker holds.", ["worker"])
    for beat in beats:
        at.add_metric([beat.worker], beat.seen_at)
        age.add_metric([beat.worker], max(now - beat.seen_at, 0.0))
        if beat.sessions is not None:
            sessions.add_metric([beat.worker], beat.sessions)
    yield from (at, age, sessions)


def exposition() -> bytes:
    """The whole text: this process's registry, then the installation's figures."""
    try:
        return generate_latest(REGISTRY) + generate_latest(LiveFigures())  # type: ignore[arg-type]
    finally:
        connections.close_all()  # a thread of its own (below): give its connection back


def authorized(request: HttpRequest, token: str) -> bool:
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(
        given.strip().encode(), token.encode()
    )


@require_safe
async def metrics(request: HttpRequest) -> HttpResponse:
    token = settings.METRICS_TOKEN
    if not token:
        raise Http404
    if not authorized(request, token):
        response = HttpResponse("401 Unauthorized\n", status=401, content_type="text/plain")
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    # Not on the process's one shared database thread, where the sockets' work queues.
    body = await sync_to_async(exposition, thread_sensitive=False)()
    # The classic text format (0.0.4): what every Prometheus version reads.
    response = HttpResponse(body, content_type=CONTENT_TYPE_PLAIN_0_0_4)
    response["Cache-Control"] = "no-store"
    return response
