"""Every figure against a small hand-built dataset with hand-computed values."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from consult.consultations.models import Consultation
from consult.staff.models import StatusPeriod
from consult.statistics import clerks
from consult.statistics import figures as stats
from consult.statistics.filters import Filters

pytestmark = pytest.mark.django_db
BERLIN = ZoneInfo("Europe/Berlin")
DAY = date(2026, 3, 10)  # a Tuesday


def at(day, clock):
    hours, minutes, seconds = (int(part) for part in clock.split(":"))
    return datetime(day.year, day.month, day.day, hours, minutes, seconds, tzinfo=BERLIN)


def make(
    topic,
    created,
    *,
    waited=None,
    handled=None,
    abandoned_after=None,
    clerk=None,
    channel="chat",
    rating=None,
    day=DAY,
    booked=False,
):
    created_at = at(day, created)
    consultation = Consultation(
        topic=topic,
        channel=channel,
        created_at=created_at,
        queued_at=created_at,
        clerk=clerk,
        booked=booked,
    )
    if waited is not None:
        consultation.first_accepted_at = consultation.accepted_at = created_at + _s(waited)
        consultation.state = "ended"
        consultation.ended_at = consultation.first_accepted_at + _s(handled)
        consultation.outcome = "resolved"
    elif abandoned_after is not None:
        consultation.state = "abandoned"
        consultation.ended_at = created_at + _s(abandoned_after)
    consultation.rating = rating
    consultation.save()
    return consultation


def _s(seconds):
    from datetime import timedelta

    return timedelta(seconds=seconds)


@pytest.fixture
def data(topic, other_topic, make_clerk):
    anna = make_clerk("anna", [topic, other_topic])
    make(topic, "09:00:00", waited=20, handled=300, clerk=anna, rating=5)
    make(topic, "09:10:00", waited=60, handled=600, clerk=anna, channel="video", rating=3)
    make(topic, "10:00:00", abandoned_after=3)  # a short abandon
    make(topic, "10:05:00", abandoned_after=120)
    make(other_topic, "11:00:00", waited=10, handled=120, clerk=anna)
    StatusPeriod.objects.create(
        clerk=anna, status="available", started_at=at(DAY, "09:00:00"), ended_at=at(DAY, "12:00:00")
    )
    return anna


def test_the_day_in_total(data):
    figures = stats.summary(Filters(start=DAY, end=DAY))
    assert figures["requested"] == 4  # five, less one short abandon
    assert figures["short_abandoned"] == 1
    assert (figures["answered"], figures["abandoned"], figures["ended"]) == (3, 1, 3)
    assert figures["asa"] == pytest.approx(30)  # (20 + 60 + 10) / 3
    assert figures["median_wait"] == pytest.approx(20)
    assert figures["p90_wait"] == pytest.approx(52)  # 20 + 0.8 * (60 - 20)
    assert figures["max_wait"] == pytest.approx(60)
    assert figures["service_level"] == pytest.approx(0.5)  # 10 s and 20 s of 4 requests
    assert figures["abandonment_rate"] == pytest.approx(0.25)
    assert figures["aht"] == pytest.approx(340)  # (300 + 600 + 120) / 3
    assert (figures["satisfaction"], figures["ratings"]) == (pytest.approx(4.0), 2)


def test_filters_by_topic_and_channel(data, topic):
    hund = stats.summary(Filters(start=DAY, end=DAY, topic_id=topic.pk))
    assert (hund["requested"], hund["answered"], hund["abandoned"]) == (3, 2, 1)
    assert hund["asa"] == pytest.approx(40)
    assert hund["median_wait"] == pytest.approx(40)
    assert hund["p90_wait"] == pytest.approx(56)
    assert hund["service_level"] == pytest.approx(1 / 3)
    assert hund["aht"] == pytest.approx(450)
    video = stats.summary(Filters(start=DAY, end=DAY, channel="video"))
    assert (video["requested"], video["asa"], video["service_level"]) == (1, 60, 0)
    by_channel = {row["channel"]: row for row in stats.by_channel(Filters(DAY, DAY))}
    assert by_channel["chat"]["answered"] == 2 and by_channel["video"]["answered"] == 1


def test_a_longer_service_level_threshold(data):
    figures = stats.summary(Filters(start=DAY, end=DAY, service_seconds=60))
    assert figures["service_level"] == pytest.approx(0.75)


def test_per_topic_table(data):
    rows = {row["topic__name"]: row for row in stats.by_topic(Filters(DAY, DAY))}
    assert rows["Hundesteuer"]["requested"] == 3
    assert rows["Bauantrag"]["requested"] == 1
    assert rows["Bauantrag"]["median_wait"] == pytest.approx(10)


def test_an_empty_range(data):
    figures = stats.summary(Filters(start=date(2026, 1, 1), end=date(2026, 1, 7)))
    assert (figures["requested"], figures["answered"]) == (0, 0)
    assert figures["asa"] is None and figures["median_wait"] is None
    assert figures["service_level"] is None and figures["abandonment_rate"] is None
    assert stats.by_topic(Filters(date(2026, 1, 1), date(2026, 1, 7))) == []


def test_a_range_with_only_abandons(topic):
    day = date(2026, 4, 2)
    make(topic, "08:00:00", abandoned_after=60, day=day)
    make(topic, "08:30:00", abandoned_after=300, day=day)
    figures = stats.summary(Filters(start=day, end=day))
    assert (figures["requested"], figures["answered"], figures["abandoned"]) == (2, 0, 2)
    assert figures["abandonment_rate"] == 1
    assert figures["service_level"] == 0
    assert figures["asa"] is None and figures["p90_wait"] is None


def test_days_are_berlin_days_across_the_dst_change(topic):
    # 29 March 2026: clocks go from 02:00 to 03:00 in Berlin; the day has 23 hours.
    make(topic, "23:30:00", waited=5, handled=60, day=date(2026, 3, 28))
    make(topic, "00:30:00", waited=5, handled=60, day=date(2026, 3, 29))  # 23:30 UTC on 28th
    make(topic, "03:30:00", waited=5, handled=60, day=date(2026, 3, 29))
    make(topic, "23:30:00", waited=5, handled=60, day=date(2026, 3, 29))
    make(topic, "00:10:00", waited=5, handled=60, day=date(2026, 3, 30))
    days = stats.daily(Filters(start=date(2026, 3, 28), end=date(2026, 3, 30)))
    assert [(row["day"], row["requested"]) for row in days] == [
        (date(2026, 3, 28), 1),
        (date(2026, 3, 29), 3),
        (date(2026, 3, 30), 1),
    ]
    heat = stats.heatmap(Filters(start=date(2026, 3, 29), end=date(2026, 3, 29)))
    assert set(heat) == {(7, 0), (7, 3), (7, 23)}  # Sunday, local hours


def test_daily_trend_includes_days_without_requests(data):
    days = stats.daily(Filters(start=DAY, end=date(2026, 3, 12)))
    assert [row["requested"] for row in days] == [4, 0, 0]


def test_heatmap_of_waiting_by_weekday_and_hour(data):
    heat = stats.heatmap(Filters(start=DAY, end=DAY))
    assert heat[(2, 9)]["asa"] == pytest.approx(40)
    assert heat[(2, 11)]["asa"] == pytest.approx(10)
    assert heat[(2, 10)]["asa"] is None and heat[(2, 10)]["requests"] == 2


def test_per_clerk_handle_time_satisfaction_and_occupancy(data, topic):
    # A parallel chat from 09:15 to 09:25 overlaps the video call (09:11-09:21): the clerk
    # is busy 09:11-09:25 once, not twice.
    make(topic, "09:15:00", waited=0, handled=600, clerk=data)
    [anna] = clerks.by_clerk(Filters(start=DAY, end=DAY))
    assert anna["clerk"] == "Anna"
    assert anna["answered"] == 4
    busy = 300 + 14 * 60 + 120  # 09:00:20-09:05:20, 09:11-09:25, 11:00:10-11:02:10
    assert anna["busy_seconds"] == pytest.approx(busy)
    assert anna["occupancy"] == pytest.approx(busy / (3 * 3600))


def test_a_consultation_still_waiting_does_not_count_against_the_rates(data, topic):
    make(topic, "11:30:00")  # requested, neither answered nor abandoned yet
    figures = stats.summary(Filters(start=DAY, end=DAY))
    assert figures["requested"] == 5
    assert figures["service_level"] == pytest.approx(0.5)  # still 2 of the 4 decided
    assert figures["abandonment_rate"] == pytest.approx(0.25)


WALK_IN_DAY = date(2026, 4, 7)  # a Tuesday


@pytest.fixture
def one_booked(topic, make_clerk):
    """Two walk-ins (one answered after 20 s, one abandoned after 2 min) and one booked
    appointment answered after 5 s, all served by Anna."""
    anna = make_clerk("anna", [topic])
    make(topic, "09:00:00", waited=20, handled=300, clerk=anna, rating=4, day=WALK_IN_DAY)
    make(topic, "09:30:00", abandoned_after=120, day=WALK_IN_DAY)
    make(
        topic, "10:00:00", waited=5, handled=600, clerk=anna, rating=5, day=WALK_IN_DAY, booked=True
    )
    return anna


def test_walk_ins_and_booked_appointments_side_by_side(one_booked):
    rows = stats.by_booking(Filters(WALK_IN_DAY, WALK_IN_DAY))
    assert [row["booked"] for row in rows] == [False, True]
    walk_in, booked = rows
    assert (walk_in["requested"], walk_in["answered"], walk_in["abandoned"]) == (2, 1, 1)
    assert (walk_in["asa"], walk_in["median_wait"], walk_in["p90_wait"]) == (20, 20, 20)
    assert walk_in["service_level"] == pytest.approx(0.5)  # 20 s of 2 decided
    assert walk_in["abandonment_rate"] == pytest.approx(0.5)
    assert (walk_in["aht"], walk_in["satisfaction"]) == (300, 4)
    assert (booked["requested"], booked["answered"], booked["abandoned"]) == (1, 1, 0)
    assert (booked["asa"], booked["median_wait"], booked["p90_wait"]) == (5, 5, 5)
    assert (booked["service_level"], booked["abandonment_rate"]) == (1, 0)
    assert (booked["aht"], booked["satisfaction"]) == (600, 5)
    total = stats.summary(Filters(WALK_IN_DAY, WALK_IN_DAY))
    assert (total["requested"], total["median_wait"]) == (3, pytest.approx(12.5))


def test_filter_by_walk_in_or_booked(one_booked):
    booked = Filters(WALK_IN_DAY, WALK_IN_DAY, booking="booked")
    walk_in = Filters(WALK_IN_DAY, WALK_IN_DAY, booking="walk_in")
    assert stats.summary(booked)["requested"] == 1
    assert stats.summary(booked)["p90_wait"] == 5
    assert stats.summary(walk_in)["requested"] == 2
    assert stats.summary(walk_in)["p90_wait"] == 20
    assert [row["booked"] for row in stats.by_booking(booked)] == [True]
    [anna] = clerks.by_clerk(booked)
    assert anna["busy_seconds"] == pytest.approx(600)  # only the appointment's conversation
    [anna] = clerks.by_clerk(walk_in)
    assert anna["busy_seconds"] == pytest.approx(300)
