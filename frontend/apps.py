from typing import Any

from django.apps import AppConfig


def audit_lockout(sender: object, *, username: str | None = None, **kwargs: Any) -> None:
    """django-axes locked a staff login: into the audit trail (consult/recording/audit.py),
    once when the limit is reached (axes signals again at every refused attempt after it)."""
    from django.conf import settings

    from consult.recording import audit

    failures = getattr(kwargs.get("request"), "axes_failures_since_start", None)
    if failures is None or failures == settings.AXES_FAILURE_LIMIT:
        audit.record_login_lockout(username=username or "")


class FrontendConfig(AppConfig):
    name = "frontend"

    def ready(self) -> None:
        from axes.signals import user_locked_out

        user_locked_out.connect(audit_lockout, dispatch_uid="frontend.audit_lockout")
