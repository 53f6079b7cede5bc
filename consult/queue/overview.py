"""The start page's per-topic line: open now or when next, and the wait for someone starting now."""

from dataclasses import dataclass
from datetime import datetime

from consult.catalogue import hours
from consult.catalogue.models import Topic
from consult.catalogue.selectors import active_topics
from consult.queue import rooms
from consult.queue.estimates import Estimate


@dataclass(frozen=True)
class TopicOverview:
    topic: Topic
    availability: hours.Availability
    estimate: Estimate | None  # for someone starting now; None when closed or unknown
    waiting: int

    @property
    def wait_minutes(self) -> int | None:
        """Whole minutes, None below a minute (or without an estimate)."""
        if self.estimate is None or self.estimate.seconds < 60:
            return None
        return round(self.estimate.seconds / 60)


def topic_overview(*, now: datetime, topics: list[Topic] | None = None) -> list[TopicOverview]:
    """Per active topic: open now or when next, and the wait for someone starting now (from
    the topics' live views, consult/queue/rooms.py)."""
    topics = list(active_topics()) if topics is None else topics
    states = hours.availability(topics, now=now)
    views = rooms.topic_views([topic.pk for topic in topics])
    result = []
    for topic in topics:
        state, view = states[topic.pk], views[topic.pk]
        newcomer = view["newcomer"]
        estimate = None
        if state.can_start and newcomer["estimate"] is not None:
            estimate = Estimate(
                seconds=newcomer["estimate"],
                low=newcomer["estimate_low"],
                high=newcomer["estimate_high"],
            )
        result.append(
            TopicOverview(
                topic=topic, availability=state, estimate=estimate, waiting=view["waiting"]
            )
        )
    return result
