"""Realistic consultation history for demos and benchmarks (nothing personal in it)."""

import math
import random
from datetime import date, datetime, time, timedelta

from django.db import transaction

from consult.catalogue.models import Topic
from consult.clock import LOCAL
from consult.consultations.models import Consultation
from consult.staff.models import StaffProfile, StatusPeriod
from consult.statistics import rollup

# Relative demand per hour of a weekday (08:00-17:59): a morning peak, a lunch dip.
HOURLY = {8: 0.7, 9: 1.3, 10: 1.5, 11: 1.2, 12: 0.7, 13: 0.8, 14: 1.1, 15: 1.0, 16: 0.7, 17: 0.4}


def _lognormal(rng: random.Random, mean: float, sigma: float) -> float:
    return rng.lognormvariate(math.log(mean) - sigma**2 / 2, sigma)


@transaction.atomic
def generate_history(*, days: int, per_day: int = 60, seed: int = 1, until: date) -> int:
    """Create ``days`` days of history ending the day before ``until``; returns how many
    consultations were made. Weekdays only, 08:00-18:00 Berlin time. The statistics roll-up
    of those days is built again (they were written in bulk, past the domain functions)."""
    rng = random.Random(seed)  # noqa: S311 - demo data, not secrets
    topics = list(Topic.objects.filter(active=True))
    profiles = list(StaffProfile.objects.prefetch_related("topics"))
    servers = {t.pk: [p.user_id for p in profiles if t in p.topics.all()] for t in topics}
    topics = [t for t in topics if servers[t.pk]]
    if not topics:
        return 0
    weights = [1.0 + 0.5 * (i % 3) for i in range(len(topics))]
    made: list[Consultation] = []
    periods: list[StatusPeriod] = []
    for offset in range(days, 0, -1):
        day = until - timedelta(days=offset)
        if day.weekday() >= 5:
            continue
        for profile in profiles:
            periods.append(
                StatusPeriod(
                    clerk_id=profile.user_id,
                    status="available",
                    started_at=datetime.combine(day, time(8), tzinfo=LOCAL),
                    ended_at=datetime.combine(day, time(16, 30), tzinfo=LOCAL),
                )
            )
        for hour, factor in HOURLY.items():
            for _ in range(rng.randint(0, round(2 * per_day * factor / len(HOURLY)))):
                created = datetime.combine(day, time(hour), tzinfo=LOCAL) + timedelta(
                    seconds=rng.uniform(0, 3600)
                )
                topic = rng.choices(topics, weights)[0]
                video = rng.random() < 0.2
                wait = _lognormal(rng, 10 + 30 * factor, 1.0)
                patience = rng.expovariate(1 / 900)
                consultation = Consultation(
                    topic=topic,
                    channel="video" if video else "chat",
                    created_at=created,
                    queued_at=created,
                )
                if patience < wait:
                    consultation.state = "abandoned"
                    consultation.ended_at = created + timedelta(seconds=patience)
                    consultation.ended_by = "citizen"
                else:
                    accepted = created + timedelta(seconds=wait)
                    handle = _lognormal(rng, 600 if video else 360, 0.6)
                    consultation.state = "ended"
                    consultation.clerk_id = rng.choice(servers[topic.pk])
                    consultation.accepted_at = consultation.first_accepted_at = accepted
                    consultation.ended_at = accepted + timedelta(seconds=handle)
                    consultation.ended_by = rng.choice(["clerk", "clerk", "citizen"])
                    consultation.outcome = rng.choices(
                        ["resolved", "follow_up", "referred", "unresolved"], [70, 15, 10, 5]
                    )[0]
                    if rng.random() < 0.35:
                        consultation.rating = rng.choices([1, 2, 3, 4, 5], [3, 5, 12, 35, 45])[0]
                made.append(consultation)
    Consultation.objects.bulk_create(made, batch_size=2000)
    StatusPeriod.objects.bulk_create(periods, batch_size=2000)
    rollup.build(
        first=until - timedelta(days=days), last=until - timedelta(days=1), everything=True
    )
    return len(made)
