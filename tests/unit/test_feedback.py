"""The citizen rates a conversation once, after it took place."""

import re

import pytest

from consult.consultations.models import Consultation
from consult.errors import DomainError
from consult.queue import lifecycle, routing
from consult.statistics import feedback

pytestmark = pytest.mark.django_db


@pytest.fixture
def ended(chat):
    return lifecycle.end_consultation(consultation_id=chat.pk, clerk=chat.clerk, outcome="resolved")


def test_can_rate_once_after_a_conversation_that_took_place(topic, make_clerk):
    clerk = make_clerk("anna", [topic])
    consultation = lifecycle.start_consultation(topic_slug=topic.slug)
    assert not feedback.can_rate(consultation)  # waiting
    active = routing.accept(consultation_id=consultation.pk, clerk=clerk)
    assert not feedback.can_rate(active)
    ended = lifecycle.end_consultation(
        consultation_id=consultation.pk, clerk=clerk, outcome="resolved"
    )
    assert feedback.can_rate(ended)
    rated = feedback.rate_consultation(public_token=ended.public_token, rating=3)
    assert not feedback.can_rate(rated)
    left = lifecycle.start_consultation(topic_slug=topic.slug)
    lifecycle.leave_consultation(public_token=left.public_token)
    left.refresh_from_db()
    assert left.state == "abandoned" and not feedback.can_rate(left)


def test_the_room_offers_the_form_exactly_when_the_citizen_may_rate(client, topic, make_clerk):
    clerk = make_clerk("anna", [topic])
    consultation = lifecycle.start_consultation(topic_slug=topic.slug)
    routing.accept(consultation_id=consultation.pk, clerk=clerk)
    room = f"/c/{consultation.public_token}/"
    form = re.compile(r'<form id="feedback"[^>]*>')
    # Active: in the page for the script to show at the end, but hidden.
    assert "hidden" in form.search(client.get(room).content.decode()).group(0)
    lifecycle.end_consultation(consultation_id=consultation.pk, clerk=clerk, outcome="resolved")
    assert "hidden" not in form.search(client.get(room).content.decode()).group(0)
    client.post(f"{room}feedback/", {"rating": "4"})
    assert form.search(client.get(room).content.decode()) is None


def test_a_rating_is_stored_once(ended):
    rated = feedback.rate_consultation(public_token=ended.public_token, rating=4, comment=" gut ")
    assert (rated.rating, rated.rating_comment) == (4, "gut")
    assert rated.rated_at is not None
    with pytest.raises(DomainError) as error:
        feedback.rate_consultation(public_token=ended.public_token, rating=1)
    assert error.value.code == "already_rated"
    assert Consultation.objects.get(pk=ended.pk).rating == 4


@pytest.mark.parametrize("rating", [0, 6, -1])
def test_out_of_range_ratings_are_refused(ended, rating):
    with pytest.raises(DomainError):
        feedback.rate_consultation(public_token=ended.public_token, rating=rating)
    assert Consultation.objects.get(pk=ended.pk).rating is None


def test_only_conversations_that_took_place_can_be_rated(topic, on_duty):
    waiting = lifecycle.start_consultation(topic_slug=topic.slug)
    with pytest.raises(DomainError) as error:
        feedback.rate_consultation(public_token=waiting.public_token, rating=5)
    assert error.value.code == "not_rateable"
    lifecycle.leave_consultation(public_token=waiting.public_token)
    with pytest.raises(DomainError):
        feedback.rate_consultation(public_token=waiting.public_token, rating=5)


def test_the_form_in_the_room(client, ended):
    page = client.get(f"/c/{ended.public_token}/").content.decode()
    assert "Wie zufrieden sind Sie mit der Beratung?" in page
    bad = client.post(f"/c/{ended.public_token}/feedback/", {"rating": "9"})
    assert bad.status_code == 400 and 'role="alert"' in bad.content.decode()
    good = client.post(f"/c/{ended.public_token}/feedback/", {"rating": "5", "comment": "Danke"})
    assert good.status_code == 302
    assert "Vielen Dank für Ihre Rückmeldung." in client.get(good["Location"]).content.decode()
    again = client.post(f"/c/{ended.public_token}/feedback/", {"rating": "1"})
    assert again.status_code == 302  # a double submit changes nothing
    assert Consultation.objects.get(pk=ended.pk).rating == 5
    assert client.post("/c/" + "x" * 43 + "/feedback/", {"rating": "5"}).status_code == 404
