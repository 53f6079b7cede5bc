"""Reads for the front door: catalogue, service pages, the start page's topic overview, the
documents shown in the waiting room and the clerks' callback queue. No writes here."""

from datetime import datetime
from itertools import groupby

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import QuerySet

from consult.catalogue import hours, navigator
from consult.catalogue.models import CallbackRequest, Service, Topic
from consult.staff.models import StaffProfile

# The topic for questions no service of the catalogue fits (the navigator offers it when it is
# not confident; docs/catalogue.md). The demo creates it; without it the page offers the
# catalogue and a written request only.
GENERAL_TOPIC = "allgemein"


def general_topic() -> Topic | None:
    return active_topic(GENERAL_TOPIC)


def active_topics() -> QuerySet[Topic]:
    return Topic.objects.filter(active=True)


def active_topic(slug: str) -> Topic | None:
    """The active topic with this slug (None for an unknown or closed one)."""
    return active_topics().filter(slug=slug).first() if slug else None


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


def topic_availability(topic: Topic, *, now: datetime) -> hours.Availability:
    return hours.availability([topic], now=now)[topic.pk]


def room_documents(*, topic_id: int, service_id: int | None = None) -> list[Service]:
    """The services whose required documents the waiting room lists: the one the citizen
    came from, else every service of the topic."""
    services = [s for s in active_services().filter(topic_id=topic_id) if s.required_documents]
    chosen = [s for s in services if s.pk == service_id]
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


def open_callback_count(topic_ids: list[int]) -> int:
    """How many requests of these topics are open (the console's badge)."""
    return CallbackRequest.objects.filter(
        topic_id__in=topic_ids, state=CallbackRequest.State.OPEN
    ).count()


def callback_request(pk: object) -> CallbackRequest | None:
    if not isinstance(pk, int):
        return None
    return CallbackRequest.objects.select_related("topic").filter(pk=pk).first()


def topics_with_own_retention() -> list[tuple[str, dict[str, int]]]:
    """(topic name, {kind: days}) of the active topics whose periods differ from the default
    (Topic.retention_overrides), for the privacy page."""
    return [
        (topic.name, {k: v for k, v in topic.retention_overrides.items() if isinstance(v, int)})
        for topic in active_topics().exclude(retention_overrides={})
        if isinstance(topic.retention_overrides, dict)
    ]
