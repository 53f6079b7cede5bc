"""Production settings refuse to start unsafe and switch HTTPS protections on (issue 16,
finding 8). Each case starts ``manage.py`` in a process of its own with that environment."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

BASE = Path(__file__).resolve().parents[2]
# The production environment the README documents, with a host of our own.
PRODUCTION = {
    "SECRET_KEY": secrets.token_urlsafe(50),
    "ALLOWED_HOSTS": "sprechstunde.example.de",
    "SITE_URL": "https://sprechstunde.example.de",
    "CSRF_TRUSTED_ORIGINS": "https://sprechstunde.example.de",
}
SETTINGS = [
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "SITE_URL",
    "CSRF_TRUSTED_ORIGINS",
    "DEBUG",
    "SECURE_COOKIES",
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS",
]


def manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in SETTINGS}
    return subprocess.run(  # noqa: S603 (our own manage.py)
        [sys.executable, "manage.py", *args],
        env={**clean, **env},
        cwd=BASE,
        capture_output=True,
        text=True,
        timeout=60,
    )


def show(*names: str, **env: str) -> list[str]:
    code = f"from django.conf import settings as s; print(*(getattr(s, n) for n in {names!r}))"
    result = manage("shell", "-v", "0", "-c", code, **env)
    assert result.returncode == 0, result.stderr
    return result.stdout.split()


def test_check_deploy_is_clean_with_the_documented_environment():
    result = manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_an_installation_others_reach_refuses_the_embedded_secret():
    without_secret = {k: v for k, v in PRODUCTION.items() if k != "SECRET_KEY"}
    result = manage("check", **without_secret)
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr
    short = manage("check", **{**PRODUCTION, "SECRET_KEY": "too-short"})
    assert short.returncode != 0
    any_host = manage("check", **{**PRODUCTION, "ALLOWED_HOSTS": "*"})
    assert any_host.returncode != 0 and "ALLOWED_HOSTS" in any_host.stderr


def test_https_switches_on_hsts_secure_cookies_and_the_redirect():
    assert show(
        "SECURE_HSTS_SECONDS", "SESSION_COOKIE_SECURE", "SECURE_SSL_REDIRECT", **PRODUCTION
    ) == ["31536000", "True", "True"]
    assert show(
        "SECURE_HSTS_SECONDS", "SESSION_COOKIE_SECURE", **PRODUCTION, SECURE_HSTS_SECONDS="300"
    ) == ["300", "True"]


def test_the_embedded_default_stays_plain_http_on_this_machine():
    assert show("SECURE_HSTS_SECONDS", "SESSION_COOKIE_SECURE", "SECURE_SSL_REDIRECT") == [
        "0",
        "False",
        "False",
    ]
