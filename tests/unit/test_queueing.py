"""Routing policy: who is offered what, when offers time out, and what goes back."""

from datetime import timedelta

import pytest
from django.utils import timezone

from consult.catalogue.models import Topic
from consult.chat import messages
from consult.consultations.models import Message
from consult.errors import DomainError
from consult.queue import lifecycle, routing, selectors, status, sweep, transfers
from consult.queue.models import Offer
from consult.staff.models import StaffProfile
from tests.queue_helpers import left_waiting

pytestmark = pytest.mark.django_db

T0 = timezone.now().replace(microsecond=0)


def at(seconds):
    return T0 + timedelta(seconds=seconds)


@pytest.fixture
def present(make_clerk):
    """A clerk who is available with an open console, idle since ``idle`` seconds."""

    def make(name, topics, *, idle=0, capacity=3, status="available"):
        user = make_clerk(name, topics, status=status)
        StaffProfile.objects.filter(user=user).update(
            last_seen_at=T0, idle_since=at(idle), capacity=capacity
        )
        return user

    return make


def start(slug="hundesteuer", seconds=0, channel="chat"):
    return lifecycle.start_consultation(topic_slug=slug, channel=channel, now=at(seconds))


def offered_to(consultation):
    consultation.refresh_from_db()
    return consultation.offered_to


def test_an_arrival_is_offered_to_the_clerk_idle_longest(
    topic, present, sent_events, django_capture_on_commit_callbacks
):
    anna = present("anna", [topic], idle=-600)
    present("ben", [topic], idle=-300)
    with django_capture_on_commit_callbacks(execute=True):
        consultation = start()
    assert offered_to(consultation) == anna
    offer = Offer.objects.get()
    assert (offer.clerk, offer.outcome, offer.expires_at) == (anna, "pending", at(20))
    assert (f"clerk.{anna.pk}", {"type": "clerk.assigned", "clerk": anna.pk}) in sent_events


def test_a_clerk_with_fewer_chats_goes_first(topic, present):
    anna = present("anna", [topic], idle=-600)
    ben = present("ben", [topic], idle=-10)
    first = start()
    routing.accept(consultation_id=first.pk, clerk=anna, now=at(1))
    assert offered_to(start(seconds=2)) == ben


def test_manual_topics_wait_for_a_pick(topic, present):
    topic.routing_mode = Topic.RoutingMode.MANUAL
    topic.save()
    present("anna", [topic])
    assert offered_to(start()) is None


def test_clerks_without_a_live_console_or_not_available_get_no_offer(topic, present):
    present("anna", [topic], status="away")
    ben = present("ben", [topic])
    StaffProfile.objects.filter(user=ben).update(last_seen_at=at(-60))
    with pytest.raises(DomainError) as refused:
        start()
    assert refused.value.code == "topic_unstaffed"  # nobody there: no start
    waiting = left_waiting(topic, now=at(0))  # nor an offer for who was left waiting
    routing.dispatch(now=at(0))
    assert offered_to(waiting) is None


def test_one_ring_at_a_time_and_queue_order_within_priority(topic, present):
    anna = present("anna", [topic])
    older, newer = start(seconds=0), start(seconds=1)
    assert (offered_to(older), offered_to(newer)) == (anna, None)
    routing.accept(consultation_id=older.pk, clerk=anna, now=at(2))
    assert offered_to(newer) == anna


def test_timeout_moves_on_cools_down_and_repeated_misses_set_away(topic, present, settings):
    settings.QUEUE_MISSED_OFFERS_AWAY = 2
    anna = present("anna", [topic], idle=-600)
    ben = present("ben", [topic], idle=-300)
    consultation = start()
    assert offered_to(consultation) == anna
    StaffProfile.objects.update(last_seen_at=at(18))  # consoles still beating
    sweep.sweep(now=at(19))
    assert offered_to(consultation) == anna  # not yet due
    StaffProfile.objects.update(last_seen_at=at(20))
    sweep.sweep(now=at(21))
    assert offered_to(consultation) == ben
    assert Offer.objects.get(clerk=anna).outcome == "expired"
    StaffProfile.objects.update(last_seen_at=at(40))
    sweep.sweep(now=at(42))  # ben misses too; anna is cooling down for this one
    assert offered_to(consultation) is None
    other = start(seconds=43)
    assert offered_to(other) == anna  # a different consultation may ring her
    StaffProfile.objects.update(last_seen_at=at(60))
    sweep.sweep(now=at(64))
    anna_profile = StaffProfile.objects.get(user=anna)
    assert anna_profile.status == "away"  # second miss in a row


def test_decline_offers_the_next_clerk_and_not_the_decliner_again_soon(topic, present, settings):
    anna = present("anna", [topic], idle=-600)
    ben = present("ben", [topic], idle=-300)
    consultation = start()
    routing.decline_offer(consultation_id=consultation.pk, clerk=anna, now=at(3))
    assert offered_to(consultation) == ben
    routing.decline_offer(consultation_id=consultation.pk, clerk=ben, now=at(4))
    assert offered_to(consultation) is None
    StaffProfile.objects.update(last_seen_at=at(200))
    sweep.sweep(now=at(4 + settings.QUEUE_OFFER_COOLDOWN_SECONDS + 1))
    assert offered_to(consultation) == anna
    with pytest.raises(DomainError) as error:
        routing.decline_offer(consultation_id=consultation.pk, clerk=ben, now=at(200))
    assert error.value.code == "not_offered"


def test_capacity_is_respected_by_offers_and_picks(topic, present):
    anna = present("anna", [topic], capacity=2)
    first, second, third = start(seconds=0), start(seconds=1), start(seconds=2)
    routing.accept(consultation_id=first.pk, clerk=anna, now=at(3))
    routing.accept(consultation_id=second.pk, clerk=anna, now=at(4))
    assert offered_to(third) is None
    with pytest.raises(DomainError) as error:
        routing.accept(consultation_id=third.pk, clerk=anna, now=at(5))
    assert error.value.code == "at_capacity"


def test_video_is_exclusive(topic, present):
    anna = present("anna", [topic])
    chat_one = start(seconds=0)
    routing.accept(consultation_id=chat_one.pk, clerk=anna, now=at(1))
    video = start(seconds=2, channel="video")
    assert offered_to(video) is None  # anna is chatting
    lifecycle.end_consultation(
        consultation_id=chat_one.pk, clerk=anna, outcome="resolved", now=at(3)
    )
    assert offered_to(video) == anna
    routing.accept(consultation_id=video.pk, clerk=anna, now=at(4))
    assert offered_to(start(seconds=5)) is None  # nothing beside a video call


def test_a_silent_console_gives_its_consultations_back_after_the_grace_period(
    topic, present, settings
):
    anna = present("anna", [topic], idle=-600)
    consultation = start()
    routing.accept(consultation_id=consultation.pk, clerk=anna, now=at(1))
    later = start(seconds=2)
    ben = present("ben", [topic], idle=0)
    StaffProfile.objects.filter(user=ben).update(last_seen_at=at(30))
    sweep.sweep(now=at(settings.QUEUE_GRACE_SECONDS - 1))
    consultation.refresh_from_db()
    assert consultation.state == "active"
    sweep.sweep(now=at(settings.QUEUE_GRACE_SECONDS + 1))
    consultation.refresh_from_db()
    assert (consultation.state, consultation.clerk, consultation.priority) == ("waiting", None, 10)
    assert consultation.messages.last().kind == Message.Kind.REQUEUED
    # Back at the head: it is offered before the consultation that came later.
    assert (offered_to(consultation), offered_to(later)) == (ben, None)


def test_going_offline_gives_consultations_back_at_once(topic, present):
    anna = present("anna", [topic])
    consultation = start()
    routing.accept(consultation_id=consultation.pk, clerk=anna, now=at(1))
    status.set_status(clerk=anna, status="offline", now=at(2))
    consultation.refresh_from_db()
    assert consultation.state == "waiting"


def test_going_away_keeps_chats_but_stops_the_ring(topic, present):
    anna = present("anna", [topic])
    ringing = start()
    status.set_status(clerk=anna, status="away", now=at(1))
    assert offered_to(ringing) is None
    assert Offer.objects.get().outcome == "withdrawn"


def test_a_manual_pick_of_an_offered_consultation_withdraws_the_offer(topic, present):
    anna = present("anna", [topic], idle=-600)
    ben = present("ben", [topic], idle=-10)
    consultation = start()
    assert offered_to(consultation) == anna
    routing.accept(consultation_id=consultation.pk, clerk=ben, now=at(2))
    outcomes = dict(Offer.objects.values_list("clerk_id", "outcome"))
    assert outcomes == {anna.pk: "withdrawn"}


def test_transfer_to_another_topic_enters_at_its_head(topic, other_topic, present):
    other_topic.routing_mode = Topic.RoutingMode.MANUAL
    other_topic.save()
    anna = present("anna", [topic])
    present("ben", [other_topic])  # Bauantrag is reachable (manual: nobody is rung)
    early = start("bauantrag", seconds=0)
    consultation = start(seconds=1)
    routing.accept(consultation_id=consultation.pk, clerk=anna, now=at(2))
    transfers.transfer_to_topic(
        consultation_id=consultation.pk, clerk=anna, topic_slug="bauantrag", now=at(3)
    )
    consultation.refresh_from_db()
    assert (consultation.state, consultation.topic, consultation.priority) == (
        "waiting",
        other_topic,
        10,
    )
    from consult.queue import selectors

    assert selectors.queue_position(consultation)["position"] == 1
    early.refresh_from_db()
    assert selectors.queue_position(early)["position"] == 2
    assert consultation.messages.last().body == "Bauantrag"


def test_transfer_to_a_named_colleague_rings_them(topic, present):
    anna = present("anna", [topic], idle=-600)
    ben = present("ben", [topic], idle=-10)
    consultation = start()
    routing.accept(consultation_id=consultation.pk, clerk=anna, now=at(1))
    transfers.transfer_to_clerk(
        consultation_id=consultation.pk, clerk=anna, target_id=ben.pk, now=at(2)
    )
    assert offered_to(consultation) == ben
    routing.accept(consultation_id=consultation.pk, clerk=ben, now=at(3))
    consultation.refresh_from_db()
    assert consultation.clerk == ben
    messages.post_message(
        consultation_id=consultation.pk, sender="clerk", body="Hallo", client_id="b", author=ben
    )


def test_transfer_to_a_colleague_who_cannot_take_it_is_refused(topic, other_topic, present):
    anna = present("anna", [topic])
    carl = present("carl", [other_topic])
    consultation = start()
    routing.accept(consultation_id=consultation.pk, clerk=anna, now=at(1))
    with pytest.raises(DomainError) as error:
        transfers.transfer_to_clerk(
            consultation_id=consultation.pk, clerk=anna, target_id=carl.pk, now=at(2)
        )
    assert error.value.code == "clerk_unavailable"
    consultation.refresh_from_db()
    assert consultation.state == "active"


def test_a_clerk_who_transferred_cannot_write_into_the_conversation_any_more(topic, present):
    anna = present("anna", [topic], idle=-600)
    ben = present("ben", [topic], idle=-10)
    consultation = start()
    routing.accept(consultation_id=consultation.pk, clerk=anna, now=at(1))
    transfers.transfer_to_clerk(
        consultation_id=consultation.pk, clerk=anna, target_id=ben.pk, now=at(2)
    )
    routing.accept(consultation_id=consultation.pk, clerk=ben, now=at(3))
    with pytest.raises(DomainError) as error:
        messages.post_message(
            consultation_id=consultation.pk,
            sender="clerk",
            body="Noch ich",
            client_id="old",
            author=anna,
        )
    assert error.value.code == "not_found"
    messages.post_message(
        consultation_id=consultation.pk,
        sender="clerk",
        body="Ben hier",
        client_id="new",
        author=ben,
    )


def test_capacity_must_be_at_least_one(topic, present):
    from django.db import IntegrityError, transaction

    anna = present("anna", [topic])
    with pytest.raises(IntegrityError), transaction.atomic():
        StaffProfile.objects.filter(user=anna).update(capacity=0)


def missed(clerk):
    profile = StaffProfile.objects.get(user=clerk)
    return profile.missed_offers, profile.status


def sweep_at(seconds):
    """The consoles beat, then the sweep runs."""
    StaffProfile.objects.update(last_seen_at=at(seconds))
    sweep.sweep(now=at(seconds))


def test_missed_offers_are_counted_kept_when_away_and_reset_by_available_or_accept(
    topic, present, settings
):
    """The console tells the clerk about missed offers from this count (the snapshot's
    ``missed_offers``): going away, by the sweep or by hand, keeps it; becoming available
    again or accepting starts a new run."""
    settings.QUEUE_MISSED_OFFERS_AWAY = 2
    settings.QUEUE_OFFER_COOLDOWN_SECONDS = 0  # she is offered the same one again at once
    anna = present("anna", [topic])
    consultation = start()
    assert offered_to(consultation) == anna

    sweep_at(21)  # the offer (20 s) timed out
    assert missed(anna) == (1, "available")
    assert selectors.console_snapshot(anna)["missed_offers"] == 1
    status.set_status(clerk=anna, status="away", now=at(22))
    assert missed(anna) == (1, "away")  # going away by hand keeps the count
    StaffProfile.objects.update(last_seen_at=at(23))
    status.set_status(clerk=anna, status="available", now=at(23))
    assert missed(anna) == (0, "available")
    assert offered_to(consultation) == anna

    sweep_at(44)  # missed again (1) ...
    sweep_at(45)  # ... offered again ...
    sweep_at(66)  # ... and missed again (2): the sweep sets her away and keeps the count
    assert missed(anna) == (2, "away")
    snapshot = selectors.console_snapshot(anna)
    assert (snapshot["status"], snapshot["missed_offers"]) == ("away", 2)

    StaffProfile.objects.update(last_seen_at=at(67))
    status.set_status(clerk=anna, status="available", now=at(67))
    assert missed(anna) == (0, "available")
    sweep_at(88)
    sweep_at(89)
    assert missed(anna) == (1, "available")
    routing.accept(consultation_id=consultation.pk, clerk=anna, now=at(90))
    assert missed(anna) == (0, "available")
