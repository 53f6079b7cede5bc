"""Reads for pages and consumers. No writes here."""

from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import QuerySet

from .chat import serialize_message
from .models import Consultation, Message, StaffProfile, Topic


def active_topics() -> QuerySet[Topic]:
    return Topic.objects.filter(active=True)


def consultation_by_token(public_token: str) -> Consultation | None:
    if not public_token or len(public_token) > 64:
        return None
    return (
        Consultation.objects.select_related("topic", "clerk__staff_profile")
        .filter(public_token=public_token)
        .first()
    )


def clerk_profile(user: AbstractBaseUser | AnonymousUser) -> StaffProfile | None:
    if not user.is_authenticated:
        return None
    return StaffProfile.objects.prefetch_related("topics").filter(user_id=user.pk).first()


def clerk_consultation(*, consultation_id: int, clerk: AbstractBaseUser) -> Consultation | None:
    """A consultation the clerk is assigned to, in any state."""
    return (
        Consultation.objects.select_related("topic")
        .filter(pk=consultation_id, clerk_id=clerk.pk)
        .first()
    )


def queue_position(consultation: Consultation) -> dict[str, int] | None:
    """1-based place in the topic's queue and how many wait in it; None once not waiting."""
    if consultation.state != Consultation.State.WAITING:
        return None
    waiting = Consultation.objects.filter(
        topic_id=consultation.topic_id, state=Consultation.State.WAITING
    )
    ahead = (
        waiting.filter(created_at__lt=consultation.created_at).count()
        + waiting.filter(created_at=consultation.created_at, pk__lt=consultation.pk).count()
    )
    return {"position": ahead + 1, "waiting": waiting.count()}


def log_since(*, consultation_id: int, after_seq: int) -> list[dict[str, Any]]:
    """The log entries a reconnecting client missed, in order."""
    return [
        serialize_message(m)
        for m in Message.objects.filter(
            consultation_id=consultation_id, seq__gt=after_seq
        ).order_by("seq")
    ]


def console_snapshot(clerk: AbstractBaseUser) -> dict[str, Any]:
    """What the console shows: status, waiting consultations of the clerk's topics, own chats."""
    profile = clerk_profile(clerk)
    if profile is None:
        return {"status": StaffProfile.Status.OFFLINE, "waiting": [], "mine": []}
    topic_ids = [t.pk for t in profile.topics.all()]
    waiting = (
        Consultation.objects.filter(topic_id__in=topic_ids, state=Consultation.State.WAITING)
        .select_related("topic")
        .order_by("created_at", "pk")
    )
    mine = (
        Consultation.objects.filter(clerk_id=clerk.pk)
        .exclude(state=Consultation.State.ENDED, outcome__gt="")
        .select_related("topic")
        .order_by("accepted_at", "pk")
    )
    return {
        "status": profile.status,
        "waiting": [_summary(c) for c in waiting],
        "mine": [_summary(c) for c in mine],
    }


def _summary(consultation: Consultation) -> dict[str, Any]:
    return {
        "id": consultation.pk,
        "topic": consultation.topic.name,
        "channel": consultation.channel,
        "state": consultation.state,
        "created": consultation.created_at.isoformat(),
    }


def clerk_topic_ids(clerk: AbstractBaseUser) -> list[int]:
    return list(Topic.objects.filter(staff__user_id=clerk.pk).values_list("pk", flat=True))
