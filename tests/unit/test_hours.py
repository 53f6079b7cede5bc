"""Opening hours and closures in Europe/Berlin: open now, next opening, DST days, refusals."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings

from consult.catalogue import hours
from consult.catalogue.models import Closure, OpeningHours
from consult.consultations.models import Consultation
from consult.errors import DomainError
from consult.queue import lifecycle, routing
from consult.staff.models import StaffProfile

pytestmark = pytest.mark.django_db
BERLIN = ZoneInfo("Europe/Berlin")


def local(*args):
    return datetime(*args, tzinfo=BERLIN)


@pytest.fixture
def office_hours(topic):
    """Mon-Fri 8-12 and 13-16 (a lunch break), Saturday 9-12."""
    for day in range(5):
        OpeningHours.objects.create(topic=topic, weekday=day, opens=time(8), closes=time(12))
        OpeningHours.objects.create(topic=topic, weekday=day, opens=time(13), closes=time(16))
    OpeningHours.objects.create(topic=topic, weekday=5, opens=time(9), closes=time(12))
    return topic


def plan(topic, at):
    return hours.schedules([topic.pk], around=at)[topic.pk]


def test_open_within_ranges_closed_in_the_lunch_break_and_at_night(office_hours):
    monday = local(2026, 3, 2, 9, 30)
    assert plan(office_hours, monday).is_open(monday)
    lunch = local(2026, 3, 2, 12, 30)
    assert not plan(office_hours, lunch).is_open(lunch)
    assert plan(office_hours, lunch).next_opening(lunch) == local(2026, 3, 2, 13, 0)
    assert plan(office_hours, monday).closes_at(monday) == local(2026, 3, 2, 12, 0)
    assert not plan(office_hours, local(2026, 3, 2, 16, 0)).is_open(local(2026, 3, 2, 16, 0))


def test_next_opening_skips_sunday_and_a_closure(office_hours):
    Closure.objects.create(date=date(2026, 3, 9), reason="Betriebsausflug", topic=office_hours)
    saturday_noon = local(2026, 3, 7, 12, 0)
    at = plan(office_hours, saturday_noon)
    assert not at.is_open(saturday_noon)
    # Sunday closed, Monday a closure: Tuesday 8:00.
    assert at.next_opening(saturday_noon) == local(2026, 3, 10, 8, 0)
    monday = local(2026, 3, 9, 10, 0)
    assert not plan(office_hours, monday).is_open(monday)
    assert plan(office_hours, monday).closure_reason(monday) == "Betriebsausflug"


def test_a_closure_without_topic_closes_every_topic(office_hours, other_topic):
    OpeningHours.objects.create(topic=other_topic, weekday=3, opens=time(8), closes=time(18))
    Closure.objects.create(date=date(2026, 12, 24), reason="Heiligabend")
    thursday = local(2026, 12, 24, 10, 0)
    states = hours.availability([office_hours, other_topic], now=thursday)
    assert not states[office_hours.pk].open and not states[other_topic.pk].open
    assert states[office_hours.pk].closure_reason == "Heiligabend"


def test_dst_days_keep_wall_clock_hours(office_hours):
    """29 March 2026 (clocks forward) and 25 October 2026 (back) are Sundays; the Monday
    after and the Saturday before keep 8:00 and 9:00 local time, whatever the UTC offset."""
    saturday_before_spring = local(2026, 3, 28, 20, 0)  # +01:00
    opening = plan(office_hours, saturday_before_spring).next_opening(saturday_before_spring)
    assert opening == local(2026, 3, 30, 8, 0)
    assert opening.astimezone(ZoneInfo("UTC")).hour == 6  # summer time now: +02:00
    saturday_before_autumn = local(2026, 10, 24, 13, 0)  # +02:00
    opening = plan(office_hours, saturday_before_autumn).next_opening(saturday_before_autumn)
    assert opening.astimezone(ZoneInfo("UTC")).hour == 7  # winter time again: +01:00
    # On the change day itself a range across 2-3 o'clock is as long as the clock says.
    OpeningHours.objects.create(topic=office_hours, weekday=6, opens=time(1), closes=time(4))
    sunday = plan(office_hours, local(2026, 3, 29, 0, 0))
    assert sunday.is_open(datetime(2026, 3, 29, 0, 30, tzinfo=ZoneInfo("UTC")))  # 1:30 CET
    assert sunday.is_open(datetime(2026, 3, 29, 1, 30, tzinfo=ZoneInfo("UTC")))  # 3:30 CEST
    assert not sunday.is_open(datetime(2026, 3, 29, 2, 0, tzinfo=ZoneInfo("UTC")))  # 4:00 CEST


def test_a_topic_without_opening_hours_is_always_open_but_for_closures(topic):
    state = hours.availability([topic], now=local(2026, 3, 8, 3, 0))[topic.pk]
    assert state.open and not state.has_hours
    Closure.objects.create(date=date(2026, 12, 25), reason="1. Weihnachtstag")
    Closure.objects.create(date=date(2026, 12, 26), reason="2. Weihnachtstag")
    state = hours.availability([topic], now=local(2026, 12, 25, 10, 0))[topic.pk]
    assert not state.open and state.next_opening == local(2026, 12, 27, 0, 0)


def test_starting_is_refused_while_closed_or_unstaffed(office_hours, make_clerk):
    sunday = local(2026, 3, 8, 10, 0)
    with pytest.raises(DomainError) as closed:
        lifecycle.start_consultation(topic_slug=office_hours.slug, now=sunday)
    assert closed.value.code == "topic_closed"
    monday = local(2026, 3, 9, 10, 0)
    clerk = make_clerk("anna", [office_hours], status="offline")
    with pytest.raises(DomainError) as unstaffed:
        lifecycle.start_consultation(topic_slug=office_hours.slug, now=monday)
    assert unstaffed.value.code == "topic_unstaffed"
    assert Consultation.objects.count() == 0
    StaffProfile.objects.filter(user=clerk).update(status="available", last_seen_at=monday)
    assert lifecycle.start_consultation(topic_slug=office_hours.slug, now=monday).pk


@pytest.mark.parametrize("hours_of_topic", ["none", "office"])
def test_reachable_means_open_and_a_clerk_there_available_or_busy(
    topic, make_clerk, hours_of_topic
):
    """Issue 14: an always-open topic counted as staffed with nobody signed in. A clerk is
    there when available (free or in conversations) with a console seen within the grace;
    away, offline, or a silent console: not."""
    if hours_of_topic == "office":
        OpeningHours.objects.create(topic=topic, weekday=0, opens=time(8), closes=time(18))
    monday = local(2026, 3, 9, 10, 0)
    grace = timedelta(seconds=settings.QUEUE_GRACE_SECONDS)

    def state():
        return hours.availability([topic], now=monday)[topic.pk]

    assert state().open and not state().staffed and state().unstaffed and not state().can_start
    anna = make_clerk("anna", [topic], status="away")
    StaffProfile.objects.filter(user=anna).update(last_seen_at=monday)
    assert not state().can_start  # away takes nobody
    StaffProfile.objects.filter(user=anna).update(status="available", last_seen_at=monday - grace)
    assert state().can_start and not state().unstaffed  # seen within the grace
    StaffProfile.objects.filter(user=anna).update(
        last_seen_at=monday - grace - timedelta(seconds=1)
    )
    assert not state().can_start  # the console went silent
    StaffProfile.objects.filter(user=anna).update(last_seen_at=monday, capacity=1)
    busy = lifecycle.start_consultation(topic_slug=topic.slug, now=monday)
    routing.accept(consultation_id=busy.pk, clerk=anna, now=monday)
    assert state().can_start  # busy in a conversation still counts: the queue moves
    closed = hours.availability([topic], now=local(2026, 3, 9, 20, 0))[topic.pk]
    assert closed.open is (hours_of_topic == "none")
    if hours_of_topic == "office":
        assert not closed.open and not closed.unstaffed  # closed, not "nobody there"


def test_public_holidays_of_the_configured_state_close_every_topic(topic, settings):
    """From the kept ``holidays`` package (the hand-written Easter computation is gone)."""
    settings.PUBLIC_HOLIDAYS_STATE = "BY"
    corpus_christi = local(2027, 5, 27, 10, 0)  # Fronleichnam: Bavaria, not Berlin
    state = hours.availability([topic], now=corpus_christi)[topic.pk]
    assert not state.open and state.closure_reason == "Fronleichnam"
    assert state.next_opening == local(2027, 5, 28, 0, 0)  # a topic without hours
    settings.PUBLIC_HOLIDAYS_STATE = "BE"
    assert hours.availability([topic], now=corpus_christi)[topic.pk].open
    womens_day = local(2027, 3, 8, 10, 0)  # Frauentag: Berlin only
    assert not hours.availability([topic], now=womens_day)[topic.pk].open
