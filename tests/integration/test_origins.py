"""Every websocket endpoint refuses another port, scheme or host of the same machine, and
accepts the same socket from the site's own origin (issue 16, finding 7)."""

import pytest
from channels.db import database_sync_to_async
from django.contrib.auth.models import Permission

from consult.queue import lifecycle, routing

from .conftest import connect, session_cookie

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]
FOREIGN = [b"http://127.0.0.1:9000", b"https://127.0.0.1", b"http://localhost"]


@database_sync_to_async
def world(topic, make_clerk, django_user_model):
    clerk = make_clerk("anna", [topic])
    manager = django_user_model.objects.create_user(username="maria", password="pw")
    manager.user_permissions.add(Permission.objects.get(codename="view_statistics"))
    consultation = lifecycle.start_consultation(topic_slug=topic.slug)
    routing.accept(consultation_id=consultation.pk, clerk=clerk)
    return clerk, manager, consultation


async def test_all_four_endpoints_check_scheme_host_and_port(topic, make_clerk, django_user_model):
    clerk, manager, consultation = await world(topic, make_clerk, django_user_model)
    clerk_cookie, manager_cookie = await session_cookie(clerk), await session_cookie(manager)
    endpoints = [
        (f"/ws/citizen/{consultation.public_token}/", ""),
        (f"/ws/clerk/consultations/{consultation.pk}/", clerk_cookie),
        ("/ws/clerk/queue/", clerk_cookie),
        ("/ws/wallboard/", manager_cookie),
    ]
    for path, cookie in endpoints:
        for origin in FOREIGN:
            _, ok = await connect(path, cookie=cookie, origin=origin)
            assert not ok, (path, origin)
        ws, ok = await connect(path, cookie=cookie)  # http://127.0.0.1, as the Host
        assert ok, path
        await ws.disconnect()
