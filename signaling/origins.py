"""Websockets only from the site's own origin, compared by scheme, host and port.

Channels' ``AllowedHostsOriginValidator`` compares the Origin's host only, so another port on
the same host, ``https://`` against an ``http`` site, or ``localhost:<port>`` all pass. Here
the Origin must equal the origin the socket itself was opened on (the Host header, which must
be in ``ALLOWED_HOSTS``, and ``ws``/``wss`` as ``http``/``https``; behind a proxy daphne's
``--proxy-headers`` takes the scheme from ``X-Forwarded-Proto``), or be ``SITE_URL``'s origin
or one of ``CSRF_TRUSTED_ORIGINS``. Anything else is refused before a consumer runs.
"""

from typing import Any
from urllib.parse import urlsplit

from channels.security.websocket import WebsocketDenier
from django.conf import settings
from django.http.request import split_domain_port, validate_host

DEFAULT_PORTS = {"http": 80, "https": 443}


def origin_of(url: str) -> tuple[str, str, int] | None:
    """(scheme, host, port) of an http(s) URL, the port made explicit; None if it is not one."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in DEFAULT_PORTS or not parts.hostname:
        return None
    return parts.scheme, parts.hostname.lower(), port or DEFAULT_PORTS[parts.scheme]


def allowed_origins() -> set[tuple[str, str, int]]:
    configured = [settings.SITE_URL, *settings.CSRF_TRUSTED_ORIGINS]
    return {origin for origin in map(origin_of, configured) if origin is not None}


def header(scope: dict[str, Any], name: bytes) -> str:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return str(value.decode("latin-1"))
    return ""


def is_allowed(scope: dict[str, Any]) -> bool:
    origin = origin_of(header(scope, b"origin"))
    if origin is None:
        return False
    if origin in allowed_origins():
        return True
    host = header(scope, b"host")
    domain, _port = split_domain_port(host)
    if not domain or not validate_host(domain, settings.ALLOWED_HOSTS):
        return False
    scheme = "https" if scope.get("scheme", "ws") in ("wss", "https") else "http"
    return origin == origin_of(f"{scheme}://{host}")


class SameOriginValidator:
    """ASGI middleware for the websocket routes: refuses a socket from any other origin."""

    def __init__(self, application: Any) -> None:
        self.application = application

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        if scope["type"] == "websocket" and not is_allowed(scope):
            return await WebsocketDenier()(scope, receive, send)  # type: ignore[arg-type]
        return await self.application(scope, receive, send)
