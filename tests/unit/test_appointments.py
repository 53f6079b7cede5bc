"""Appointments: slots from availability, booking, cancel, reschedule, reminders, no-shows,
joining ahead of walk-ins."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.core import mail
from icalendar import Calendar

from consult.appointments import booking, slots
from consult.appointments.models import Appointment
from consult.catalogue.holidays import public_holidays
from consult.catalogue.models import Closure
from consult.consultations.models import Consultation
from consult.errors import DomainError
from consult.queue import lifecycle, routing, selectors
from consult.staff.models import StaffProfile
from tests.appointment_helpers import available, book, local
from tests.queue_helpers import left_waiting

pytestmark = pytest.mark.django_db

MONDAY = 0


def starts(slot_list):
    return [s.local_start.strftime("%H:%M") for s in slot_list]


# --- Slots ---------------------------------------------------------------------------------


def test_a_window_is_cut_into_slots_of_the_topics_length(topic, anna, day):
    assert starts(slots.slots_on(topic=topic, day=day)) == ["09:00", "09:15", "09:30", "09:45"]
    topic.appointment_minutes = 20
    topic.save()
    assert starts(slots.slots_on(topic=topic, day=day)) == ["09:00", "09:20", "09:40"]
    assert slots.slots_on(topic=topic, day=day + timedelta(days=1)) == []


def test_no_slot_on_a_public_holiday_or_a_closure_of_the_topic(topic, other_topic, anna, day):
    """/termin/hundesteuer/?day=2026-12-25 offered 12 slots although the closure existed."""
    week = day + timedelta(days=7)
    Closure.objects.create(date=day, reason="Pfingstmontag")  # every topic
    Closure.objects.create(date=week, reason="Betriebsausflug", topic=topic)
    Closure.objects.create(date=week + timedelta(days=7), reason="Umzug", topic=other_topic)
    assert slots.slots_on(topic=topic, day=day) == []
    assert slots.slots_on(topic=topic, day=week) == []
    assert len(slots.slots_on(topic=topic, day=week + timedelta(days=7))) == 4  # not ours
    assert day not in slots.bookable_days(topic=topic) and week not in slots.bookable_days(
        topic=topic
    )
    with pytest.raises(DomainError):
        book(topic, local(day, "09:00"))


@pytest.mark.parametrize(
    ("state", "own", "not_ours"),
    [
        ("BY", date(2027, 5, 27), date(2027, 3, 8)),  # Fronleichnam; Berlin's Frauentag
        ("BE", date(2027, 3, 8), date(2027, 5, 27)),
    ],
)
def test_no_slot_on_any_public_holiday_of_the_state_across_a_year(
    topic, make_clerk, settings, state, own, not_ours
):
    settings.PUBLIC_HOLIDAYS_STATE = state
    settings.APPOINTMENT_BOOKING_DAYS = 500
    clerk = make_clerk("anna", [topic])
    for weekday in range(7):
        available(clerk, weekday, "09:00", "10:00")
    now = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
    year = slots.free_slots(topic=topic, first=date(2027, 1, 1), last=date(2027, 12, 31), now=now)
    days_with_slots = {s.local_start.date() for s in year}
    holidays = set(public_holidays(date(2027, 1, 1), date(2027, 12, 31)))
    assert len(holidays) >= 10 and own in holidays and not_ours not in holidays
    assert not holidays & days_with_slots
    assert len(days_with_slots) == 365 - len(holidays)  # every other day has its slots
    assert not_ours in days_with_slots


def test_a_booked_slot_is_gone_while_another_clerk_keeps_it_free(topic, anna, make_clerk, day):
    ben = make_clerk("ben", [topic])
    available(ben, MONDAY, "09:00", "09:30")
    book(topic, local(day, "09:00"))
    free = {
        s.local_start.strftime("%H:%M"): len(s.clerks) for s in slots.slots_on(topic=topic, day=day)
    }
    assert free == {"09:00": 1, "09:15": 2, "09:30": 1, "09:45": 1}
    book(topic, local(day, "09:00"))
    assert "09:00" not in starts(slots.slots_on(topic=topic, day=day))


def test_an_appointment_holds_its_clerk_for_its_whole_length(topic, other_topic, anna, day):
    """A 30-minute appointment of another topic blocks two 15-minute slots of this one."""
    anna.staff_profile.topics.add(other_topic)
    other_topic.appointment_minutes = 30
    other_topic.save()
    book(other_topic, local(day, "09:00"))
    assert starts(slots.slots_on(topic=topic, day=day)) == ["09:30", "09:45"]


def test_slots_on_the_day_clocks_go_forward(topic, anna):
    """29 March 2026: 02:00 CET becomes 03:00 CEST. Wall-clock windows stay at their local
    times; a window across the change has the real (shorter) length."""
    dst_day, week_before = date(2026, 3, 29), date(2026, 3, 22)
    sunday = dst_day.weekday()
    available(anna, sunday, "09:00", "10:00")
    available(anna, sunday, "01:00", "04:00")
    now = datetime(2026, 3, 15, tzinfo=UTC)
    on_dst = slots.slots_on(topic=topic, day=dst_day, now=now)
    before = slots.slots_on(topic=topic, day=week_before, now=now)
    assert starts(on_dst) == [
        "01:00", "01:15", "01:30", "01:45",  # 00:00-01:00 UTC
        "03:00", "03:15", "03:30", "03:45",  # 01:00-02:00 UTC
        "09:00", "09:15", "09:30", "09:45",
    ]  # fmt: skip
    assert len(before) == 16  # three full hours of night window plus the morning
    nine = next(s for s in on_dst if s.local_start.hour == 9)
    assert nine.starts_at == datetime(2026, 3, 29, 7, 0, tzinfo=UTC)  # CEST, UTC+2
    assert next(s for s in before if s.local_start.hour == 9).starts_at.hour == 8  # CET


def test_no_slots_in_the_past_or_beyond_the_horizon(topic, anna, day, settings):
    after_first = local(day, "09:00") - timedelta(minutes=settings.APPOINTMENT_LEAD_MINUTES - 1)
    assert starts(slots.slots_on(topic=topic, day=day, now=after_first)) == [
        "09:15",
        "09:30",
        "09:45",
    ]
    settings.APPOINTMENT_BOOKING_DAYS = 1
    assert slots.bookable_days(topic=topic) == {}


# --- Booking -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("contact", "code"),
    [
        ({"name": "  "}, "invalid_name"),
        ({"name": "x" * 121}, "invalid_name"),
        ({"email": "erika@"}, "invalid_email"),
        ({"phone": "call me"}, "invalid_phone"),
    ],
)
def test_invalid_contact_details_book_nothing(topic, anna, day, contact, code):
    with pytest.raises(DomainError) as error:
        book(topic, local(day, "09:00"), **contact)
    assert error.value.code == code
    assert not Appointment.objects.exists()


@pytest.mark.parametrize("when", ["09:05", "10:00", "08:45"])
def test_a_time_that_is_no_slot_cannot_be_booked(topic, anna, day, when):
    with pytest.raises(DomainError) as error:
        book(topic, local(day, when))
    assert error.value.code == "slot_taken"
    assert not Appointment.objects.exists()


def test_booking_sends_a_confirmation_with_link_and_calendar_file(
    topic, anna, day, django_capture_on_commit_callbacks, settings
):
    with django_capture_on_commit_callbacks(execute=True):
        appointment = book(topic, local(day, "09:15"), phone="+49 30 123456")
    assert appointment.clerk == anna.staff_profile
    assert appointment.ends_at - appointment.starts_at == timedelta(minutes=15)
    (message,) = mail.outbox
    assert message.to == ["erika@example.org"]
    assert message.subject.startswith("Termin bestätigt: Hundesteuer")
    assert f"{settings.SITE_URL}/termin/t/{appointment.token}/" in message.body
    assert "09:15" in message.body
    name, content, mimetype = message.attachments[0]
    assert (name, mimetype) == ("termin.ics", "text/calendar")
    event = Calendar.from_ical(content).walk("VEVENT")[0]
    assert event.decoded("dtstart") == local(day, "09:15")
    assert event.decoded("dtend") == local(day, "09:30")


def test_unknown_or_inactive_topic(topic, anna, day):
    topic.active = False
    topic.save()
    with pytest.raises(DomainError) as error:
        book(topic, local(day, "09:00"))
    assert error.value.code == "unknown_topic"


# --- Cancel and reschedule -----------------------------------------------------------------


def test_cancel_frees_the_slot_and_mails_a_cancelling_calendar_file(
    topic, anna, day, django_capture_on_commit_callbacks
):
    appointment = book(topic, local(day, "09:00"))
    with django_capture_on_commit_callbacks(execute=True):
        booking.cancel_appointment(token=appointment.token)
    assert "09:00" in starts(slots.slots_on(topic=topic, day=day))
    (message,) = mail.outbox
    assert message.subject.startswith("Termin abgesagt")
    calendar = Calendar.from_ical(message.attachments[0][1])
    assert calendar["method"] == "CANCEL"
    with pytest.raises(DomainError) as error:
        booking.cancel_appointment(token=appointment.token)
    assert error.value.code == "not_changeable"


def test_reschedule_moves_the_appointment_and_frees_the_old_time(
    topic, anna, day, django_capture_on_commit_callbacks
):
    appointment = book(topic, local(day, "09:00"))
    with django_capture_on_commit_callbacks(execute=True):
        moved = booking.reschedule_appointment(
            token=appointment.token, starts_at=local(day, "09:45")
        )
    assert (moved.starts_at, moved.sequence, moved.reminded_at) == (local(day, "09:45"), 1, None)
    assert starts(slots.slots_on(topic=topic, day=day)) == ["09:00", "09:15", "09:30"]
    event = Calendar.from_ical(mail.outbox[0].attachments[0][1]).walk("VEVENT")[0]
    assert (event.decoded("dtstart"), event["sequence"]) == (local(day, "09:45"), 1)


def test_reschedule_to_a_taken_time_changes_nothing(topic, anna, day):
    first = book(topic, local(day, "09:00"))
    book(topic, local(day, "09:30"))
    with pytest.raises(DomainError) as error:
        booking.reschedule_appointment(token=first.token, starts_at=local(day, "09:30"))
    assert error.value.code == "slot_taken"
    first.refresh_from_db()
    assert first.starts_at == local(day, "09:00")


def test_is_changeable_only_while_booked_and_not_started(topic, anna, day):
    appointment = book(topic, local(day, "09:00"))
    start = appointment.starts_at
    assert slots.is_changeable(appointment, start - timedelta(seconds=1))
    assert not slots.is_changeable(appointment, start)
    assert not slots.is_changeable(appointment, start + timedelta(minutes=1))
    for state in ("joined", "cancelled", "no_show"):
        appointment.state = state
        assert not slots.is_changeable(appointment, start - timedelta(days=1)), state


def test_the_writers_ask_is_changeable(topic, anna, day):
    """After the start neither cancel nor reschedule goes through (they did before: cancel
    looked only at the state), and reschedule says so before looking for a free clerk."""
    appointment = book(topic, local(day, "09:00"))
    started = appointment.starts_at + timedelta(minutes=1)
    with pytest.raises(DomainError) as cancelled:
        booking.cancel_appointment(token=appointment.token, now=started)
    assert cancelled.value.code == "not_changeable"
    with pytest.raises(DomainError) as moved:
        booking.reschedule_appointment(
            token=appointment.token, starts_at=local(day, "09:45"), now=started
        )
    assert moved.value.code == "not_changeable"
    appointment.refresh_from_db()
    assert (appointment.state, appointment.starts_at) == ("booked", local(day, "09:00"))


def test_is_missed_once_the_join_period_is_over(topic, anna, day, settings):
    appointment = book(topic, local(day, "09:00"))
    until = slots.joinable_until(appointment)
    assert not slots.is_missed(appointment, until - timedelta(seconds=1))
    assert slots.is_missed(appointment, until)
    appointment.state = "no_show"
    assert slots.is_missed(appointment, appointment.starts_at)


# --- Reminders and no-shows ----------------------------------------------------------------


def test_reminders_go_out_once(topic, anna, day):
    appointment = book(topic, local(day, "09:00"))
    start = appointment.starts_at
    assert booking.send_reminders(now=start - timedelta(hours=25)) == 0
    assert booking.send_reminders(now=start - timedelta(hours=23)) == 1
    assert booking.send_reminders(now=start - timedelta(hours=22)) == 0
    (message,) = mail.outbox
    assert message.subject.startswith("Erinnerung: Hundesteuer")
    appointment.refresh_from_db()
    assert appointment.reminded_at == start - timedelta(hours=23)


def test_no_reminder_for_a_booking_made_within_the_reminder_period(topic, anna, day):
    start = local(day, "09:00")
    booking.book_appointment(
        topic_slug=topic.slug,
        starts_at=start,
        name="Erika",
        email="erika@example.org",
        now=start - timedelta(hours=3),
    )
    assert booking.send_reminders(now=start - timedelta(hours=2)) == 0


def test_a_no_show_releases_the_slot(topic, anna, day, settings):
    appointment = book(topic, local(day, "09:00"))
    deadline = appointment.starts_at + timedelta(minutes=settings.APPOINTMENT_NO_SHOW_MINUTES)
    assert booking.release_no_shows(now=deadline - timedelta(seconds=1)) == 0
    assert booking.release_no_shows(now=deadline) == 1
    appointment.refresh_from_db()
    assert appointment.state == Appointment.State.NO_SHOW
    with pytest.raises(DomainError) as error:
        booking.join_appointment(token=appointment.token, now=deadline)
    assert error.value.code == "not_joinable"


# --- Joining -------------------------------------------------------------------------------


def test_joining_queues_ahead_of_walk_ins(topic, anna, day, settings):
    appointment = book(topic, local(day, "09:00"))
    early = appointment.starts_at - timedelta(minutes=settings.APPOINTMENT_JOIN_EARLY_MINUTES)
    # Walk-ins still waiting while nobody is there (a booked citizen joins regardless).
    walk_ins = [left_waiting(topic, now=early - timedelta(minutes=m)) for m in (30, 20)]
    with pytest.raises(DomainError) as error:
        booking.join_appointment(token=appointment.token, now=early - timedelta(seconds=1))
    assert error.value.code == "too_early"
    joined = booking.join_appointment(token=appointment.token, now=early)
    assert joined.priority == Consultation.Priority.APPOINTMENT > Consultation.Priority.REQUEUED
    assert selectors.queue_position(joined) == {"position": 1, "waiting": 3}
    assert selectors.queue_position(walk_ins[0]) == {"position": 2, "waiting": 3}
    appointment.refresh_from_db()
    assert (appointment.state, appointment.consultation) == (Appointment.State.JOINED, joined)
    assert Consultation.objects.filter(appointment__isnull=False).get() == joined
    # The statistics count it as booked, the walk-ins as walk-ins.
    assert joined.booked and not any(c.booked for c in walk_ins)
    # Joining again (a reload) gives the same consultation.
    assert booking.join_appointment(token=appointment.token, now=early) == joined
    # The clerk's console rings for the appointment first.
    StaffProfile.objects.update(last_seen_at=early)
    routing.dispatch(now=early)
    joined.refresh_from_db()
    assert joined.offered_to_id == anna.pk


def _join_with_colleague(topic, anna, day, settings, make_clerk, *, anna_status="available"):
    """Anna's appointment is joined while Ben, idle far longer, serves the topic too."""
    appointment = book(topic, local(day, "09:00"))
    early = appointment.starts_at - timedelta(minutes=settings.APPOINTMENT_JOIN_EARLY_MINUTES)
    ben = make_clerk("ben", [topic])
    StaffProfile.objects.update(last_seen_at=early)
    StaffProfile.objects.filter(user=ben).update(idle_since=early - timedelta(hours=2))
    StaffProfile.objects.filter(user=anna).update(idle_since=early, status=anna_status)
    joined = booking.join_appointment(token=appointment.token, now=early)
    return joined, ben, early


def test_the_booked_clerk_is_offered_the_appointment_before_a_clerk_idle_longer(
    topic, anna, day, settings, make_clerk
):
    joined, _ben, _early = _join_with_colleague(topic, anna, day, settings, make_clerk)
    assert joined.preferred_clerk_id == anna.pk
    assert joined.offered_to_id == anna.pk


def test_after_the_booked_clerks_offer_times_out_a_colleague_gets_it(
    topic, anna, day, settings, make_clerk
):
    from consult.queue import sweep

    joined, ben, early = _join_with_colleague(topic, anna, day, settings, make_clerk)
    later = early + timedelta(seconds=topic.offer_timeout_seconds)
    StaffProfile.objects.update(last_seen_at=later)
    sweep.sweep(now=later)
    joined.refresh_from_db()
    assert joined.offered_to_id == ben.pk
    # Walk-ins are not held for anybody: Anna, free again, gets the next one.
    walk_in = lifecycle.start_consultation(topic_slug=topic.slug, now=later)
    walk_in.refresh_from_db()
    assert walk_in.offered_to_id == anna.pk


def test_when_the_booked_clerk_is_not_signed_in_a_colleague_gets_it_at_once(
    topic, anna, day, settings, make_clerk
):
    joined, ben, _early = _join_with_colleague(
        topic, anna, day, settings, make_clerk, anna_status="offline"
    )
    assert joined.offered_to_id == ben.pk


def test_a_booked_clerk_gets_their_own_appointment_before_an_earlier_one_of_a_colleague(
    topic, anna, day, settings, make_clerk
):
    """Two appointments waiting, Ben's joined first; Ben is away. When Anna and Clara become
    free, Anna (idle longer) is offered her own appointment, not Ben's: Clara gets that."""
    ben = make_clerk("ben", [topic])
    available(ben, MONDAY, "09:00", "10:00")
    first = book(topic, local(day, "09:00"))
    second = book(topic, local(day, "09:00"))
    bens, annas = sorted([first, second], key=lambda a: a.clerk.user_id != ben.pk)
    assert (bens.clerk.user, annas.clerk.user) == (ben, anna)
    early = first.starts_at - timedelta(minutes=settings.APPOINTMENT_JOIN_EARLY_MINUTES)
    clara = make_clerk("clara", [topic])
    StaffProfile.objects.update(last_seen_at=early, idle_since=early, status="away")
    joined_bens = booking.join_appointment(token=bens.token, now=early)
    joined_annas = booking.join_appointment(token=annas.token, now=early + timedelta(seconds=1))
    StaffProfile.objects.filter(user__in=[anna, clara]).update(status="available")
    StaffProfile.objects.filter(user=anna).update(idle_since=early - timedelta(hours=1))
    routing.dispatch(now=early + timedelta(seconds=2))
    joined_bens.refresh_from_db()
    joined_annas.refresh_from_db()
    assert joined_annas.offered_to_id == anna.pk
    assert joined_bens.offered_to_id == clara.pk


def test_the_reminder_command_sends_and_releases(topic, anna, day, settings):
    from io import StringIO

    from django.core.management import call_command

    book(topic, local(day, "09:00"))
    out = StringIO()
    call_command("send_reminders", stdout=out)
    assert out.getvalue().strip() == "Reminders sent: 0. No-shows released: 0."


def test_a_due_no_show_is_released_when_its_time_is_booked_again(topic, anna, day, settings):
    """A 30-minute appointment missed at 09:00: from 09:10 its second half is free and can
    be booked at 09:15 by whoever comes next, although no sweep has run (the exclusion
    constraint would refuse it while the missed one still counted)."""
    topic.appointment_minutes = 30
    topic.save()
    missed = book(topic, local(day, "09:00"))
    settings.APPOINTMENT_LEAD_MINUTES = 0
    late = local(day, "09:00") + timedelta(minutes=settings.APPOINTMENT_NO_SHOW_MINUTES)
    topic.appointment_minutes = 15
    topic.save()
    assert starts(slots.slots_on(topic=topic, day=day, now=late)) == ["09:15", "09:30", "09:45"]
    booking.book_appointment(
        topic_slug=topic.slug,
        starts_at=local(day, "09:15"),
        name="Next",
        email="next@example.org",
        now=late,
    )
    missed.refresh_from_db()
    assert missed.state == Appointment.State.NO_SHOW


def test_a_transfer_hands_the_appointment_off_for_good(topic, anna, day, settings, make_clerk):
    """The booked clerk who transferred it to a topic they also serve is not rung first."""
    from consult.queue import transfers

    joined, ben, early = _join_with_colleague(topic, anna, day, settings, make_clerk)
    routing.accept(consultation_id=joined.pk, clerk=anna, now=early)
    transfers.transfer_to_topic(
        consultation_id=joined.pk, clerk=anna, topic_slug=topic.slug, now=early
    )
    joined.refresh_from_db()
    assert joined.preferred_clerk_id is None
    assert joined.offered_to_id == ben.pk  # normal routing: Ben has been idle longer


def test_the_concern_of_a_booking_is_checked_kept_and_goes_into_the_consultation(
    topic, anna, day, settings, django_capture_on_commit_callbacks
):
    with pytest.raises(DomainError) as error:
        book(topic, local(day, "09:00"), concern="x" * 201)
    assert error.value.code == "concern_too_long"
    with django_capture_on_commit_callbacks(execute=True):
        appointment = book(topic, local(day, "09:00"), concern="Hund\r\nverstorben")
    assert appointment.concern == "Hund verstorben"
    (message,) = mail.outbox
    assert "verstorben" not in message.body + message.subject
    assert "verstorben" not in str(message.attachments[0][1])
    early = appointment.starts_at - timedelta(minutes=settings.APPOINTMENT_JOIN_EARLY_MINUTES)
    joined = booking.join_appointment(token=appointment.token, now=early)
    assert joined.concern == "Hund verstorben"
