"""Staff logins are throttled (django-axes): per user name and per address, with a German
page that says when to try again, an audit entry and a command that unlocks (issue 16)."""

import pytest
from django.core.management import call_command
from django.test import Client

from consult.recording.models import AuditEvent

pytestmark = pytest.mark.django_db
LIMIT = 5  # LOGIN_FAILURE_LIMIT's default


def log_in(client: Client, username: str, password: str, path: str = "/console/login/"):
    return client.post(path, {"username": username, "password": password})


def test_a_clerk_is_locked_after_the_failure_limit_even_with_the_right_password(
    client, topic, make_clerk
):
    clerk = make_clerk("anna", [topic])
    for _ in range(LIMIT - 1):
        assert log_in(client, "anna", "wrong").status_code == 200  # the form's error
    locked = log_in(client, "anna", "wrong")
    assert locked.status_code == 429
    page = locked.content.decode()
    assert "Zu viele fehlgeschlagene Anmeldungen" in page
    assert "15 Minuten" in page and "erneut" in page
    assert locked["Retry-After"] == "900"

    right = log_in(Client(REMOTE_ADDR="203.0.113.9"), "anna", "pw-anna")  # another address
    assert right.status_code == 429
    event = AuditEvent.objects.get(action=AuditEvent.Action.LOGIN_LOCKED_OUT)
    assert (event.actor, event.object_id) == (clerk, clerk.pk)


def test_one_address_trying_many_user_names_is_locked(client, topic, make_clerk):
    make_clerk("anna", [topic])
    for n in range(LIMIT):
        log_in(client, f"guess{n}", "wrong")
    assert log_in(client, "anna", "pw-anna").status_code == 429
    assert log_in(Client(REMOTE_ADDR="203.0.113.9"), "anna", "pw-anna").status_code == 302


def test_the_admin_login_is_throttled_too(client, admin_user):
    for _ in range(LIMIT):
        log_in(client, "admin", "wrong", path="/admin/login/")
    assert log_in(client, "admin", "password", path="/admin/login/").status_code == 429


def test_a_success_before_the_limit_starts_the_count_again(client, topic, make_clerk):
    make_clerk("anna", [topic])
    for _ in range(LIMIT - 1):
        log_in(client, "anna", "wrong")
    assert log_in(client, "anna", "pw-anna").status_code == 302
    client.logout()
    for _ in range(LIMIT - 1):
        log_in(client, "anna", "wrong")
    assert log_in(client, "anna", "pw-anna").status_code == 302


def test_the_unlock_command_lets_the_clerk_in_again(client, topic, make_clerk):
    make_clerk("anna", [topic])
    for _ in range(LIMIT):
        log_in(client, "anna", "wrong")
    assert log_in(client, "anna", "pw-anna").status_code == 429
    call_command("axes_reset_username", "anna")
    call_command("axes_reset_ip", "127.0.0.1")
    assert log_in(client, "anna", "pw-anna").status_code == 302


def test_the_lockout_page_speaks_english_when_asked(client, topic, make_clerk):
    make_clerk("anna", [topic])
    client.cookies["django_language"] = "en"
    for _ in range(LIMIT):
        log_in(client, "anna", "wrong")
    assert "Too many failed login attempts" in log_in(client, "anna", "x").content.decode()


def test_an_overlong_user_name_is_refused_with_a_reason(client):
    response = log_in(client, "x" * 300, "wrong")
    assert response.status_code == 200
    assert "höchstens 150 Zeichen" in response.content.decode()


def test_an_overlong_user_name_on_the_admin_login_is_a_failed_login(client):
    """300 characters on /admin/login/ were a 500 on PostgreSQL (axes' 255-character column)."""
    response = log_in(client, "x" * 300, "wrong", path="/admin/login/")
    assert response.status_code == 200
