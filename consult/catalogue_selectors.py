"""Reads for the front door: catalogue, service pages, the start page's topic overview, the
documents shown in the waiting room and the clerks' callback queue. No writes here."""

from dataclasses import dataclass
from datetime import datetime
from itertools import groupby

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import QuerySet

from . import hours, navigator
from .estimates import Estimate, estimate_wait
from .models import CallbackRequest, Consultation, Service, StaffProfile, Topic
from .selectors import active_topics

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


def active_services() -> QuerySet[Service]:
    return Service.objects.filter(active=True, topic__active=True).select_related("topic", "office")


def service_by_slug(slug: str) -> Service | None:
    if not slug or len(slug) > 100:
        return None
    return active_services().filter(slug=slug).first()


def services_by_topic() -> list[tuple[Topic, list[Service]]]:
    services = active_services().order_by("topic__sort_order", "topic__name", "name")
    return [(topic, list(group)) for topic, group in groupby(services, key=lambda s: s.topic)]


def services_a_to_z() -> list[tuple[str, list[Service]]]:
    """Services under their initial letter (umlauts under their base letter)."""
    services = sorted(active_services(), key=lambda s: navigator.fold(s.name))
    return [
        (letter.upper(), list(group))
        for letter, group in groupby(services, key=lambda s: navigator.fold(s.name)[:1])
    ]


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


def topic_availability(topic: Topic, *, now: datetime) -> hours.Availability:
    return hours.availability([topic], now=now)[topic.pk]


def room_documents(*, topic_id: int, service_slug: str = "") -> list[Service]:
    """The services whose required documents the waiting room lists: the one the citizen
    came from, else every service of the topic."""
    services = [s for s in active_services().filter(topic_id=topic_id) if s.required_documents]
    chosen = [s for s in services if s.slug == service_slug]
    return chosen or list(services)


def open_callback_requests(
    clerk: AbstractBaseUser | AnonymousUser, *, limit: int = 100
) -> list[CallbackRequest]:
    """Open requests of the clerk's topics, oldest first."""
    topic_ids = StaffProfile.objects.filter(user_id=clerk.pk or 0).values_list("topics", flat=True)
    return list(
        CallbackRequest.objects.filter(topic_id__in=topic_ids, state=CallbackRequest.State.OPEN)
        .select_related("topic")
        .order_by("created_at", "pk")[:limit]
    )


def callback_request(pk: object) -> CallbackRequest | None:
    if not isinstance(pk, int):
        return None
    return CallbackRequest.objects.select_related("topic").filter(pk=pk).first()
