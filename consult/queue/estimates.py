"""Estimated waiting time (docs/queueing.md).

The textbook model is Erlang C, which predicts the *average* wait of a stationary queue. A
citizen wants *their* wait, given their place and what the clerks are doing right now, so we
simulate the near future of the actual queue many times (Monte Carlo) and report the median:

1. Clerks: everyone available with a live console who serves the citizen's topic, or a topic
   whose queue competes for the same clerks. Each has ``capacity`` chat slots (a video call
   takes all). A busy slot frees after a *remaining* handle time drawn from the recent handle
   times of its topic that are longer than the conversation has lasted so far.
2. The consultations ahead (queue order, all those topics) take, one by one, the slot that
   frees first among clerks who serve their topic, and hold it for a handle time drawn from
   their topic's recent history.
3. The citizen's start in each run is one sample of their wait; the median is the estimate
   (it minimises the absolute error), the quartiles give the range shown when it is wide.

One simulation serves the whole queue: every sampled future walks all waiting consultations
and records each one's start, so a topic's estimates cost one pass per run, not one per
citizen. Runs are seeded by the topic, so an unchanged queue gives unchanged estimates.
``naive_estimate`` and ``erlang_c`` are kept for comparison (tests/bench/queue_sim.py).
"""

import bisect
import heapq
import math
import random
import statistics
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import F

from consult.consultations.models import Consultation
from consult.staff.models import StaffProfile

HISTORY_DAYS = 30
HISTORY_SIZE = 200
MIN_SAMPLES = 5
RUNS = 200
# Each run walks the whole queue; bound the work of one topic's estimates (recomputed at most
# a few times a second, docs/queueing.md) to about this many steps.
STEPS_PER_ESTIMATE = 40_000
MIN_RUNS = 40
MAX_QUEUE = 5_000  # the queue simulated; places beyond it get no estimate


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
    """What we know about a topic's handle times: recent samples, or a default."""

    def __init__(self, samples: list[float]) -> None:
        if len(samples) < MIN_SAMPLES:
            samples = [float(settings.QUEUE_DEFAULT_HANDLE_SECONDS)]
        self.samples = sorted(samples)
        self.mean = statistics.fmean(self.samples)

    def draw(self, rng: random.Random) -> float:
        return rng.choice(self.samples)

    def draw_remaining(self, elapsed: float, rng: random.Random) -> float:
        """A handle time longer than ``elapsed``, minus ``elapsed``."""
        first_longer = bisect.bisect_right(self.samples, elapsed)
        if first_longer == len(self.samples):  # longer than all we have seen
            return rng.expovariate(1 / max(30.0, 0.1 * self.mean))
        return rng.choice(self.samples[first_longer:]) - elapsed


def estimate_wait(consultation: Consultation, now: datetime) -> Estimate | None:
    """None when nobody who serves the topic is available (the wait is unknown)."""
    if consultation.state != Consultation.State.WAITING:
        return None
    return estimate_queue(consultation.topic_id, now).get(consultation.pk)


# The key of a would-be consultation joining the queue now, behind everyone (start page).
NEWCOMER = 0


def estimate_queue(topic_id: int, now: datetime, *, newcomer: bool = False) -> dict[int, Estimate]:
    """The estimate of every waiting consultation of a topic, from one simulation of the
    queue: each sampled future walks the whole queue (of the topics that compete for the
    same clerks) once and records when each of the topic's consultations gets a clerk.
    With ``newcomer``, also the wait of someone joining now (key ``NEWCOMER``). Empty when
    nobody who serves the topic is available. About six queries, whatever the length of the
    queue."""
    alive = StaffProfile.objects.filter(
        status=StaffProfile.Status.AVAILABLE,
        last_seen_at__gte=now - timedelta(seconds=settings.QUEUE_GRACE_SECONDS),
    )
    own = list(alive.filter(topics=topic_id).prefetch_related("topics"))
    if not own:
        return {}
    topic_ids = {t.pk for clerk in own for t in clerk.topics.all()}
    clerks = list(alive.filter(topics__in=topic_ids).distinct().prefetch_related("topics"))
    models = {tid: HandleModel(handle_times(tid, now)) for tid in topic_ids}
    busy = [
        (clerk_id, tid, channel, (now - accepted).total_seconds())
        for clerk_id, tid, channel, accepted in Consultation.objects.filter(
            state=Consultation.State.ACTIVE, clerk_id__in=[c.user_id for c in clerks]
        )
        # a written question being answered takes no chat slot (routing.load_of)
        .exclude(channel=Consultation.Channel.ASYNC)
        .values_list("clerk_id", "topic_id", "channel", "accepted_at")
        if clerk_id is not None and accepted is not None
    ]
    queue = list(
        Consultation.objects.filter(state=Consultation.State.WAITING, topic_id__in=topic_ids)
        .order_by(F("priority").desc(), "queued_at", "pk")
        .values_list("pk", "topic_id")[:MAX_QUEUE]
    )
    if newcomer:
        queue.append((NEWCOMER, topic_id))
    mine = [pk for pk, tid in queue if tid == topic_id]
    if not mine:
        return {}
    rng = random.Random(topic_id)  # noqa: S311 - a simulation, not a secret
    runs = max(MIN_RUNS, min(RUNS, STEPS_PER_ESTIMATE // len(queue)))
    starts: dict[int, list[float]] = {pk: [] for pk in mine}
    for _ in range(runs):
        for pk, start in _one_future(clerks, busy, queue, topic_id, models, rng).items():
            starts[pk].append(start)
    estimates = {}
    for pk, samples in starts.items():
        samples.sort()
        low, median, high = statistics.quantiles(samples, n=4, method="inclusive")
        if math.isfinite(high):  # else no slot for this topic at all (e.g. capacity 0)
            estimates[pk] = Estimate(seconds=round(median), low=round(low), high=round(high))
    return estimates


def _one_future(
    clerks: list[StaffProfile],
    busy: list[tuple[int, int, str, float]],
    queue: list[tuple[int, int]],
    topic_id: int,
    models: dict[int, HandleModel],
    rng: random.Random,
) -> dict[int, float]:
    """One sampled future: seconds until each of ``topic_id``'s consultations in ``queue``
    (pk, topic in queue order) gets a clerk."""

    def model(tid: int) -> HandleModel:
        if tid not in models:  # e.g. a chat of a topic the clerk no longer serves
            models[tid] = HandleModel([])
        return models[tid]

    slots: dict[int, list[float]] = {}
    for clerk in clerks:
        mine = [b for b in busy if b[0] == clerk.user_id]
        frees = [model(tid).draw_remaining(elapsed, rng) for _, tid, _, elapsed in mine]
        if any(channel == Consultation.Channel.VIDEO for _, _, channel, _ in mine):
            frees = [max(frees)] * max(clerk.capacity, 1)
        frees += [0.0] * max(clerk.capacity - len(frees), 0)
        heapq.heapify(frees)
        slots[clerk.user_id] = frees
    serving: dict[int, list[int]] = {}
    for clerk in clerks:
        for topic in clerk.topics.all():
            serving.setdefault(topic.pk, []).append(clerk.user_id)

    def take(tid: int) -> float:
        eligible = [uid for uid in serving.get(tid, ()) if slots[uid]]
        if not eligible:
            return math.inf
        uid = min(eligible, key=lambda u: slots[u][0])
        start = heapq.heappop(slots[uid])
        heapq.heappush(slots[uid], start + model(tid).draw(rng))
        return start

    starts = {}
    for pk, tid in queue:
        start = take(tid)
        if tid == topic_id:
            starts[pk] = start
    return starts


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
