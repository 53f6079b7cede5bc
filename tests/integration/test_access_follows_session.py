"""A staff user's sockets follow their access: logout, a new password, deactivation and a
change of topics close them (code 4003), and what the session no longer allows stays refused
(issue 16, finding 5). The close travels through the channel layer (Redis in this suite), the
way it reaches sockets on other daphne processes."""

import pytest
from channels.db import database_sync_to_async
from django.conf import settings
from django.test import Client

from consult.queue import lifecycle, routing

from .conftest import connect, receive_until

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]
ACCESS_CHANGED = 4003


async def close_code(ws, timeout: float = 5) -> int:
    """Skip frames until the server closes the socket; its close code."""
    while True:
        output = await ws.receive_output(timeout=timeout)
        if output["type"] == "websocket.close":
            return int(output.get("code", 1000))


@database_sync_to_async
def logged_in(user):
    client = Client()
    client.force_login(user)
    name = settings.SESSION_COOKIE_NAME
    return client, f"{name}={client.cookies[name].value}"


@database_sync_to_async
def in_chat(topic, clerk):
    consultation = lifecycle.start_consultation(topic_slug=topic.slug)
    routing.accept(consultation_id=consultation.pk, clerk=clerk)
    return consultation


async def open_console(cookie):
    console, ok = await connect("/ws/clerk/queue/", cookie=cookie)
    assert ok
    await receive_until(console, "queue")
    return console


async def test_logout_closes_the_console_and_the_chat_and_they_stay_closed(topic, make_clerk):
    anna = await database_sync_to_async(make_clerk)("anna", [topic])
    ben = await database_sync_to_async(make_clerk)("ben", [topic])
    client, cookie = await logged_in(anna)
    _, ben_cookie = await logged_in(ben)
    consultation = await in_chat(topic, anna)
    console = await open_console(cookie)
    chat, ok = await connect(f"/ws/clerk/consultations/{consultation.pk}/", cookie=cookie)
    assert ok
    bens_console = await open_console(ben_cookie)

    response = await database_sync_to_async(client.post)("/console/logout/")
    assert response.status_code == 302

    assert await close_code(console) == ACCESS_CHANGED
    assert await close_code(chat) == ACCESS_CHANGED
    _, ok = await connect("/ws/clerk/queue/", cookie=cookie)  # the session is gone
    assert not ok
    assert await bens_console.receive_nothing(timeout=0.5)  # another clerk is not touched
    await bens_console.disconnect()


async def test_a_new_password_closes_the_sockets_of_every_other_session(topic, make_clerk):
    anna = await database_sync_to_async(make_clerk)("anna", [topic])
    _, cookie = await logged_in(anna)
    console = await open_console(cookie)

    def change_password():
        anna.set_password("a-new-long-password")
        anna.save()

    await database_sync_to_async(change_password)()
    assert await close_code(console) == ACCESS_CHANGED
    _, ok = await connect("/ws/clerk/queue/", cookie=cookie)  # the old session is invalid
    assert not ok


async def test_deactivation_closes_the_sockets(topic, make_clerk, django_user_model):
    anna = await database_sync_to_async(make_clerk)("anna", [topic])
    _, cookie = await logged_in(anna)
    console = await open_console(cookie)

    def deactivate():
        user = django_user_model.objects.get(pk=anna.pk)
        user.is_active = False
        user.save()

    await database_sync_to_async(deactivate)()
    assert await close_code(console) == ACCESS_CHANGED
    _, ok = await connect("/ws/clerk/queue/", cookie=cookie)
    assert not ok


async def test_a_change_of_topics_reconnects_the_console_to_the_new_queues(
    topic, other_topic, make_clerk
):
    anna = await database_sync_to_async(make_clerk)("anna", [topic, other_topic])
    _, cookie = await logged_in(anna)
    console = await open_console(cookie)

    await database_sync_to_async(lambda: anna.staff_profile.topics.remove(other_topic))()
    assert await close_code(console) == ACCESS_CHANGED

    console = await open_console(cookie)  # still logged in: back, with one topic
    await database_sync_to_async(make_clerk)("ben", [other_topic])  # Bauantrag reachable
    await database_sync_to_async(lifecycle.start_consultation)(topic_slug=other_topic.slug)
    assert await console.receive_nothing(timeout=1)  # the removed topic's queue is not shown
    await console.disconnect()
