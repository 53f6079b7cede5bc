"""The admin changes life-cycle state only through the domain functions."""

import pytest
from django.db import IntegrityError, transaction

from consult.catalogue.models import CallbackRequest
from consult.consultations.models import Consultation, Message
from consult.queue import lifecycle, routing
from consult.staff.models import StaffProfile, StatusPeriod

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager(client, django_user_model):
    user = django_user_model.objects.create_superuser("maria", "maria@example.org", "pw")
    client.force_login(user)
    return user


def _profile_form(profile: StaffProfile, **changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "user": profile.user_id,
        "display_name": profile.display_name,
        "topics": [t.pk for t in profile.topics.all()],
        "status": profile.status,
        "capacity": profile.capacity,
        "availability-TOTAL_FORMS": 0,
        "availability-INITIAL_FORMS": 0,
    }
    data.update(changes)
    return data


def test_a_status_changed_in_the_admin_records_a_period_and_hands_back_conversations(
    client, manager, topic, make_clerk
):
    anna = make_clerk("anna", [topic])
    consultation = lifecycle.start_consultation(topic_slug=topic.slug)
    routing.accept(consultation_id=consultation.pk, clerk=anna)
    profile = StaffProfile.objects.get(user=anna)
    periods_before = StatusPeriod.objects.filter(clerk=anna).count()

    response = client.post(
        f"/admin/consult/staffprofile/{profile.pk}/change/",
        _profile_form(profile, status="offline"),
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    profile.refresh_from_db()
    assert profile.status == "offline"
    assert StatusPeriod.objects.filter(clerk=anna).count() == periods_before + 1
    assert StatusPeriod.objects.filter(clerk=anna, status="offline", ended_at=None).exists()
    consultation.refresh_from_db()
    assert consultation.state == Consultation.State.WAITING  # back to the queue, as offline does
    assert consultation.messages.last().kind == Message.Kind.REQUEUED


def test_the_admin_status_actions_go_through_the_domain(client, manager, topic, make_clerk):
    anna = make_clerk("anna", [topic], status="offline")
    profile = StaffProfile.objects.get(user=anna)
    response = client.post(
        "/admin/consult/staffprofile/",
        {"action": "set_away", "_selected_action": [profile.pk]},
    )
    assert response.status_code == 302
    profile.refresh_from_db()
    assert profile.status == "away"
    assert StatusPeriod.objects.filter(clerk=anna, status="away", ended_at=None).exists()


@pytest.fixture
def request_open(topic):
    return CallbackRequest.objects.create(topic=topic, question="Hund?", email="a@example.org")


def test_the_admin_cannot_set_a_callback_request_done_by_editing(client, manager, request_open):
    response = client.post(
        f"/admin/consult/callbackrequest/{request_open.pk}/change/",
        {"state": "done", "note": "erledigt", "done_by": manager.pk},
    )
    assert response.status_code == 302
    request_open.refresh_from_db()
    assert request_open.state == CallbackRequest.State.OPEN  # read-only: nothing changed
    assert request_open.done_at is None


def test_the_admin_action_completes_a_request_with_its_time(
    client, topic, make_clerk, request_open
):
    anna = make_clerk("anna", [topic])
    anna.is_staff = anna.is_superuser = True
    anna.save()
    client.force_login(anna)
    response = client.post(
        "/admin/consult/callbackrequest/",
        {"action": "mark_done", "_selected_action": [request_open.pk]},
    )
    assert response.status_code == 302
    request_open.refresh_from_db()
    assert request_open.state == CallbackRequest.State.DONE
    assert request_open.done_at is not None
    assert request_open.done_by == anna


def test_the_admin_action_refuses_someone_who_does_not_serve_the_topic(
    client, manager, request_open
):
    client.post(
        "/admin/consult/callbackrequest/",
        {"action": "mark_done", "_selected_action": [request_open.pk]},
    )
    request_open.refresh_from_db()
    assert request_open.state == CallbackRequest.State.OPEN


def test_the_database_refuses_a_done_request_without_its_time(request_open):
    with pytest.raises(IntegrityError), transaction.atomic():
        CallbackRequest.objects.filter(pk=request_open.pk).update(state="done")


def test_the_outcome_of_a_waiting_consultation_cannot_be_set_in_the_admin(
    client, manager, topic, on_duty
):
    consultation = lifecycle.start_consultation(topic_slug=topic.slug)
    response = client.post(
        f"/admin/consult/consultation/{consultation.pk}/change/",
        {"outcome": "resolved", "messages-TOTAL_FORMS": 0, "messages-INITIAL_FORMS": 0},
    )
    assert response.status_code == 302
    consultation.refresh_from_db()
    assert consultation.outcome == ""
    assert consultation.state == Consultation.State.WAITING
