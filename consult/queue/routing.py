"""Routing: which clerk gets which waiting consultation, exactly once.

Policy (docs/queueing.md):
- A topic's queue is ordered by priority (highest first), then by ``queued_at``, then id.
- A clerk is eligible for a consultation when they are available, their console is alive
  (seen within the grace period), they serve its topic, have room (chats below capacity; a
  video call only when idle, and nothing else beside one), have no offer ringing, and have not
  declined or let this consultation's offer time out within the cooldown.
- Auto-offer topics: the head of the queue is offered to the clerk it was booked with
  (``Consultation.preferred_clerk``) when that clerk is eligible, else to the eligible clerk
  with the lowest load, then idle longest; once the booked clerk declined or let the offer
  time out, they are cooled down for it and the others get it. Manual topics wait until a
  clerk picks.
- Assignment is a compare-and-set on the consultation's state; clerks' capacity is checked
  under a row lock on their profile. Deadlines are columns, enforced by ``sweep()`` in any
  process, so no timer dies with a process.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Count, F, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from consult import events
from consult.catalogue.models import Topic
from consult.consultations.models import Consultation, Message
from consult.errors import DomainError
from consult.queue.models import Offer
from consult.queue.transitions import lock, transition
from consult.staff.models import StaffProfile
from consult.staff.names import citizen_facing_name

WAITING = Consultation.State.WAITING
ACTIVE = Consultation.State.ACTIVE
VIDEO = Consultation.Channel.VIDEO


@dataclass(frozen=True)
class Load:
    active: int
    video: int

    def has_room(self, *, capacity: int, channel: str) -> bool:
        if self.video:
            return False
        if channel == VIDEO:
            return self.active == 0
        return self.active < capacity


def _now(now: datetime | None) -> datetime:
    return now or timezone.now()


def alive_since(now: datetime) -> datetime:
    return now - timedelta(seconds=settings.QUEUE_GRACE_SECONDS)


def _count_active(channel: str | None = None) -> Coalesce:
    """Subquery: a clerk's active consultations (uses the clerk/state index)."""
    active = Consultation.objects.filter(clerk_id=OuterRef("user_id"), state=ACTIVE)
    if channel:
        active = active.filter(channel=channel)
    counted = active.order_by().values("clerk_id").annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted), Value(0))


def load_of(user_id: int) -> Load:
    rows = Consultation.objects.filter(clerk_id=user_id, state=ACTIVE).aggregate(
        active=Count("pk"), video=Count("pk", filter=Q(channel=VIDEO))
    )
    return Load(active=rows["active"], video=rows["video"])


# --- Dispatch -----------------------------------------------------------------------------


def _candidates(now: datetime) -> list[StaffProfile]:
    """Clerks who could take an offer now, with their load annotated."""
    ringing = Consultation.objects.filter(offered_to_id=OuterRef("user_id"), state=WAITING)
    profiles = (
        StaffProfile.objects.filter(
            status=StaffProfile.Status.AVAILABLE, last_seen_at__gte=alive_since(now)
        )
        .annotate(n_active=_count_active(), n_video=_count_active(VIDEO))
        .exclude(user_id__in=ringing.values("offered_to_id"))
        .filter(n_video=0, n_active__lt=F("capacity"))
        .prefetch_related("topics")
    )
    return list(profiles)


def _n_active(profile: StaffProfile) -> int:
    """The active-consultation count annotated by ``_candidates``."""
    return int(getattr(profile, "n_active", 0))


def _cooled(clerk_id: int, now: datetime) -> list[int]:
    since = now - timedelta(seconds=settings.QUEUE_OFFER_COOLDOWN_SECONDS)
    return list(
        Offer.objects.filter(
            clerk_id=clerk_id,
            decided_at__gte=since,
            outcome__in=[Offer.Outcome.DECLINED, Offer.Outcome.EXPIRED],
        ).values_list("consultation_id", flat=True)
    )


def queue_order_key(consultation: Consultation) -> tuple[int, datetime, int]:
    return (-consultation.priority, consultation.queued_at, consultation.pk)


def offer_order_key(
    consultation: Consultation, profile: StaffProfile
) -> tuple[int, int, datetime, int]:
    """Queue order, except that among consultations of one priority the ones waiting for
    this clerk in particular (``preferred_clerk``: the clerk a booked appointment is with) go
    first."""
    preferred = consultation.preferred_clerk_id == profile.user_id
    return (-consultation.priority, 0 if preferred else 1, consultation.queued_at, consultation.pk)


def _head_for(profile: StaffProfile, now: datetime) -> Consultation | None:
    """The first consultation in offer order (``offer_order_key``) this clerk may be offered
    (one indexed query per topic, independent of the queue's length, and one for the
    consultations waiting for this clerk in particular)."""
    cooled = _cooled(profile.user_id, now)
    topics = [
        topic.pk
        for topic in profile.topics.all()
        if topic.active and topic.routing_mode == Topic.RoutingMode.AUTO_OFFER
    ]
    offerable = Consultation.objects.filter(state=WAITING, offered_to__isnull=True).exclude(
        pk__in=cooled
    )
    if _n_active(profile):
        offerable = offerable.exclude(channel=VIDEO)
    in_order = ("-priority", "queued_at", "pk")
    heads = [offerable.filter(topic_id=topic_id).order_by(*in_order).first() for topic_id in topics]
    if topics:  # the preferred-clerk index: usually no row
        heads.append(
            offerable.filter(preferred_clerk_id=profile.user_id, topic_id__in=topics)
            .order_by(*in_order)
            .first()
        )
    found = [head for head in heads if head is not None]
    return min(found, key=lambda head: offer_order_key(head, profile)) if found else None


def _offer(consultation: Consultation, profile: StaffProfile, now: datetime) -> bool:
    """Ring one clerk for one consultation; False when a concurrent change got there first."""
    with transaction.atomic():
        locked = (
            StaffProfile.objects.select_for_update(skip_locked=True).filter(pk=profile.pk).first()
        )
        if locked is None or locked.status != StaffProfile.Status.AVAILABLE:
            return False
        if not free_to_ring(locked, consultation.channel):
            return False
        return ring(consultation, locked.user_id, now)


def free_to_ring(profile: StaffProfile, channel: str) -> bool:
    """No offer ringing for the clerk, and room for a consultation of this channel."""
    ringing = Consultation.objects.filter(offered_to_id=profile.user_id, state=WAITING).exists()
    return not ringing and load_of(profile.user_id).has_room(
        capacity=profile.capacity, channel=channel
    )


def ring(consultation: Consultation, clerk_id: int, now: datetime) -> bool:
    """Offer a waiting, unoffered consultation to a clerk (compare-and-set) with the topic's
    deadline, and record the offer. The caller holds a transaction and the clerk's lock."""
    timeout = Topic.objects.values_list("offer_timeout_seconds", flat=True).get(
        pk=consultation.topic_id
    )
    expires = now + timedelta(seconds=timeout)
    won = Consultation.objects.filter(
        pk=consultation.pk, state=WAITING, offered_to__isnull=True
    ).update(offered_to_id=clerk_id, offer_expires_at=expires)
    if won != 1:
        return False
    Offer.objects.create(
        consultation_id=consultation.pk, clerk_id=clerk_id, created_at=now, expires_at=expires
    )
    events.publish_queue_changed(consultation.topic_id)
    events.publish_clerk_changed(clerk_id)
    return True


def end_offer(consultation_id: int, clerk_id: int, outcome: str, now: datetime) -> bool:
    """Stop a ring: clear the consultation's offer to this clerk and record how it ended.
    False when it was not (or no longer) ringing for them."""
    cleared = Consultation.objects.filter(
        pk=consultation_id, state=WAITING, offered_to_id=clerk_id
    ).update(offered_to=None, offer_expires_at=None)
    Offer.objects.filter(
        consultation_id=consultation_id, clerk_id=clerk_id, outcome=Offer.Outcome.PENDING
    ).update(outcome=outcome, decided_at=now)
    return cleared == 1


def dispatch(*, now: datetime | None = None, max_offers: int = 1000) -> int:
    """Offer waiting consultations of auto-offer topics to eligible clerks until no more
    offer can be made. Returns the number of offers made."""
    now = _now(now)
    made = 0
    attempts = 0
    while made < max_offers and attempts < max_offers * 2:
        attempts += 1
        heads = [(head, p) for p in _candidates(now) if (head := _head_for(p, now)) is not None]
        if not heads:
            break
        # The consultation first in queue order, offered to the clerk it waits for (its
        # booked clerk) if they can take it now; else, among the clerks whose head it is, the
        # least loaded, then the one idle longest.
        consultation, profile = min(
            heads,
            key=lambda hp: (
                offer_order_key(*hp),
                _n_active(hp[1]),
                hp[1].idle_since,
                hp[1].user_id,
            ),
        )
        if _offer(consultation, profile, now):
            made += 1
    return made


# --- Offers -------------------------------------------------------------------------------


def accept(
    *, consultation_id: int, clerk: AbstractBaseUser, now: datetime | None = None
) -> Consultation:
    """A clerk takes a waiting consultation: their offer, or picked by hand from the queue.

    Of several simultaneous accepts exactly one wins: the clerk's profile and then the
    consultation are locked, and the state change is a compare-and-set
    (``transitions.transition``). The profile lock also keeps two accepts by the same clerk
    from both passing the capacity check.
    """
    now = _now(now)
    with transaction.atomic():
        # Only a waiting consultation (no clerk of its own) can be accepted.
        consultation = lock(consultation_id=consultation_id, clerks=[clerk.pk], own_clerk=False)
        profile = StaffProfile.objects.filter(user_id=clerk.pk).first()  # locked by ``lock``
        if profile is None:
            raise DomainError("not_clerk", "Only clerks can do this.")
        if profile.status != StaffProfile.Status.AVAILABLE:
            raise DomainError("not_available", "Set yourself available first.")
        if consultation is None or not (
            consultation.offered_to_id == clerk.pk
            or profile.topics.filter(pk=consultation.topic_id).exists()
        ):
            raise DomainError("not_found", "No such consultation in your topics.")
        if consultation.state != WAITING:
            raise DomainError("already_taken", "Another clerk has already taken this consultation.")
        if not load_of(clerk.pk).has_room(capacity=profile.capacity, channel=consultation.channel):
            raise DomainError("at_capacity", "You have no room for another consultation now.")
        transition(
            consultation,
            kind=Message.Kind.ACCEPTED,
            now=now,
            author_id=clerk.pk,
            body=citizen_facing_name(user=clerk, profile=profile),
            clerk_id=clerk.pk,
            accepted_at=now,
            first_accepted_at=Coalesce(F("first_accepted_at"), Value(now)),
        )
        StaffProfile.objects.filter(pk=profile.pk).update(missed_offers=0)
        ringing = Consultation.objects.filter(offered_to_id=clerk.pk, state=WAITING).first()
        if ringing is not None and not load_of(clerk.pk).has_room(
            capacity=profile.capacity, channel=ringing.channel
        ):
            withdraw_offers(clerk_id=clerk.pk, now=now)  # picked another by hand: now full
    dispatch(now=now)  # an offer withdrawn from someone else frees them for the next
    return consultation


def decline_offer(
    *, consultation_id: int, clerk: AbstractBaseUser, now: datetime | None = None
) -> None:
    now = _now(now)
    with transaction.atomic():
        if not end_offer(consultation_id, clerk.pk, Offer.Outcome.DECLINED, now):
            raise DomainError("not_offered", "This consultation is not offered to you.")
        topic_id = Consultation.objects.values_list("topic_id", flat=True).get(pk=consultation_id)
        events.publish_queue_changed(topic_id)
        events.publish_clerk_changed(clerk.pk)
    dispatch(now=now)


def withdraw_offers(*, clerk_id: int, now: datetime | None = None) -> None:
    """Stop the ring on a clerk's console (they went away, offline or absent)."""
    now = _now(now)
    with transaction.atomic():
        for consultation in Consultation.objects.filter(offered_to_id=clerk_id, state=WAITING):
            end_offer(consultation.pk, clerk_id, Offer.Outcome.WITHDRAWN, now)
            events.publish_queue_changed(consultation.topic_id)
        events.publish_clerk_changed(clerk_id)
