"""Websocket origins are compared by scheme, host and port (issue 16, finding 7)."""

import pytest

from signaling.origins import is_allowed


def scope(origin: str | None, host: str = "127.0.0.1:8000", scheme: str = "ws") -> dict:
    headers = [(b"host", host.encode())]
    if origin is not None:
        headers.append((b"origin", origin.encode()))
    return {"type": "websocket", "scheme": scheme, "headers": headers}


@pytest.fixture(autouse=True)
def site(settings):
    settings.ALLOWED_HOSTS = ["127.0.0.1", "localhost", "sprechstunde.example.de"]
    settings.SITE_URL = "https://sprechstunde.example.de"
    settings.CSRF_TRUSTED_ORIGINS = []


@pytest.mark.parametrize(
    ("origin", "host", "scheme"),
    [
        ("http://127.0.0.1:8000", "127.0.0.1:8000", "ws"),
        ("http://localhost:8000", "localhost:8000", "ws"),
        ("https://sprechstunde.example.de", "sprechstunde.example.de", "wss"),
        ("https://sprechstunde.example.de:443", "sprechstunde.example.de", "wss"),
        ("https://sprechstunde.example.de", "127.0.0.1:8001", "ws"),  # SITE_URL, behind a proxy
    ],
)
def test_the_sites_own_origin_is_allowed(origin, host, scheme):
    assert is_allowed(scope(origin, host, scheme))


@pytest.mark.parametrize(
    ("origin", "host", "scheme"),
    [
        ("http://127.0.0.1:9000", "127.0.0.1:8000", "ws"),  # another port on the same host
        ("https://127.0.0.1:8000", "127.0.0.1:8000", "ws"),  # https against an http site
        ("http://127.0.0.1:8000", "127.0.0.1:8000", "wss"),  # http against an https site
        ("http://localhost:8000", "127.0.0.1:8000", "ws"),  # another host name
        ("http://evil.example", "evil.example", "ws"),  # a host not in ALLOWED_HOSTS
        ("http://sprechstunde.example.de", "127.0.0.1:8000", "ws"),  # SITE_URL's host over http
        ("null", "127.0.0.1:8000", "ws"),  # sandboxed frames, file:// pages
        ("ftp://127.0.0.1:8000", "127.0.0.1:8000", "ws"),
        ("http://127.0.0.1:99999", "127.0.0.1:99999", "ws"),  # not a port
        (None, "127.0.0.1:8000", "ws"),  # no Origin at all
    ],
)
def test_every_other_origin_is_refused(origin, host, scheme):
    assert not is_allowed(scope(origin, host, scheme))


def test_trusted_origins_are_allowed(settings):
    settings.CSRF_TRUSTED_ORIGINS = ["https://www.example.de"]
    assert is_allowed(scope("https://www.example.de", "127.0.0.1:8000"))
    assert not is_allowed(scope("https://www.example.de:8443", "127.0.0.1:8000"))
