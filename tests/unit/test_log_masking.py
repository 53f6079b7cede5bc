"""No citizen's token reaches a log line (issue 16, finding 6): the filter on the root handler
masks room and appointment paths in every logger, Django's request logger included."""

import io
import logging

import pytest
from django.test import Client

from config.logfilters import mask
from consult.queue import lifecycle

pytestmark = pytest.mark.django_db


@pytest.fixture
def log_output():
    """What the configured root handler (config/settings.py LOGGING) writes."""
    handler = next(h for h in logging.getLogger().handlers if h.filters)
    buffer = io.StringIO()
    previous = handler.setStream(buffer)
    yield buffer
    handler.setStream(previous)


def test_a_refused_post_to_a_room_logs_the_path_without_the_token(topic, on_duty, log_output):
    consultation = lifecycle.start_consultation(topic_slug=topic.slug)
    token = consultation.public_token
    response = Client(enforce_csrf_checks=True).post(f"/c/{token}/leave/")
    assert response.status_code == 403
    written = log_output.getvalue()
    assert "/c/…/leave/" in written  # the line is there, to tell what happened
    assert token not in written


def test_every_token_path_is_masked():
    token = "Abc_-123" * 5
    for path in (
        f"/c/{token}/",
        f"/ws/citizen/{token}/",
        f"/termin/t/{token}/absagen/",
        f"/console/calendar/{token}.ics",
    ):
        assert token not in mask(f"GET {path} 404")
    assert mask("/console/calendar/feed/new/") == "/console/calendar/feed/new/"
    assert mask("/catalogue/hundesteuer/") == "/catalogue/hundesteuer/"


def test_the_concern_reaches_no_log(client, topic, make_clerk, log_output):
    """What the citizen wrote with the start is content: neither the start, the refusals nor
    routing log it, whatever the level."""
    import logging

    from django.utils import timezone

    from consult.queue import selectors
    from consult.staff.models import StaffProfile

    concern = "Mein Hund Bello beißt den Briefträger"
    anna = make_clerk("anna", [topic], status="available")
    StaffProfile.objects.filter(user=anna).update(last_seen_at=timezone.now())
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.DEBUG)
    try:
        started = client.post(
            "/consultations/", {"topic": topic.slug, "channel": "chat", "concern": concern}
        )
        refused = client.post(
            "/consultations/", {"topic": topic.slug, "channel": "x", "concern": concern}
        )
        selectors.console_snapshot(anna)
    finally:
        root.setLevel(level)
    assert (started.status_code, refused.status_code) == (302, 400)
    assert "Bad Request" in log_output.getvalue()  # the refusal is logged, without the text
    assert "Bello" not in log_output.getvalue()
