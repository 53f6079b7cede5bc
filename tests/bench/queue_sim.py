"""Queueing benchmark: dispatch cost against queue length, and a discrete-event simulation
driving the real routing code on PostgreSQL.

    make bench-queue            (or: DATABASE_URL=postgres://... python -m tests.bench.queue_sim)

Prints figures, never asserts. Creates and drops its own database (``test_<name>``).
"""

import math
import os
import random
import statistics
import sys
import time
from datetime import datetime, timedelta

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from consult.catalogue.models import Topic  # noqa: E402
from consult.consultations.models import Consultation  # noqa: E402
from consult.queue import (  # noqa: E402
    lifecycle,
    routing,
    selectors,
)
from consult.queue.estimates import (  # noqa: E402
    HandleModel,
    erlang_c,
    erlang_service_level,
    estimate_wait,
    handle_times,
    naive_estimate,
)
from consult.queue.models import Offer  # noqa: E402
from consult.staff.models import StaffProfile  # noqa: E402

SEED = 20261127
SERVICE_LEVEL_SECONDS = 30


def clerk(name: str, topics: list[Topic], now: datetime, capacity: int = 1) -> object:
    user = get_user_model().objects.create(username=name)
    profile = StaffProfile.objects.create(
        user=user,
        display_name=name,
        status="available",
        capacity=capacity,
        last_seen_at=now,
        idle_since=now,
    )
    profile.topics.set(topics)
    return user


# --- 1. Dispatch cost: 100 versus 10,000 waiting ------------------------------------------


def fill_queue(waiting: int) -> tuple[Topic, object]:
    """A topic with ``waiting`` consultations in its queue and one available clerk for it."""
    now = timezone.now()
    topic = Topic.objects.create(name=f"cost{waiting}", slug=f"cost{waiting}")
    Consultation.objects.bulk_create(
        Consultation(
            topic=topic,
            created_at=now - timedelta(seconds=waiting - i),
            queued_at=now - timedelta(seconds=waiting - i),
        )
        for i in range(waiting)
    )
    user = clerk(f"cost-clerk-{waiting}", [topic], now)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE consult_consultation")
    return topic, user


def time_dispatch(user: object, repeats: int = 60) -> float:
    """Median seconds of one dispatch() that makes one offer (to ``user``), undone each time."""
    samples = []
    for _ in range(repeats):
        StaffProfile.objects.filter(user=user).update(last_seen_at=timezone.now())
        started = time.perf_counter()
        made = routing.dispatch()
        samples.append(time.perf_counter() - started)
        assert made == 1
        Consultation.objects.filter(offered_to=user).update(offered_to=None, offer_expires_at=None)
        Offer.objects.filter(clerk=user).delete()
    return statistics.median(samples[5:])


def retire(user: object) -> None:
    StaffProfile.objects.filter(user=user).update(status="offline")


def dispatch_cost(waiting: int, repeats: int = 60) -> float:
    """Median seconds of one dispatch() that makes one offer with ``waiting`` in the queue."""
    _topic, user = fill_queue(waiting)
    cost = time_dispatch(user, repeats)
    retire(user)
    return cost


# --- 2. Discrete-event simulation -----------------------------------------------------------

ARRIVALS_PER_HOUR = {"hund": 20.0, "wohnsitz": 25.0, "kfz": 15.0}
MEAN_HANDLE = 300.0
HANDLE_SIGMA = 0.6  # lognormal shape: a realistic long tail
SKILLS = {
    "c1": ["hund"],
    "c2": ["hund", "wohnsitz"],
    "c3": ["wohnsitz"],
    "c4": ["wohnsitz", "kfz"],
    "c5": ["kfz", "hund"],
    "c6": ["hund", "wohnsitz", "kfz"],
}
WARM_UP = timedelta(hours=1)
DURATION = timedelta(hours=9)


def handle_time(rng: random.Random) -> float:
    mu = math.log(MEAN_HANDLE) - HANDLE_SIGMA**2 / 2
    return rng.lognormvariate(mu, HANDLE_SIGMA)


def simulate() -> dict[str, float]:
    rng = random.Random(SEED)
    start = timezone.now().replace(microsecond=0) - DURATION - timedelta(days=1)
    topics = {
        slug: Topic.objects.create(name=slug, slug=f"sim-{slug}") for slug in ARRIVALS_PER_HOUR
    }
    clerks = {
        name: clerk(f"sim-{name}", [topics[t] for t in skills], start)
        for name, skills in SKILLS.items()
    }
    events: list[tuple[datetime, str, object]] = []
    for slug, per_hour in ARRIVALS_PER_HOUR.items():
        t = start
        while t < start + DURATION:
            t += timedelta(seconds=rng.expovariate(per_hour / 3600))
            events.append((t, "arrive", slug))
    events.sort(key=lambda e: e[0])
    predictions: dict[int, tuple[float | None, float, datetime]] = {}
    ends: list[tuple[datetime, int, object]] = []
    dispatch_calls = 0
    started = time.perf_counter()

    def accept_offers(now: datetime) -> None:
        for consultation in Consultation.objects.filter(
            state="waiting", offered_to__isnull=False, topic__in=topics.values()
        ):
            user = consultation.offered_to
            routing.accept(consultation_id=consultation.pk, clerk=user, now=now)
            ends.append((now + timedelta(seconds=handle_time(rng)), consultation.pk, user))
            ends.sort(key=lambda e: e[0])

    def finish_until(limit: datetime) -> None:
        nonlocal dispatch_calls
        while ends and ends[0][0] <= limit:
            when, consultation_id, user = ends.pop(0)
            StaffProfile.objects.filter(user__in=clerks.values()).update(last_seen_at=when)
            lifecycle.end_consultation(
                consultation_id=consultation_id, clerk=user, outcome="resolved", now=when
            )
            dispatch_calls += 1
            accept_offers(when)

    for when, _kind, slug in events:
        finish_until(when)
        StaffProfile.objects.filter(user__in=clerks.values()).update(last_seen_at=when)
        consultation = lifecycle.start_consultation(topic_slug=f"sim-{slug}", now=when)
        dispatch_calls += 1
        if consultation.state == "waiting" and consultation.offered_to_id is None:
            estimate = estimate_wait(consultation, when)
            position = selectors.queue_position(consultation)["position"]
            staffed = sum(slug in skills for skills in SKILLS.values())
            mean = HandleModel(handle_times(consultation.topic_id, when)).mean
            naive = naive_estimate(position=position, mean_handle=mean, clerks=staffed)
            predictions[consultation.pk] = (estimate.seconds if estimate else None, naive, when)
        else:
            predictions[consultation.pk] = (0.0, 0.0, when)
        accept_offers(when)
    finish_until(start + DURATION + timedelta(days=1))
    elapsed = time.perf_counter() - started

    measured = Consultation.objects.filter(
        topic__in=topics.values(), created_at__gte=start + WARM_UP, accepted_at__isnull=False
    ).values_list("pk", "created_at", "accepted_at")
    waits, ours, naive_errors = [], [], []
    for pk, created, accepted in measured:
        actual = (accepted - created).total_seconds()
        estimate, naive, _ = predictions[pk]
        waits.append(actual)
        ours.append(abs((estimate or 0.0) - actual))
        naive_errors.append(abs(naive - actual))
    arrival_rate = sum(ARRIVALS_PER_HOUR.values()) / 3600
    p_wait, asa = erlang_c(arrival_rate=arrival_rate, mean_handle=MEAN_HANDLE, servers=len(SKILLS))
    return {
        "answered": len(waits),
        "mean_wait": statistics.fmean(waits),
        "mae_ours": statistics.fmean(ours) / statistics.fmean(waits),
        "mae_naive": statistics.fmean(naive_errors) / statistics.fmean(waits),
        "service_level": sum(w <= SERVICE_LEVEL_SECONDS for w in waits) / len(waits),
        "asa": statistics.fmean(waits),
        "erlang_service_level": erlang_service_level(
            arrival_rate=arrival_rate,
            mean_handle=MEAN_HANDLE,
            servers=len(SKILLS),
            within=SERVICE_LEVEL_SECONDS,
        ),
        "erlang_asa": asa,
        "erlang_p_wait": p_wait,
        "events_per_second": (len(events) * 2) / elapsed,
        "dispatch_calls": dispatch_calls,
        "elapsed": elapsed,
    }


def main() -> None:
    if connection.vendor != "postgresql":
        sys.exit("The benchmark runs on PostgreSQL: set DATABASE_URL=postgres://...")
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        small = dispatch_cost(100)
        large = dispatch_cost(10_000)
        print("dispatch cost (median of one dispatch() making one offer)")
        print(f"  100 waiting:     {small * 1000:7.2f} ms")
        print(f"  10,000 waiting:  {large * 1000:7.2f} ms")
        print(f"  ratio 10,000/100: {large / small:.2f}   (goal <= 1.5)")
        print(f"  dispatches per second at 10,000 waiting: {1 / large:.0f}")
        figures = simulate()
        print(
            "discrete-event simulation (9 h, 60 arrivals/h over 3 topics, 6 clerks with "
            "overlapping skills, one chat each, lognormal handle time mean 300 s)"
        )
        print(
            f"  answered after warm-up: {figures['answered']}, mean wait "
            f"{figures['mean_wait']:.0f} s"
        )
        print(
            f"  estimate MAE / mean wait: ours {figures['mae_ours']:.1%}, "
            f"naive {figures['mae_naive']:.1%}   (goal <= 25 % and below naive)"
        )
        print(
            f"  service level {SERVICE_LEVEL_SECONDS} s: simulated "
            f"{figures['service_level']:.1%}, Erlang C {figures['erlang_service_level']:.1%}"
        )
        print(
            f"  average speed of answer: simulated {figures['asa']:.0f} s, "
            f"Erlang C {figures['erlang_asa']:.0f} s (P(wait) {figures['erlang_p_wait']:.1%})"
        )
        print(
            f"  simulation speed: {figures['events_per_second']:.0f} events/s, "
            f"{figures['dispatch_calls']} dispatch calls in {figures['elapsed']:.1f} s"
        )
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
