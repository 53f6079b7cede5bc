"""Two daphne processes of one deployment (one PostgreSQL, one Redis, one channel prefix), as
production runs them behind the proxy: what one process learns, the other acts on.

- presence (issue 14): a citizen's socket on one process, the clerk's chat on the other;
- the socket cap per citizen token (issue 16, finding 4) counts both processes;
- logout through one process closes the console open on the other (issue 16, finding 5).
"""

import json
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import expect
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import ClientConnection, connect

from consult.consultations.models import Consultation
from consult.queue import lifecycle, routing

from .conftest import running_platform
from .test_chat_flow import log_in

pytestmark = pytest.mark.e2e
WAIT_SECONDS = 20.0


@pytest.fixture(scope="module")
def other_process(live_server_url: str) -> Iterator[str]:
    """A second daphne beside the suite's, sharing its channel layer and cache."""
    prefix = f"e2e{urlsplit(live_server_url).port}"
    with running_platform("daphne-b", media=False, CHANNEL_PREFIX=prefix) as url:
        yield url


@pytest.fixture
def open_socket() -> Iterator[Callable[..., ClientConnection]]:
    """Opens a websocket to one of the processes, as a browser there would; all are closed
    at the end of the test."""
    with ExitStack() as stack:

        def open_one(base_url: str, path: str, cookie: str = "") -> ClientConnection:
            ws_url = base_url.replace("http://", "ws://") + path
            headers = {"Cookie": cookie} if cookie else {}
            return stack.enter_context(
                connect(ws_url, origin=base_url, additional_headers=headers, open_timeout=10)
            )

        yield open_one


def frame_of_type(ws: ClientConnection, frame_type: str) -> dict:
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        frame = json.loads(ws.recv(timeout=max(0.1, deadline - time.monotonic())))
        if frame["type"] == frame_type:
            return frame


def cookie_of(user) -> str:
    client = Client()
    client.force_login(user)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


def state_within(consultation, state: str) -> bool:
    """Polls the database, where the sweep of whichever process leads writes the change."""
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        consultation.refresh_from_db()
        if consultation.state == state:
            return True
        time.sleep(0.2)
    return False


def test_presence_noted_by_one_process_is_read_by_the_other(
    pages, live_server_url, other_process, open_socket, topic, make_clerk
):
    anna = make_clerk("anna", [topic], status="available")
    log_in(pages.new(), "anna")  # her console beats: the topic is reachable
    chat = lifecycle.start_consultation(topic_slug=topic.slug)
    routing.accept(consultation_id=chat.pk, clerk=anna)
    citizen = open_socket(other_process, f"/ws/citizen/{chat.public_token}/")
    citizen.send(json.dumps({"type": "resume", "last_seq": 0}))
    frame_of_type(citizen, "ready")
    clerk = open_socket(live_server_url, f"/ws/clerk/consultations/{chat.pk}/", cookie_of(anna))
    assert frame_of_type(clerk, "presence") == {"type": "presence", "connected": True}
    citizen.close()
    assert frame_of_type(clerk, "presence") == {"type": "presence", "connected": False}

    # A waiting citizen whose only socket (on the other process) closed is taken out of the
    # queue by the sweep, whichever process leads it.
    waiting = lifecycle.start_consultation(topic_slug=topic.slug)
    Consultation.objects.filter(pk=waiting.pk).update(offered_to=None)
    gone = open_socket(other_process, f"/ws/citizen/{waiting.public_token}/")
    frame_of_type(gone, "position")
    gone.close()
    assert state_within(waiting, Consultation.State.ABANDONED)


def test_the_socket_cap_counts_the_sockets_of_both_processes(
    pages, live_server_url, other_process, open_socket, topic, make_clerk
):
    make_clerk("anna", [topic], status="available")
    log_in(pages.new(), "anna")  # her console beats: the topic is reachable
    consultation = lifecycle.start_consultation(topic_slug=topic.slug)
    path = f"/ws/citizen/{consultation.public_token}/"
    cap = 5  # WS_SOCKETS_PER_TOKEN's default
    sockets = [open_socket(live_server_url, path) for _ in range(cap - 1)]
    sockets.append(open_socket(other_process, path))
    for ws in sockets:
        frame_of_type(ws, "position")
    one_more = open_socket(other_process, path)
    with pytest.raises(ConnectionClosed) as closed:
        frame_of_type(one_more, "position")
    assert closed.value.rcvd.code == 4029


def test_logout_through_one_process_closes_the_console_on_the_other(
    pages, live_server_url, other_process, open_socket, topic, make_clerk
):
    make_clerk("anna", [topic], status="available")
    page = pages.new()
    log_in(page, "anna")
    session = next(c for c in page.context.cookies() if c["name"] == settings.SESSION_COOKIE_NAME)
    cookie = f"{session['name']}={session['value']}"
    console = open_socket(other_process, "/ws/clerk/queue/", cookie)
    frame_of_type(console, "queue")

    page.get_by_role("button", name="Abmelden").click()
    expect(page.get_by_role("heading", name="Anmeldung für Mitarbeitende")).to_be_visible()

    with pytest.raises(ConnectionClosed) as closed:
        frame_of_type(console, "never")
    assert closed.value.rcvd.code == 4003
    with pytest.raises(InvalidStatus) as refused:  # the session is gone in both processes
        open_socket(other_process, "/ws/clerk/queue/", cookie)
    assert refused.value.response.status_code == 403
