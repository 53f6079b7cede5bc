"""Audit entries that are not about one recording: staff logins locked after failed attempts."""

from django.contrib.auth import get_user_model

from consult.recording.models import AuditEvent

MAX_NAME = 150


def record_login_lockout(*, username: str) -> AuditEvent:
    """A staff login was locked (django-axes). The entry names the account that was tried,
    if it exists; the attacker's address is not kept here (the lockout itself keeps it for the
    lockout time only)."""
    user = get_user_model().objects.filter(username=username).first()
    return AuditEvent.objects.create(
        actor=user,
        actor_name=username[:MAX_NAME],
        action=AuditEvent.Action.LOGIN_LOCKED_OUT,
        object_type="user",
        object_id=user.pk if user is not None else 0,
        detail="" if user is not None else "unknown user name",
    )
