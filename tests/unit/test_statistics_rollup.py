"""The roll-up gives exactly the figures of the raw path (consult/statistics/rollup.py).

Each test computes every figure with the closed days read from the roll-up, then with the
roll-up emptied (everything raw), and compares; floating-point sums may differ in the last
bits because they are added in another order, nothing more.
"""

import math
from datetime import date, datetime, time, timedelta
from typing import Any

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from consult.clock import LOCAL as BERLIN
from consult.consultations.models import Consultation
from consult.queue import lifecycle, routing, transfers
from consult.staff.models import StatusPeriod
from consult.statistics import clerks, feedback, percentiles, plan, rollup
from consult.statistics import figures as stats
from consult.statistics.filters import Filters
from consult.statistics.history import generate_history
from consult.statistics.models import RollupBusy, RollupDay, RollupFigures, RollupHour, RollupWaits
from tests.unit.test_statistics import DAY, make

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def yesterday_is_closed(monkeypatch):
    """Yesterday counts as closed even in the first minutes after midnight."""
    monkeypatch.setattr(rollup, "SETTLE", timedelta(0))


def figures(filters: Filters) -> dict[str, Any]:
    """Everything the dashboard shows (one plan for all of it, as the page computes it)."""
    return stats.dashboard(filters)


def forget_rollup() -> None:
    for model in (RollupFigures, RollupHour, RollupWaits, RollupBusy, RollupDay):
        model.objects.all().delete()


def same(rolled: Any, raw: Any, where: str = "") -> None:
    if isinstance(raw, dict):
        assert isinstance(rolled, dict) and set(rolled) == set(raw), where
        for name in raw:
            same(rolled[name], raw[name], f"{where}.{name}")
    elif isinstance(raw, list):
        assert isinstance(rolled, list) and len(rolled) == len(raw), where
        for number, (mine, theirs) in enumerate(zip(rolled, raw, strict=True)):
            same(mine, theirs, f"{where}[{number}]")
    elif isinstance(raw, float) and raw is not None:
        assert rolled == pytest.approx(raw, rel=1e-9, abs=1e-9), where
    else:
        assert rolled == raw, where


def assert_rollup_matches_raw(*periods: Filters, rebuild: bool = True) -> None:
    rolled = [figures(filters) for filters in periods]
    kept = list(RollupDay.objects.values_list("day", flat=True))
    forget_rollup()
    same(rolled, [figures(filters) for filters in periods])
    if kept and rebuild:
        rollup.build(first=min(kept))


@pytest.fixture
def hand_built(topic, other_topic, make_clerk):
    """The dataset of tests/unit/test_statistics.py, plus a parallel chat and the DST days."""
    anna = make_clerk("anna", [topic, other_topic])
    make(topic, "09:00:00", waited=20, handled=300, clerk=anna, rating=5)
    make(topic, "09:10:00", waited=60, handled=600, clerk=anna, channel="video", rating=3)
    make(topic, "09:15:00", waited=0, handled=600, clerk=anna)
    make(topic, "10:00:00", abandoned_after=3)
    make(topic, "10:05:00", abandoned_after=120)
    make(other_topic, "11:00:00", waited=10, handled=120, clerk=anna)
    make(topic, "11:30:00")
    StatusPeriod.objects.create(
        clerk=anna,
        status="available",
        started_at=datetime(2026, 3, 10, 9, tzinfo=BERLIN),
        ended_at=datetime(2026, 3, 10, 12, tzinfo=BERLIN),
    )
    for day, clock in [
        (date(2026, 3, 28), "23:30:00"),
        (date(2026, 3, 29), "00:30:00"),
        (date(2026, 3, 29), "03:30:00"),
        (date(2026, 3, 29), "23:30:00"),
        (date(2026, 3, 30), "00:10:00"),
    ]:
        make(topic, clock, waited=5, handled=3600, clerk=anna, day=day)  # across midnight
    make(topic, "12:00:00", waited=7, handled=900, clerk=anna, day=date(2026, 3, 29), booked=True)
    make(other_topic, "13:00:00", abandoned_after=60, day=date(2026, 3, 29), booked=True)
    return anna


def test_the_hand_built_days_are_read_from_the_rollup(hand_built):
    assert rollup.build() == (timezone.localdate() - DAY).days
    whole = Filters(start=DAY, end=date(2026, 3, 31))
    current = plan.plan(whole)
    assert current.rolled is not None and current.raw_runs == []
    summary = stats.summary(Filters(start=DAY, end=DAY))
    # The hand-computed figures of test_statistics.py (with one more quick answer).
    assert (summary["requested"], summary["answered"], summary["short_abandoned"]) == (6, 4, 1)
    assert summary["median_wait"] == pytest.approx(15)  # waits 0, 10, 20, 60
    assert summary["p90_wait"] == pytest.approx(48)  # 20 + 0.7 * (60 - 20)
    [anna] = clerks.by_clerk(Filters(start=DAY, end=DAY))
    assert anna["busy_seconds"] == pytest.approx(300 + 14 * 60 + 120)


@pytest.mark.parametrize(
    "filters",
    [
        Filters(start=DAY, end=DAY),
        Filters(start=date(2026, 3, 1), end=date(2026, 4, 30)),
        Filters(start=date(2026, 3, 28), end=date(2026, 3, 30)),
        Filters(start=date(2026, 3, 29), end=date(2026, 3, 29)),
        Filters(start=DAY, end=DAY, channel="video"),
        Filters(start=date(2026, 3, 1), end=date(2026, 3, 31), booking="booked"),
        Filters(start=date(2026, 3, 28), end=date(2026, 3, 30), booking="walk_in"),
        Filters(start=DAY, end=DAY, service_seconds=60),  # another threshold than rolled
        Filters(start=DAY, end=DAY, short_abandon_seconds=2),  # ditto: read raw
        Filters(start=date(2026, 1, 1), end=date(2026, 1, 7)),  # empty
    ],
)
def test_rollup_equals_raw_on_the_hand_built_data(hand_built, filters):
    rollup.build()
    assert_rollup_matches_raw(filters, rebuild=False)


def test_located_percentiles_per_booking(hand_built, monkeypatch):
    """The percentiles located through the roll-up's histograms (as for long periods) equal
    percentile_cont's, per walk-in and booked too."""
    rollup.build()
    monkeypatch.setattr(percentiles, "LOCATE_FROM", 1)
    march = Filters(start=date(2026, 3, 1), end=date(2026, 3, 31))
    rows = stats.by_booking(march)
    assert [(row["booked"], row["median_wait"]) for row in rows] == [(False, 5), (True, 7)]
    assert_rollup_matches_raw(
        march,
        Filters(start=march.start, end=march.end, booking="booked", service_seconds=6),
        rebuild=False,
    )


def test_filtered_by_topic(hand_built, topic, other_topic):
    rollup.build()
    assert_rollup_matches_raw(
        *(
            Filters(start=date(2026, 3, 1), end=date(2026, 3, 31), topic_id=chosen.pk)
            for chosen in (topic, other_topic)
        ),
        rebuild=False,
    )


def test_a_late_rating_changes_its_past_day(ended_days_ago):
    consultation = ended_days_ago
    rollup.build()
    day = timezone.localtime(consultation.created_at, BERLIN).date()
    assert RollupDay.objects.filter(day=day).exists()
    filters = Filters(start=day, end=timezone.localdate())
    before = stats.summary(filters)
    feedback.rate_consultation(public_token=consultation.public_token, rating=2)
    assert not RollupDay.objects.filter(day=day).exists()  # read raw until rebuilt
    after = stats.summary(filters)
    assert (before["ratings"], after["ratings"]) == (0, 1)
    assert after["satisfaction"] == 2
    assert_rollup_matches_raw(filters)
    rollup.build()
    assert stats.summary(filters)["satisfaction"] == 2


@pytest.fixture
def ended_days_ago(topic, make_clerk):
    anna = make_clerk("anna", [topic])
    created = timezone.now() - timedelta(days=3)
    return Consultation.objects.create(
        topic=topic,
        created_at=created,
        queued_at=created,
        state="ended",
        clerk=anna,
        accepted_at=created + timedelta(seconds=40),
        first_accepted_at=created + timedelta(seconds=40),
        ended_at=created + timedelta(minutes=10),
    )


def test_a_requeue_after_midnight_changes_the_day_before(topic, make_clerk):
    anna = make_clerk("anna", [topic])
    ben = make_clerk("ben", [topic])
    midnight = datetime.combine(timezone.localdate(), time.min, tzinfo=BERLIN)
    created = midnight - timedelta(minutes=30)  # requested yesterday, still active today
    consultation = Consultation.objects.create(
        topic=topic,
        created_at=created,
        queued_at=created,
        state="active",
        clerk=anna,
        accepted_at=created + timedelta(seconds=12),
        first_accepted_at=created + timedelta(seconds=12),
    )
    rollup.build()
    yesterday = timezone.localdate() - timedelta(days=1)
    filters = Filters(start=yesterday - timedelta(days=1), end=timezone.localdate())
    assert RollupDay.objects.filter(day=yesterday).exists()
    assert stats.summary(Filters(start=yesterday, end=yesterday))["ended"] == 0
    transfers.release_clerk(clerk_id=anna.pk)  # anna's console vanished: back to the queue
    assert not RollupDay.objects.filter(day=yesterday).exists()
    assert_rollup_matches_raw(filters)
    routing.accept(consultation_id=consultation.pk, clerk=ben)
    lifecycle.end_consultation(consultation_id=consultation.pk, clerk=ben, outcome="resolved")
    assert_rollup_matches_raw(filters)
    figures_yesterday = stats.summary(Filters(start=yesterday, end=yesterday))
    assert (figures_yesterday["ended"], figures_yesterday["max_wait"]) == (1, 12)
    [row] = clerks.by_clerk(filters)
    assert row["clerk_id"] == ben.pk  # the clerk who ended it, with the first wait kept


def test_the_command_and_the_generated_history_fill_the_rollup(topic, make_clerk):
    make_clerk("anna", [topic])
    today = timezone.localdate()
    generate_history(days=10, per_day=30, until=today)
    assert RollupDay.objects.filter(day__gte=today - timedelta(days=10)).count() == 10
    filters = Filters(start=today - timedelta(days=10), end=today)
    assert plan.plan(filters).raw_runs == [(today, today)]
    assert_rollup_matches_raw(filters)
    RollupDay.objects.filter(day=today - timedelta(days=3)).delete()
    call_command("rebuild_statistics", stdout=(out := _Output()))
    assert out.text.strip() == "1 days rolled up."
    assert RollupDay.objects.filter(day=today - timedelta(days=3)).exists()


class _Output:
    def __init__(self) -> None:
        self.text = ""

    def write(self, text: str) -> None:
        self.text += text

    def flush(self) -> None:
        pass


# --- Property: the roll-up equals the raw path on generated days ------------------------

WAITS = st.one_of(
    st.sampled_from([0.0, 1.0, 5.0, 10.0, 30.0, 36.0, 62.0, 3600.0]),  # bucket edges, SL
    st.floats(min_value=0, max_value=5000, allow_nan=False).map(lambda w: round(w, 6)),
)
CONSULTATION = st.fixed_dictionaries(
    {
        "days_ago": st.integers(min_value=0, max_value=4),
        "second": st.integers(min_value=0, max_value=86399),
        "topic": st.integers(min_value=0, max_value=1),
        "video": st.booleans(),
        "booked": st.booleans(),
        "kind": st.sampled_from(["ended", "ended", "abandoned", "active", "waiting"]),
        "wait": WAITS,
        "handle": st.floats(min_value=0, max_value=7200).map(lambda h: round(h, 3)),
        "clerk": st.integers(min_value=0, max_value=1),
        "rating": st.one_of(st.none(), st.integers(min_value=1, max_value=5)),
    }
)


@hypothesis_settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(rows=st.lists(CONSULTATION, max_size=25), service=st.sampled_from([30, 20, 62]))
def test_rollup_equals_raw_on_generated_days(rows, service, topic, other_topic, make_clerk):
    with transaction.atomic():
        clerks = [make_clerk("anna", [topic, other_topic]), make_clerk("ben", [topic])]
        now = timezone.now()
        for row in rows:
            _create(row, topics=[topic, other_topic], clerks=clerks, now=now)
        rollup.build()
        today = timezone.localdate()
        assert_rollup_matches_raw(
            Filters(start=today - timedelta(days=5), end=today, service_seconds=service),
            Filters(start=today - timedelta(days=2), end=today - timedelta(days=1)),
            Filters(start=today - timedelta(days=5), end=today, topic_id=topic.pk, channel="chat"),
            Filters(
                start=today - timedelta(days=4), end=today, booking="booked", service_seconds=20
            ),
            Filters(start=today - timedelta(days=3), end=today, booking="walk_in"),
            rebuild=False,
        )
        transaction.set_rollback(True)


def _create(row: dict[str, Any], *, topics: list[Any], clerks: list[Any], now: datetime) -> None:
    day = timezone.localdate() - timedelta(days=row["days_ago"])
    created = datetime.combine(day, time.min, tzinfo=BERLIN) + timedelta(seconds=row["second"])
    if created > now:
        created = now - timedelta(seconds=row["second"] % 600)
    consultation = Consultation(
        topic=topics[row["topic"]],
        channel="video" if row["video"] else "chat",
        booked=row["booked"],
        created_at=created,
        queued_at=created,
    )
    accepted = created + timedelta(seconds=row["wait"])
    ended = accepted + timedelta(seconds=row["handle"])
    if row["kind"] in {"ended", "active"} and accepted <= now:
        consultation.clerk = clerks[row["clerk"]]
        consultation.accepted_at = consultation.first_accepted_at = accepted
        consultation.state = "active"
        if row["kind"] == "ended" and ended <= now:
            consultation.state = "ended"
            consultation.ended_at = ended
            consultation.rating = row["rating"]
    elif row["kind"] == "abandoned":
        consultation.state = "abandoned"
        consultation.ended_at = min(now, created + timedelta(seconds=math.floor(row["wait"])))
    consultation.save()
