"""CLERK_DISPLAY_NAME: the name a citizen sees for the clerk (full, first or none), in the
"… ist dem Gespräch beigetreten" entry, the room page's chat label, a transfer and the
transcript."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.utils import timezone

from consult.chat import messages
from consult.consultations.models import Message
from consult.queue import lifecycle, routing, transfers
from consult.staff.models import StaffProfile
from consult.staff.names import citizen_facing_name

pytestmark = pytest.mark.django_db

# The profile's display name is "Anna" (make_clerk): the user account says more.
EXPECTED = {"full": "Anna Schmidt", "first": "Anna", "none": ""}


@pytest.fixture
def anna(topic, make_clerk):
    user = make_clerk("anna", [topic])
    user.first_name, user.last_name = "Anna", "Schmidt"
    user.save()
    StaffProfile.objects.filter(user=user).update(display_name="A. S.", last_seen_at=timezone.now())
    return user


def talk(clerk):
    consultation = lifecycle.start_consultation(topic_slug="hundesteuer")
    routing.accept(consultation_id=consultation.pk, clerk=clerk)
    messages.post_message(
        consultation_id=consultation.pk,
        sender="clerk",
        body="Guten Tag!",
        client_id="k1",
        author=clerk,
    )
    return consultation


def room_config(client, consultation):
    page = client.get(f"/c/{consultation.public_token}/").content.decode()
    found = re.search(r'<script id="room-config" type="application/json">(.*?)</script>', page)
    assert found is not None
    return json.loads(found.group(1))


@pytest.mark.parametrize("mode", ["full", "first", "none"])
def test_the_citizen_sees_the_clerk_as_the_city_allows(client, settings, anna, mode):
    settings.CLERK_DISPLAY_NAME = mode
    expected = EXPECTED[mode]
    consultation = talk(anna)

    accepted = consultation.messages.get(kind=Message.Kind.ACCEPTED)
    assert accepted.body == expected  # "Anna Schmidt ist dem Gespräch beigetreten."
    assert room_config(client, consultation)["clerk"] == expected
    transcript = client.get(f"/c/{consultation.public_token}/transcript.txt").content.decode()
    assert f" {expected or 'Sachbearbeitung'}]\nGuten Tag!" in transcript
    if mode != "full":
        assert "Schmidt" not in transcript
    if mode == "none":
        assert "Anna" not in transcript and "A. S." not in transcript


@pytest.mark.parametrize("mode", ["full", "first", "none"])
def test_a_transfer_names_the_colleague_as_the_city_allows(settings, topic, anna, make_clerk, mode):
    settings.CLERK_DISPLAY_NAME = mode
    ben = make_clerk("ben", [topic])
    ben.first_name, ben.last_name = "Ben", "Weber"
    ben.save()
    StaffProfile.objects.filter(user=ben).update(last_seen_at=timezone.now())
    consultation = talk(anna)
    transfers.transfer_to_clerk(consultation_id=consultation.pk, clerk=anna, target_id=ben.pk)
    transferred = consultation.messages.get(kind=Message.Kind.TRANSFERRED)
    assert transferred.body == {"full": "Ben Weber", "first": "Ben", "none": ""}[mode]


def test_without_a_name_in_the_account_the_profile_name_is_shown(settings, topic, make_clerk):
    """Today's behaviour for accounts without a first name: the profile's display name."""
    settings.CLERK_DISPLAY_NAME = "first"
    carl = make_clerk("carl", [topic])
    assert citizen_facing_name(user=carl) == "Carl"
    settings.CLERK_DISPLAY_NAME = "full"
    assert citizen_facing_name(user=carl) == "Carl"
    settings.CLERK_DISPLAY_NAME = "none"
    assert citizen_facing_name(user=carl) == ""


def test_an_unknown_value_is_refused_at_start():
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        env={**os.environ, "CLERK_DISPLAY_NAME": "nickname"},
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "CLERK_DISPLAY_NAME: one of full, first, none." in result.stderr
