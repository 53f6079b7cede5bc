"""The start page's per-topic line: open now or when next, and the wait for someone starting now."""

from dataclasses import dataclass
from datetime import datetime

from consult.catalogue import hours
from consult.catalogue.models import Topic
from consult.catalogue.selectors import active_topics
from consult.consultations.models import Consultation
from consult.queue.estimates import Estimate, estimate_wait

# A would-be consultation that joins the queue now, behind everyone (for the start page).
_NEWCOMER_PK = 2**62


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
    """Per active topic: open now or when next, and the wait for someone starting now."""
    topics = list(active_topics()) if topics is None else topics
    states = hours.availability(topics, now=now)
    result = []
    for topic in topics:
        state = states[topic.pk]
        newcomer = Consultation(
            pk=_NEWCOMER_PK,
            topic=topic,
            state=Consultation.State.WAITING,
            priority=Consultation.Priority.NORMAL,
            queued_at=now,
            created_at=now,
        )
        result.append(
            TopicOverview(
                topic=topic,
                availability=state,
                estimate=estimate_wait(newcomer, now) if state.can_start else None,
                waiting=Consultation.objects.filter(
                    topic=topic, state=Consultation.State.WAITING
                ).count(),
            )
        )
    return result
