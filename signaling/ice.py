"""The ICE configuration handed to each party of a video call.

STUN and TURN servers come from settings; there is no third-party default. TURN credentials
follow the TURN REST convention that coturn implements with ``use-auth-secret``: the
username is ``<unix expiry>:<opaque id>``, the password is base64(HMAC-SHA1(secret,
username)). They expire after ``RTC_TURN_TTL_SECONDS`` and are given only to the two parties
of the consultation, through their own websocket.
"""

import base64
import hashlib
import hmac
import time
from typing import Any

from django.conf import settings


def turn_credentials(*, secret: str, label: str, ttl: int, now: float | None = None) -> dict:
    """A username and password a coturn server with ``static-auth-secret`` accepts."""
    expiry = int(now if now is not None else time.time()) + ttl
    username = f"{expiry}:{label}"
    digest = hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()
    return {"username": username, "credential": base64.b64encode(digest).decode()}


def ice_servers(*, label: str) -> list[dict[str, Any]]:
    """RTCIceServer dictionaries for the browser; ``label`` names the party (no personal data)."""
    servers: list[dict[str, Any]] = []
    if settings.RTC_STUN_URLS:
        servers.append({"urls": list(settings.RTC_STUN_URLS)})
    if settings.RTC_TURN_URLS and settings.RTC_TURN_SECRET:
        credentials = turn_credentials(
            secret=settings.RTC_TURN_SECRET, label=label, ttl=settings.RTC_TURN_TTL_SECONDS
        )
        servers.append({"urls": list(settings.RTC_TURN_URLS), **credentials})
    return servers


def media_mode(topic_mode: str) -> str:
    """The topic's mode, else the deployment's."""
    return topic_mode or settings.RTC_MEDIA_MODE
