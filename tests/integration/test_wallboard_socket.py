"""The wallboard socket: managers only, and it moves when a citizen joins a queue."""

import pytest
from channels.db import database_sync_to_async
from django.contrib.auth.models import Permission

from consult.queue import lifecycle, routing

from .conftest import connect, receive_until, session_cookie

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


@database_sync_to_async
def make_manager(django_user_model):
    user = django_user_model.objects.create_user(username="maria", password="pw")
    user.user_permissions.add(Permission.objects.get(codename="view_statistics"))
    return user


async def test_only_managers_may_watch(topic, make_clerk, django_user_model):
    clerk = await database_sync_to_async(make_clerk)("anna", [topic])
    _, anonymous = await connect("/ws/wallboard/")
    _, as_clerk = await connect("/ws/wallboard/", cookie=await session_cookie(clerk))
    manager = await make_manager(django_user_model)
    board, as_manager = await connect("/ws/wallboard/", cookie=await session_cookie(manager))
    assert (anonymous, as_clerk, as_manager) == (False, False, True)
    await board.disconnect()


async def test_the_board_moves_when_a_citizen_joins_and_a_clerk_accepts(
    topic, make_clerk, django_user_model
):
    clerk = await database_sync_to_async(make_clerk)("anna", [topic])
    manager = await make_manager(django_user_model)
    board, _ = await connect("/ws/wallboard/", cookie=await session_cookie(manager))
    first = await receive_until(board, "wallboard")
    assert first["topics"] == [{"name": "Hundesteuer", "waiting": 0, "oldest": None}]
    assert first["clerks"]["available"] == 1

    consultation = await database_sync_to_async(lifecycle.start_consultation)(
        topic_slug="hundesteuer"
    )
    update = await receive_until(board, "wallboard")
    assert update["topics"][0]["waiting"] == 1
    assert update["topics"][0]["oldest"] == consultation.created_at.isoformat()
    assert update["requested"] == 1

    await database_sync_to_async(routing.accept)(consultation_id=consultation.pk, clerk=clerk)
    while True:
        update = await receive_until(board, "wallboard")
        if update["clerks"]["busy"] == 1:
            break
    assert update["topics"][0]["waiting"] == 0
    assert (update["answered"], update["service_level"]) == (1, 1.0)
    await board.disconnect()
