"""The suite runs against real PostgreSQL and Redis; it stops (never skips) without them."""

import os
import shutil
from collections.abc import Callable, Iterator
from typing import Any

import pytest

CHROMIUM = os.environ.get("CHROMIUM", "/usr/lib/chromium/chromium")


def _stop(what: str, how: str) -> None:
    pytest.exit(f"\n{what}\n  How to fix: {how}\n", returncode=3)


# Set by tests/unit/test_sqlite_fallback.py only: runs chosen tests on the embedded SQLite
# default to prove its fallbacks; the suite itself always needs PostgreSQL and Redis.
SQLITE_RUN = os.environ.get("SPRECHSTUNDE_SQLITE_RUN") == "1"


def pytest_sessionstart(session: pytest.Session) -> None:
    if SQLITE_RUN:
        return
    database_url = os.environ.get("DATABASE_URL", "")
    if not database_url.startswith(("postgres://", "postgresql://")):
        _stop(
            "The test suite needs PostgreSQL, but DATABASE_URL is not a postgres:// URL.",
            "run `make test` (it sets DATABASE_URL to the local server), or export "
            "DATABASE_URL=postgres://USER@HOST:5432/sprechstunde.",
        )
    try:
        import psycopg

        from config.settings import DATABASES

        params = DATABASES["default"]
        psycopg.connect(
            dbname="postgres",
            user=params.get("USER") or None,
            password=params.get("PASSWORD") or None,
            host=params.get("HOST") or None,
            port=params.get("PORT") or None,
            connect_timeout=3,
        ).close()
    except Exception as error:
        _stop(
            f"PostgreSQL at {database_url} does not answer: {error}",
            "run `make test` (it starts a local server, creates the role), or start it yourself.",
        )
    redis_url = os.environ.get("REDIS_URL", "")
    if not redis_url.startswith(("redis://", "rediss://")):
        _stop(
            "The test suite needs Redis, but REDIS_URL is not set.",
            "run `make test`, or export REDIS_URL=redis://127.0.0.1:6379/0.",
        )
    try:
        import redis

        redis.Redis.from_url(redis_url, socket_connect_timeout=3).ping()
    except Exception as error:
        _stop(
            f"Redis at {redis_url} does not answer: {error}",
            "run `make test` (it starts a local Redis), or start it yourself.",
        )
    from django.conf import settings

    # Live queue views cached by earlier runs (same Redis) must not be read by this one (ids
    # are never reused within a run).
    settings.CACHES["default"]["KEY_PREFIX"] = f"test{os.getpid()}"
    # The suite runs on any day of the year: no public holiday closes its topics (the holiday
    # tests name a Bundesland themselves).
    settings.PUBLIC_HOLIDAYS_STATE = "none"
    # WhiteNoise warns about a missing STATIC_ROOT; the tests serve static files from finders.
    os.makedirs(settings.STATIC_ROOT, exist_ok=True)
    if not (os.path.exists(CHROMIUM) or shutil.which("chromium")):
        _stop(
            "Headless Chromium is missing (needed by the end-to-end tests).",
            "run `make test` (it installs Debian's package), or `apt-get install -y chromium`.",
        )


@pytest.fixture(autouse=True)
def fresh_channel_layer() -> Iterator[None]:
    """A new channel-layer object per test: channels-redis binds receive state to the event
    loop that first receives, and every async test has a loop of its own."""
    from channels.layers import channel_layers

    channel_layers.backends = {}
    yield
    channel_layers.backends = {}


@pytest.fixture
def make_clerk(django_user_model: Any) -> Callable[..., Any]:
    from django.utils import timezone

    from consult.catalogue.models import Topic
    from consult.staff.models import StaffProfile

    def make(username: str, topics: list[Topic], status: str = "available") -> Any:
        """A clerk signed in at their console (seen now) with this status; offline: not."""
        user = django_user_model.objects.create_user(username=username, password="pw-" + username)
        profile = StaffProfile.objects.create(
            user=user,
            display_name=username.title(),
            status=status,
            last_seen_at=None if status == StaffProfile.Status.OFFLINE else timezone.now(),
        )
        profile.topics.set(topics)
        return user

    return make


@pytest.fixture
def topic(db: None) -> Any:
    from consult.catalogue.models import Topic

    return Topic.objects.create(name="Hundesteuer", slug="hundesteuer")


@pytest.fixture
def on_duty(topic: Any, make_clerk: Callable[..., Any]) -> Any:
    """A clerk of ``topic`` signed in and available: the topic is reachable, a citizen may
    start (consult/catalogue/hours.py); routing offers them the arrivals."""
    return make_clerk("desk", [topic])


@pytest.fixture
def other_topic(db: None) -> Any:
    from consult.catalogue.models import Topic

    return Topic.objects.create(name="Bauantrag", slug="bauantrag")


@pytest.fixture
def dog_service(topic: Any) -> Any:
    """A catalogue service of the topic with documents, fees and processing time."""
    from consult.catalogue.models import Service

    return Service.objects.create(
        name="Hund anmelden",
        slug="hund-anmelden",
        description="Anmeldung eines Hundes zur Hundesteuer",
        required_documents=["Personalausweis", "Nachweis der Hundehaftpflicht"],
        fees="keine Gebühr",
        processing_time="etwa 2 Wochen",
        topic=topic,
    )


@pytest.fixture
def sent_events(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[tuple[str, dict[str, Any]]]]:
    """Records every group_send of the real channel layer (and still sends it)."""
    from channels.layers import get_channel_layer

    layer = get_channel_layer()
    sent: list[tuple[str, dict[str, Any]]] = []
    original = layer.group_send

    async def recording_group_send(group: str, message: dict[str, Any]) -> None:
        sent.append((group, message))
        await original(group, message)

    monkeypatch.setattr(layer, "group_send", recording_group_send)
    yield sent
