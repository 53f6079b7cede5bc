"""Random arrivals, offers, accepts, declines, timeouts, disconnects, transfers and ends,
checked after every step against the routing invariants (hypothesis state machine)."""

import os
from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, note
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from consult.catalogue.models import Topic
from consult.consultations.models import Consultation, Message
from consult.errors import DomainError
from consult.queue import lifecycle, routing, sweep, transfers
from consult.queue import status as clerk_status
from consult.queue.models import Offer
from consult.staff.models import StaffProfile

TOPICS = ["hund", "bau", "kfz"]  # kfz is manual pick
CLERKS = [
    ("a", ["hund"], 1),
    ("b", ["hund", "bau"], 2),
    ("c", ["bau", "kfz"], 3),
    ("d", ["hund", "kfz"], 2),
]
NAMES = [name for name, _topics, _capacity in CLERKS]


class Routing(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.atomic = transaction.atomic()
        self.atomic.__enter__()
        self.now = timezone.now().replace(microsecond=0)
        self.topics = {}
        for slug in TOPICS:
            self.topics[slug] = Topic.objects.create(
                name=slug,
                slug=slug,
                offer_timeout_seconds=20,
                routing_mode="manual" if slug == "kfz" else "auto_offer",
            )
        self.clerks = {}
        for name, topics, capacity in CLERKS:
            user = get_user_model().objects.create(username=f"clerk-{name}")
            profile = StaffProfile.objects.create(
                user=user,
                display_name=name,
                status="available",
                capacity=capacity,
                last_seen_at=self.now,
                idle_since=self.now,
            )
            profile.topics.set([self.topics[t] for t in topics])
            self.clerks[name] = user
        self.connected = set(self.clerks)
        self.seen_offers: set[int] = set()

    def teardown(self) -> None:
        transaction.set_rollback(True)
        self.atomic.__exit__(None, None, None)

    # --- helpers
    def tick(self, seconds: int) -> None:
        self.now += timedelta(seconds=seconds)
        StaffProfile.objects.filter(
            user__username__in=[f"clerk-{n}" for n in self.connected]
        ).update(last_seen_at=self.now)

    def attempt(self, action, *args, **kwargs) -> None:
        try:
            action(*args, now=self.now, **kwargs)
        except DomainError as error:
            note(f"refused: {error.code}")

    def waiting(self):
        return list(Consultation.objects.filter(state="waiting").order_by("pk"))

    def active_of(self, name):
        return list(Consultation.objects.filter(state="active", clerk=self.clerks[name]))

    # --- rules
    @rule(topic=st.sampled_from(TOPICS), video=st.booleans())
    def arrive(self, topic, video):
        self.tick(1)
        try:
            lifecycle.start_consultation(
                topic_slug=topic, channel="video" if video else "chat", now=self.now
            )
        except DomainError as error:  # refused only while nobody of the topic is there
            assert error.code == "topic_unstaffed"
            assert not StaffProfile.objects.filter(
                topics__slug=topic,
                status="available",
                last_seen_at__gte=self.now - timedelta(seconds=settings.QUEUE_GRACE_SECONDS),
            ).exists()

    @rule(seconds=st.integers(1, 40))
    def time_passes(self, seconds):
        self.tick(seconds)
        sweep.sweep(now=self.now)

    @rule(name=st.sampled_from(NAMES))
    def accept_offer(self, name):
        offer = Consultation.objects.filter(state="waiting", offered_to=self.clerks[name]).first()
        if offer:
            self.attempt(routing.accept, consultation_id=offer.pk, clerk=self.clerks[name])

    @rule(name=st.sampled_from(NAMES))
    def decline_offer(self, name):
        offer = Consultation.objects.filter(state="waiting", offered_to=self.clerks[name]).first()
        if offer:
            self.attempt(routing.decline_offer, consultation_id=offer.pk, clerk=self.clerks[name])

    @rule(name=st.sampled_from(NAMES), index=st.integers(0, 5))
    def pick_by_hand(self, name, index):
        waiting = self.waiting()
        if waiting:
            self.attempt(
                routing.accept,
                consultation_id=waiting[index % len(waiting)].pk,
                clerk=self.clerks[name],
            )

    @rule(name=st.sampled_from(NAMES), outcome=st.sampled_from(["resolved"]))
    def end(self, name, outcome):
        for consultation in self.active_of(name)[:1]:
            self.attempt(
                lifecycle.end_consultation,
                consultation_id=consultation.pk,
                clerk=self.clerks[name],
                outcome=outcome,
            )

    @rule(index=st.integers(0, 20))
    def citizen_leaves(self, index):
        open_ = list(Consultation.objects.filter(state__in=["waiting", "active"]).order_by("pk"))
        if open_:
            self.attempt(
                lifecycle.leave_consultation,
                public_token=open_[index % len(open_)].public_token,
            )

    @rule(name=st.sampled_from(NAMES))
    def console_closes(self, name):
        self.connected.discard(name)

    @rule(name=st.sampled_from(NAMES))
    def console_opens(self, name):
        self.connected.add(name)
        clerk_status.console_connected(clerk=self.clerks[name], now=self.now)

    @rule(name=st.sampled_from(NAMES), status=st.sampled_from(["available", "away", "offline"]))
    def set_status(self, name, status):
        clerk_status.set_status(clerk=self.clerks[name], status=status, now=self.now)

    @rule(name=st.sampled_from(NAMES), topic=st.sampled_from(TOPICS))
    def transfer_to_topic(self, name, topic):
        for consultation in self.active_of(name)[:1]:
            self.attempt(
                transfers.transfer_to_topic,
                consultation_id=consultation.pk,
                clerk=self.clerks[name],
                topic_slug=topic,
            )

    @rule(name=st.sampled_from(NAMES), colleague=st.sampled_from(NAMES))
    def transfer_to_clerk(self, name, colleague):
        for consultation in self.active_of(name)[:1]:
            self.attempt(
                transfers.transfer_to_clerk,
                consultation_id=consultation.pk,
                clerk=self.clerks[name],
                target_id=self.clerks[colleague].pk,
            )
            # A named transfer rings that colleague on purpose, outside queue order.
            self.seen_offers |= set(
                Offer.objects.filter(
                    consultation=consultation, clerk=self.clerks[colleague], outcome="pending"
                ).values_list("pk", flat=True)
            )

    # --- invariants
    @invariant()
    def nobody_over_capacity_and_one_ring_each(self):
        for profile in StaffProfile.objects.all():
            active = Consultation.objects.filter(state="active", clerk_id=profile.user_id)
            videos = active.filter(channel="video").count()
            assert active.count() <= profile.capacity
            assert videos == 0 or active.count() == 1
            ringing = Consultation.objects.filter(state="waiting", offered_to_id=profile.user_id)
            assert ringing.count() <= 1
            for offer in ringing:  # a ring only for what the clerk has room for
                load = routing.load_of(profile.user_id)
                assert load.has_room(capacity=profile.capacity, channel=offer.channel)

    @invariant()
    def never_assigned_twice(self):
        for consultation in Consultation.objects.all():
            kinds = list(consultation.messages.values_list("kind", flat=True))
            returns = kinds.count(Message.Kind.REQUEUED) + kinds.count(Message.Kind.TRANSFERRED)
            assert kinds.count(Message.Kind.ACCEPTED) <= returns + 1
            assert Offer.objects.filter(consultation=consultation, outcome="pending").count() <= (
                1 if consultation.state == "waiting" and consultation.offered_to_id else 0
            )
            if consultation.state == "active":
                assert consultation.clerk_id is not None and consultation.offered_to_id is None

    def eligible(self, profile, consultation):
        """Could routing offer this consultation to this clerk now?"""
        if profile.status != "available" or profile.last_seen_at < self.now - timedelta(
            seconds=settings.QUEUE_GRACE_SECONDS
        ):
            return False
        if not profile.topics.filter(pk=consultation.topic_id, routing_mode="auto_offer").exists():
            return False
        load = routing.load_of(profile.user_id)
        if not load.has_room(capacity=profile.capacity, channel=consultation.channel):
            return False
        return not Offer.objects.filter(
            clerk_id=profile.user_id,
            consultation=consultation,
            outcome__in=["declined", "expired"],
            decided_at__gte=self.now - timedelta(seconds=settings.QUEUE_OFFER_COOLDOWN_SECONDS),
        ).exists()

    @invariant()
    def nobody_eligible_is_left_idle(self):
        unoffered = [c for c in self.waiting() if c.offered_to_id is None]
        for profile in StaffProfile.objects.all():
            if Consultation.objects.filter(state="waiting", offered_to_id=profile.user_id).exists():
                continue  # ringing already
            for consultation in unoffered:
                assert not self.eligible(profile, consultation), (profile, consultation)

    @invariant()
    def offers_follow_queue_order(self):
        new = Offer.objects.filter(outcome="pending").exclude(pk__in=self.seen_offers)
        for offer in new:
            self.seen_offers.add(offer.pk)
            profile = StaffProfile.objects.get(user_id=offer.clerk_id)
            key = routing.queue_order_key(offer.consultation)
            for other in self.waiting():
                if other.offered_to_id is None and routing.queue_order_key(other) < key:
                    assert not self.eligible(profile, other), (offer, other)


@pytest.mark.django_db
def test_routing_invariants_hold_under_random_operations():
    run = Routing.TestCase
    run.settings = hypothesis_settings(
        max_examples=int(os.environ.get("ROUTING_EXAMPLES", "25")),  # more: a longer hunt
        stateful_step_count=30,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    run().runTest()
