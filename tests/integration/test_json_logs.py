"""LOG_FORMAT=json: every log line is one JSON object with a fixed set of fields, and none
carries a name, what a citizen wrote, a token or a full IP address, while a citizen starts a
consultation, chats with a clerk, sends a bad frame, and someone fails to log in."""

import io
import json
import logging

import pytest
from channels.db import database_sync_to_async
from django.test import Client

from config.logformat import FIELDS, PrivateJsonFormatter
from consult.consultations.models import Consultation
from consult.queue import routing

from .conftest import connect_both, receive_until, send

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]

ADDRESS = "203.0.113.77"
CONCERN = "Erika Mustermann fragt wegen ihres Hundes Bello"
CITIZEN_TEXT = "Ich heiße Erika Mustermann und wohne in der Lindenstraße 5"
CLERK_TEXT = "Guten Tag Frau Mustermann, gern helfe ich"


@pytest.fixture
def json_log():
    """The configured root handler (masking filter included), writing JSON to a buffer, with
    every logger of the platform at DEBUG."""
    handler = next(h for h in logging.getLogger().handlers if h.filters)
    buffer = io.StringIO()
    previous_stream, previous_formatter = handler.setStream(buffer), handler.formatter
    handler.setFormatter(PrivateJsonFormatter())
    ours = [logging.getLogger(name) for name in ("config", "consult", "signaling", "frontend")]
    levels = [logger.level for logger in ours]
    for logger in ours:
        logger.setLevel(logging.DEBUG)
    yield buffer
    for logger, level in zip(ours, levels, strict=True):
        logger.setLevel(level)
    handler.setFormatter(previous_formatter)
    handler.setStream(previous_stream)


@pytest.fixture
def clerk(topic, make_clerk):
    user = make_clerk("kowalczyk", [topic])
    user.first_name, user.last_name = "Zofia", "Kowalczyk"
    user.save()
    return user


async def test_a_chat_leaves_json_lines_without_names_content_tokens_or_addresses(
    topic, clerk, json_log
):
    citizen_client = Client(REMOTE_ADDR=ADDRESS)
    started = await database_sync_to_async(citizen_client.post)(
        "/consultations/", {"topic": topic.slug, "channel": "chat", "concern": CONCERN}
    )
    assert started.status_code == 302
    token = started["Location"].split("/")[2]
    consultation = await database_sync_to_async(Consultation.objects.get)(public_token=token)
    refused = await database_sync_to_async(
        Client(enforce_csrf_checks=True, REMOTE_ADDR=ADDRESS).post
    )(f"/c/{token}/leave/")
    assert refused.status_code == 403
    failed_login = await database_sync_to_async(Client(REMOTE_ADDR=ADDRESS).post)(
        "/console/login/", {"username": "kowalczyk", "password": "not-the-password"}
    )
    assert failed_login.status_code == 200

    await database_sync_to_async(routing.accept)(consultation_id=consultation.pk, clerk=clerk)
    citizen, clerk_ws, _ = await connect_both(consultation, clerk)
    await send(citizen, type="message", client_id="c-1", body=CITIZEN_TEXT)
    assert (await receive_until(clerk_ws, "message"))["body"] == CITIZEN_TEXT
    await send(clerk_ws, type="message", client_id="k-1", body=CLERK_TEXT)
    while (frame := await receive_until(citizen, "message"))["sender"] != "clerk":
        pass  # the citizen's own message first
    assert frame["body"] == CLERK_TEXT
    await send(citizen, type="message", client_id="c-2", body="x" * 5000 + CITIZEN_TEXT)
    assert (await receive_until(citizen, "error"))["code"]
    await send(clerk_ws, type="end", outcome="resolved")
    await receive_until(clerk_ws, "closed")
    await citizen.disconnect()
    await clerk_ws.disconnect()

    lines = json_log.getvalue().splitlines()
    records = [json.loads(line) for line in lines]  # every line is one JSON object
    for record in records:
        assert set(record) <= set(FIELDS) and {"time", "level", "logger", "message"} <= set(record)
    messages = " ".join(r["message"] for r in records)
    assert "client error" in messages  # the refused frame is logged, by its code
    assert "Forbidden (CSRF" in messages and "/c/…/leave/" in messages  # the refused POST
    assert "network: '203.0.113.x'" in messages  # the failed login, by network
    written = json_log.getvalue()
    for secret in (
        token,
        "Mustermann",
        "Erika",
        "Bello",
        "Lindenstraße",
        "Kowalczyk",
        "kowalczyk",
        "Zofia",
        ADDRESS,
        "not-the-password",
    ):
        assert secret not in written, secret
