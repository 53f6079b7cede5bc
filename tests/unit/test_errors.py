"""One catalogue of error texts (consult/errors.py): every code raised anywhere has a text, every
text has a German translation, and the scripts get the same texts from the server."""

import json
import re
from pathlib import Path

import pytest
from django.utils import translation

from consult import validators
from consult.errors import GENERIC, MESSAGES, message_for

ROOT = Path(__file__).resolve().parents[2]
# DomainError("code", …) and ClientError("code", …), also across lines; Error(code="code", …):
# the error frames the consumers send themselves.
RAISED = re.compile(r'(?:DomainError|ClientError)\(\s*"([a-z_]+)"|\bError\(\s*code="([a-z_]+)"')


def raised_codes() -> dict[str, set[str]]:
    """Every code raised in consult/ and signaling/, with the files that raise it."""
    codes: dict[str, set[str]] = {}
    for package in ("consult", "signaling"):
        for source in (ROOT / package).rglob("*.py"):
            for match in RAISED.finditer(source.read_text(encoding="utf-8")):
                code = match.group(1) or match.group(2)
                codes.setdefault(code, set()).add(str(source.relative_to(ROOT)))
    return codes


def test_the_scan_finds_the_codes():
    codes = raised_codes()
    assert len(codes) > 40  # the pattern still matches how codes are raised
    assert {"slot_taken", "malformed_json", "try_again", "not_found"} <= set(codes)


def test_every_raised_code_has_a_text():
    missing = {code: files for code, files in raised_codes().items() if code not in MESSAGES}
    assert missing == {}


@pytest.mark.parametrize("code", sorted(MESSAGES))
def test_every_text_has_a_german_translation(code):
    with translation.override("en"):
        english = str(MESSAGES[code])
    with translation.override("de"):
        german = message_for(code)
    assert german and german != english


def test_an_unknown_code_gets_the_general_text():
    with translation.override("de"):
        assert message_for("no_such_code") == str(GENERIC) != "Something went wrong."


def test_the_length_in_the_text_is_the_validators():
    assert f"{validators.MAX_EMAIL} " in message_for("email_too_long")


def test_the_scripts_keep_no_second_list():
    """The texts reach the scripts only through the page (``{% error_messages %}``)."""
    with translation.override("en"):
        english = {str(text) for text in MESSAGES.values()}
    for script in (ROOT / "frontend" / "static").rglob("*.js"):
        source = script.read_text(encoding="utf-8")
        assert [text for text in english if f'"{text}"' in source] == [], script.name


@pytest.mark.django_db
def test_the_room_hands_the_catalogue_to_the_script_in_the_pages_language(client, topic, on_duty):
    from consult.queue import lifecycle

    consultation = lifecycle.start_consultation(topic_slug=topic.slug)
    html = client.get(f"/c/{consultation.public_token}/").content.decode()
    found = re.search(r'<script id="error-messages" type="application/json">(.*?)</script>', html)
    assert found is not None
    catalogue = json.loads(found.group(1))
    assert set(catalogue["messages"]) == set(MESSAGES)
    with translation.override("de"):
        assert catalogue["messages"]["rate_limited"] == message_for("rate_limited")
        assert catalogue["unknown"] == message_for("no_such_code")
