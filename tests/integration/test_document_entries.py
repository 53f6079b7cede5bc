"""A shared document is a log entry like a message: both chat sockets get it live with its
document fields, and a reconnecting client gets it again with `resume`."""

import pytest
from channels.db import database_sync_to_async

from consult.chat import documents
from consult.queue import lifecycle, routing

from .conftest import connect, connect_both, receive, receive_until, send

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture(autouse=True)
def documents_root(settings, tmp_path):
    settings.DOCUMENTS_ROOT = tmp_path / "documents"


async def test_a_document_reaches_both_sockets_and_is_replayed(topic, make_clerk):
    clerk = await database_sync_to_async(make_clerk)("anna", [topic])
    consultation = await database_sync_to_async(lifecycle.start_consultation)(
        topic_slug="hundesteuer"
    )
    await database_sync_to_async(routing.accept)(consultation_id=consultation.pk, clerk=clerk)
    citizen, clerk_ws, _ = await connect_both(consultation, clerk)
    entry, created = await database_sync_to_async(documents.share_document)(
        consultation_id=consultation.pk,
        sender="clerk",
        author=clerk,
        data=PDF,
        name="Merkblatt Hundesteuer.pdf",
        client_id="k-doc",
    )
    assert created
    for socket in (citizen, clerk_ws):
        frame = await receive_until(socket, "message")
        assert (frame["seq"], frame["kind"], frame["sender"]) == (entry.seq, "document", "clerk")
        assert frame["body"] == "Merkblatt Hundesteuer.pdf"
        assert frame["document"] == {
            "id": entry.document.pk,
            "name": "Merkblatt Hundesteuer.pdf",
            "size": len(PDF),
            "type": "application/pdf",
        }
        assert frame["state"] == "active"
    await citizen.disconnect()

    again, ok = await connect(f"/ws/citizen/{consultation.public_token}/")
    assert ok
    await send(again, type="resume", last_seq=entry.seq - 1)
    replayed = await receive_until(again, "message")
    assert (replayed["seq"], replayed["document"]["name"]) == (
        entry.seq,
        "Merkblatt Hundesteuer.pdf",
    )
    assert (await receive(again))["type"] == "ready"
    for socket in (again, clerk_ws):
        await socket.disconnect()
