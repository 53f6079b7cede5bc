"""Reads for pages and consumers. No writes here."""

from datetime import datetime
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Count, Min, Q
from django.utils import timezone

from consult.catalogue.selectors import active_topics, open_callback_count
from consult.consultations.models import Consultation
from consult.queue import rooms
from consult.staff.models import StaffProfile
from consult.staff.selectors import clerk_profile
from consult.statistics import figures


def video_possible(*, consultation_id: int) -> bool:
    """An active chat whose clerk has no other conversation open may become a video call
    (a video call takes the clerk exclusively, as in routing)."""
    clerk_id = (
        Consultation.objects.filter(
            pk=consultation_id, state=Consultation.State.ACTIVE, clerk__isnull=False
        )
        .values_list("clerk_id", flat=True)
        .first()
    )
    if clerk_id is None:
        return False
    others = Consultation.objects.filter(clerk_id=clerk_id, state=Consultation.State.ACTIVE)
    return not others.exclude(pk=consultation_id).exists()


def queue_position(consultation: Consultation) -> dict[str, int] | None:
    """1-based place in the topic's queue (dispatch order) and how many wait in it;
    None once not waiting."""
    if consultation.state != Consultation.State.WAITING:
        return None
    waiting = Consultation.objects.filter(
        topic_id=consultation.topic_id, state=Consultation.State.WAITING
    )
    p, q = consultation.priority, consultation.queued_at
    ahead = waiting.filter(
        Q(priority__gt=p)
        | Q(priority=p, queued_at__lt=q)
        | Q(priority=p, queued_at=q, pk__lt=consultation.pk)
    ).count()
    return {"position": ahead + 1, "waiting": waiting.count()}


def waiting_room(
    consultation_id: int,
    now: datetime | None = None,
    *,
    topic_id: int | None = None,
    fresh_since: float = 0.0,
) -> dict[str, Any] | None:
    """What the waiting room shows: place, queue length and the estimated wait (seconds, with
    a low-high range; None when nobody is staffed for the topic); None when not waiting.

    Read from the topic's view (consult/queue/rooms.py), computed once per change for every
    room. A socket that knows its topic passes it (no query then, unless the view must be
    computed) and ``fresh_since``, the time of the change it was told about or of its own
    arrival in the queue; an explicit ``now`` computes the view for that moment (tests).
    """
    if topic_id is None:
        row = (
            Consultation.objects.filter(pk=consultation_id)
            .values_list("topic_id", "state", "queued_at")
            .first()
        )
        if row is None or row[1] != Consultation.State.WAITING:
            return None
        topic_id, fresh_since = row[0], max(fresh_since, row[2].timestamp())
    if now is not None:
        return rooms.place_in(rooms.compute_topic_view(topic_id, now), consultation_id)
    place = rooms.place_in(rooms.topic_view(topic_id, fresh_since=fresh_since), consultation_id)
    if place is None:  # back in the queue after the view was made (a requeue keeps its time)
        place = rooms.place_in(rooms.refresh_topic_view(topic_id), consultation_id)
    return place


def console_snapshot(clerk: AbstractBaseUser) -> dict[str, Any]:
    """What the console shows: status, the offers the clerk missed in a row, the waiting
    consultations of the clerk's topics in queue order, the clerk's own chats, the offer
    ringing for them, available colleagues, and how many callback requests and written
    questions of the clerk's topics are open."""
    profile = clerk_profile(clerk)
    if profile is None:
        return {
            "status": StaffProfile.Status.OFFLINE,
            "missed_offers": 0,
            "waiting": [],
            "mine": [],
            "offer": None,
            "colleagues": [],
            "callbacks_open": 0,
            "questions_open": 0,
        }
    topic_ids = [t.pk for t in profile.topics.all()]
    waiting = (
        Consultation.objects.filter(topic_id__in=topic_ids, state=Consultation.State.WAITING)
        .select_related("topic", "service")
        .order_by("-priority", "queued_at", "pk")[:200]
    )
    mine = (
        Consultation.objects.filter(clerk_id=clerk.pk)
        .exclude(state=Consultation.State.ENDED, outcome__gt="")
        .select_related("topic", "service")
        .order_by("accepted_at", "pk")
    )
    offer = (
        Consultation.objects.filter(offered_to_id=clerk.pk, state=Consultation.State.WAITING)
        .select_related("topic", "service")
        .first()
    )
    colleagues = (
        StaffProfile.objects.filter(status=StaffProfile.Status.AVAILABLE)
        .exclude(user_id=clerk.pk)
        .prefetch_related("topics")
        .order_by("display_name")
    )
    return {
        "status": profile.status,
        "missed_offers": profile.missed_offers,
        "waiting": [_summary(c) for c in waiting],
        "mine": [_summary(c) for c in mine],
        "offer": _offer_summary(offer) if offer is not None else None,
        "colleagues": [
            {"id": p.user_id, "name": p.display_name, "topics": [t.slug for t in p.topics.all()]}
            for p in colleagues
        ],
        "callbacks_open": open_callback_count(topic_ids),
        "questions_open": Consultation.objects.filter(
            topic_id__in=topic_ids, state=Consultation.State.ASKED
        ).count(),
    }


def open_questions(clerk: AbstractBaseUser | AnonymousUser) -> list[dict[str, Any]]:
    """The written questions of the clerk's topics nobody has taken yet, by topic, oldest
    first within each (consult/queue/questions.py)."""
    profile = clerk_profile(clerk)
    if profile is None:
        return []
    asked = (
        Consultation.objects.filter(topic__in=profile.topics.all(), state=Consultation.State.ASKED)
        .select_related("topic", "service")
        .order_by("topic__sort_order", "topic__name", "created_at", "pk")[:200]
    )
    groups: dict[str, list[Consultation]] = {}
    for consultation in asked:
        groups.setdefault(consultation.topic.name, []).append(consultation)
    return [{"topic": name, "questions": items} for name, items in groups.items()]


def _offer_summary(consultation: Consultation) -> dict[str, Any]:
    expires = consultation.offer_expires_at
    return {**_summary(consultation), "expires": expires.isoformat() if expires else ""}


def _summary(consultation: Consultation) -> dict[str, Any]:
    return {
        "id": consultation.pk,
        "topic": consultation.topic.name,
        "topic_slug": consultation.topic.slug,
        "channel": consultation.channel,
        "state": consultation.state,
        "created": consultation.created_at.isoformat(),
        "queued": consultation.queued_at.isoformat(),
        "requeued": consultation.priority >= Consultation.Priority.REQUEUED,
        "offered": consultation.offered_to_id is not None,
        "service": consultation.service.name if consultation.service else None,
        "concern": consultation.concern,
    }


def wallboard(now: datetime | None = None) -> dict[str, Any]:
    """The live board: per topic who waits and for how long, clerks by state, today's
    service level."""
    now = now or timezone.now()
    waiting = (
        Consultation.objects.filter(state=Consultation.State.WAITING)
        .values("topic_id")
        .annotate(count=Count("pk"), oldest=Min("created_at"))
    )
    per_topic = {row["topic_id"]: row for row in waiting}
    topics = [
        {
            "name": topic.name,
            "waiting": per_topic.get(topic.pk, {}).get("count", 0),
            "oldest": _iso(per_topic.get(topic.pk, {}).get("oldest")),
        }
        for topic in active_topics()
    ]
    busy_ids = set(
        Consultation.objects.filter(state=Consultation.State.ACTIVE).values_list(
            "clerk_id", flat=True
        )
    )
    clerks = {"available": 0, "busy": 0, "away": 0, "offline": 0}
    for user_id, status in StaffProfile.objects.values_list("user_id", "status"):
        if user_id in busy_ids:
            clerks["busy"] += 1
        else:
            clerks[status] += 1
    today = figures.today_figures(now)
    return {
        "topics": topics,
        "clerks": clerks,
        "service_level": today["service_level"],
        "service_seconds": today["service_seconds"],
        "requested": today["requested"],
        "answered": today["answered"],
        "now": now.isoformat(),
    }


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None
