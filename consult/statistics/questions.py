"""Written questions' own figures (docs/metrics.md, "Written questions"): per topic, how many
were asked in the period, how many have an answer, and the time to first answer (first
clerk message - question). They are not live consultations, so the live figures leave them
out (``filters._filtered``)."""

import statistics as stats
from collections import defaultdict
from typing import Any

from consult.consultations.models import Consultation
from consult.statistics.filters import Filters


def answer_times(filters: Filters) -> list[dict[str, Any]]:
    """Per topic (by name): asked, answered, unanswered, mean and median seconds to the first
    answer. The period and the topic filter apply (to the day a question was asked)."""
    start, end = filters.bounds()
    rows = Consultation.objects.filter(
        channel=Consultation.Channel.ASYNC, created_at__gte=start, created_at__lt=end
    )
    if filters.topic_id:
        rows = rows.filter(topic_id=filters.topic_id)
    times: dict[str, list[float]] = defaultdict(list)
    asked: dict[str, int] = defaultdict(int)
    for topic, created, answered in rows.values_list("topic__name", "created_at", "answered_at"):
        asked[topic] += 1
        if answered is not None:
            times[topic].append((answered - created).total_seconds())
    return [
        {
            "topic": topic,
            "asked": asked[topic],
            "answered": len(times[topic]),
            "unanswered": asked[topic] - len(times[topic]),
            "mean_seconds": stats.fmean(times[topic]) if times[topic] else None,
            "median_seconds": stats.median(times[topic]) if times[topic] else None,
        }
        for topic in sorted(asked)
    ]
