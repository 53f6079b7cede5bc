"""Estimated waiting time (docs/queueing.md).

The textbook model is Erlang C, which predicts the *average* wait of a stationary queue. A
citizen wants *their* wait, given their place and what the clerks are doing now, so we
project the queue forward instead:

1. Each clerk who could serve the topic (available, console alive) has slots: ``capacity``
   chat slots (a video call takes all). A busy slot frees after the expected *remaining*
   handle time of its consultation, given how long it has run already: the mean of
   ``h - elapsed`` over recent handle times ``h > elapsed`` of that topic.
2. The waiting consultations ahead (of every topic those clerks serve, in queue order) take
   the earliest slot of a clerk who serves their topic; each holds it for its topic's mean
   handle time.
3. The estimate is when the citizen's own turn comes. Running the projection with the lower
   and upper quartile of handle times gives the range shown when it is wide.

This accounts for clerks shared between topics and for conversations about to finish, which
the naive ``position x mean handle time / clerks`` does not. ``erlang_c`` is kept for
comparison (tests/bench/queue_sim.py prints both).
"""

import heapq
import math
import statistics
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import F

from .models import Consultation, StaffProfile

HISTORY_DAYS = 30
HISTORY_SIZE = 200
MIN_SAMPLES = 5


@dataclass(frozen=True)
class Estimate:
    seconds: int
    low: int
    high: int


def handle_times(topic_id: int, now: datetime) -> list[float]:
    """Recent handle times of a topic in seconds (newest first)."""
    rows = (
        Consultation.objects.filter(
            topic_id=topic_id,
            state=Consultation.State.ENDED,
            accepted_at__isnull=False,
            ended_at__gte=now - timedelta(days=HISTORY_DAYS),
            ended_at__lte=now,
        )
        .order_by("-ended_at")
        .values_list("accepted_at", "ended_at")[:HISTORY_SIZE]
    )
    return [(ended - accepted).total_seconds() for accepted, ended in rows if accepted and ended]


class HandleModel:
    """What we know about a topic's handle times."""

    def __init__(self, samples: list[float]) -> None:
        if len(samples) < MIN_SAMPLES:
            samples = [float(settings.QUEUE_DEFAULT_HANDLE_SECONDS)]
        self.samples = sorted(samples)
        self.mean = statistics.fmean(self.samples)
        quartiles = (
            statistics.quantiles(self.samples, n=4) if len(self.samples) > 1 else [self.mean] * 3
        )
        self.low, self.high = quartiles[0], quartiles[2]

    def remaining(self, elapsed: float) -> float:
        longer = [h - elapsed for h in self.samples if h > elapsed]
        return statistics.fmean(longer) if longer else max(30.0, 0.1 * self.mean)


def estimate_wait(consultation: Consultation, now: datetime) -> Estimate | None:
    """None when nobody who serves the topic is available (the wait is unknown)."""
    if consultation.state != Consultation.State.WAITING:
        return None
    clerks = list(
        StaffProfile.objects.filter(
            status=StaffProfile.Status.AVAILABLE,
            last_seen_at__gte=now - timedelta(seconds=settings.QUEUE_GRACE_SECONDS),
            topics=consultation.topic_id,
        ).prefetch_related("topics")
    )
    if not clerks:
        return None
    topic_ids = {t.pk for clerk in clerks for t in clerk.topics.all()}
    models = {tid: HandleModel(handle_times(tid, now)) for tid in topic_ids}
    active = [
        dict(row)
        for row in Consultation.objects.filter(
            state=Consultation.State.ACTIVE,
            clerk_id__in=[c.user_id for c in clerks],
            accepted_at__isnull=False,
        ).values("clerk_id", "topic_id", "channel", "accepted_at")
    ]
    key = (-consultation.priority, consultation.queued_at, consultation.pk)
    ahead = [
        (row["topic_id"], row["channel"])
        for row in Consultation.objects.filter(
            state=Consultation.State.WAITING, topic_id__in=topic_ids
        )
        .order_by(F("priority").desc(), "queued_at", "pk")
        .values("pk", "topic_id", "channel", "priority", "queued_at")
        if (-row["priority"], row["queued_at"], row["pk"]) < key
    ]
    runs = {
        which: _project(clerks, active, ahead, consultation, models, now, which)
        for which in ("mean", "low", "high")
    }
    low, high = sorted((runs["low"], runs["high"]))
    return Estimate(seconds=round(runs["mean"]), low=round(low), high=round(high))


def _project(
    clerks: list[StaffProfile],
    active: list[dict[str, Any]],
    ahead: list[tuple[int, str]],
    consultation: Consultation,
    models: dict[int, HandleModel],
    now: datetime,
    which: str,
) -> float:
    """Seconds until the consultation's turn, if handle times are ``which`` (mean/low/high)."""

    def model(topic_id: int) -> HandleModel:
        if topic_id not in models:  # e.g. a clerk's chat of a topic they no longer serve
            models[topic_id] = HandleModel([])
        return models[topic_id]

    def duration(topic_id: int) -> float:
        return float(getattr(model(topic_id), which))

    # One heap of slot free times (seconds from now) per clerk.
    slots: dict[int, list[float]] = {}
    for clerk in clerks:
        busy = [a for a in active if a["clerk_id"] == clerk.user_id]
        frees = []
        for row in busy:
            elapsed = (now - row["accepted_at"]).total_seconds()
            topic_model = model(row["topic_id"])
            scale = duration(row["topic_id"]) / topic_model.mean
            frees.append(topic_model.remaining(elapsed) * scale)
        if any(row["channel"] == Consultation.Channel.VIDEO for row in busy):
            frees = [max(frees)] * max(clerk.capacity, 1)
        frees += [0.0] * max(clerk.capacity - len(frees), 0)
        heapq.heapify(frees)
        slots[clerk.user_id] = frees
    serves = {c.user_id: {t.pk for t in c.topics.all()} for c in clerks}

    def take(topic_id: int) -> float:
        eligible = [uid for uid, topics in serves.items() if topic_id in topics]
        if not eligible:
            return math.inf
        uid = min(eligible, key=lambda u: slots[u][0])
        start = heapq.heappop(slots[uid])
        heapq.heappush(slots[uid], start + duration(topic_id))
        return start

    for topic_id, _channel in ahead:
        take(topic_id)
    return take(consultation.topic_id)


def naive_estimate(*, position: int, mean_handle: float, clerks: int) -> float:
    """position x mean handle time / clerks: the usual first guess, for comparison."""
    return position * mean_handle / clerks if clerks else math.inf


def erlang_c(*, arrival_rate: float, mean_handle: float, servers: int) -> tuple[float, float]:
    """Probability of waiting and average speed of answer (seconds) of an M/M/N queue."""
    load = arrival_rate * mean_handle
    if servers <= load:
        return 1.0, math.inf
    top = load**servers / math.factorial(servers) * servers / (servers - load)
    bottom = sum(load**k / math.factorial(k) for k in range(servers)) + top
    p_wait = top / bottom
    return p_wait, p_wait * mean_handle / (servers - load)


def erlang_service_level(
    *, arrival_rate: float, mean_handle: float, servers: int, within: float
) -> float:
    """Share answered within ``within`` seconds in the Erlang C model."""
    p_wait, _ = erlang_c(arrival_rate=arrival_rate, mean_handle=mean_handle, servers=servers)
    load = arrival_rate * mean_handle
    return 1 - p_wait * math.exp(-(servers - load) * within / mean_handle)
