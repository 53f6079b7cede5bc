"""Who may open what: every route of the URL configuration (the admin's included) and every
websocket endpoint, for six roles (tests/security/conftest.py), against a rules table.

The routes are read from the URL configuration, not listed here: a route without a rule fails
``test_every_route_has_a_rule`` with "add a rule for ...", so a new view cannot go unchecked.

Each route is asked for with the owner's objects (the citizen's consultation or appointment,
the clerk's consultation, recording and callback request). A token in the path is the
citizen's credential, so a role that does not hold it asks with what it could have: the other
citizen with a near miss of it (one character changed), everyone else with a random one.

Besides the status, every response (refused or allowed) is searched for the world's secrets
(tokens, chat texts, callback questions, appointment names, a recording's purpose): a role
must never be shown one it is not entitled to. A refused request must also change nothing in
the database. The admin shows the manager whatever their model permissions allow, so only the
status is checked there for the manager.
"""

import dataclasses
import re
import secrets
from collections.abc import Callable
from fnmatch import fnmatchcase
from typing import Any

import pytest
from channels.db import database_sync_to_async
from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse

from consult.appointments import feed
from consult.consultations.models import Consultation
from signaling.routing import websocket_urlpatterns
from tests.integration.conftest import connect, receive

from .conftest import ROLES, World, changed_tables, snapshot

# Refused citizens first, owners last: an allowed POST (leave, cancel, done) changes the
# owner's object, which the other roles must still be refused on.
ORDER = ("anonymous", "other_citizen", "other_clerk", "manager", "clerk", "citizen")
OK, LOGIN, ADMIN_LOGIN = "ok", "login", "admin"
# 400: let through to the view, which refuses the request's content (an empty upload)
OUTCOMES = {OK, LOGIN, ADMIN_LOGIN, "400", "403", "404"}


@dataclasses.dataclass(frozen=True)
class Rule:
    """One row of the matrix: the outcome per role, in the order of ``ROLES`` (``ok``: 2xx or
    3xx but not to a login page; ``login``: redirect to the console login; ``admin``: redirect
    to the admin login; ``403``, ``404``), and how to ask."""

    row: str
    method: str = "get"
    data: dict[str, str] = dataclasses.field(default_factory=dict)
    token: str = "active"  # whose token fills <token>: a consultation of World, or appointment
    kwargs: Callable[[World], dict[str, Any]] | None = None

    def expected(self) -> dict[str, str]:
        cells = self.row.split()
        assert len(cells) == len(ROLES) and set(cells) <= OUTCOMES, self.row
        return dict(zip(ROLES, cells, strict=True))


EVERYONE = "ok ok ok ok ok ok"
TOKEN_HOLDER = "404 ok 404 404 404 404"
CLERKS = "login login login ok ok 403"
MANAGERS = "403 403 403 403 403 ok"
ADMIN_STAFF = "admin admin admin admin admin ok"
ADMIN_REFUSED = "admin admin admin admin admin 403"

HTTP_RULES: dict[str, Rule] = {
    #                                       anon  citizen other clerk o.clerk manager
    "frontend:start": Rule(EVERYONE),
    "frontend:start_consultation": Rule(
        EVERYONE, method="post", data={"topic": "hundesteuer", "channel": "chat"}
    ),
    "frontend:video_check": Rule(EVERYONE),
    "frontend:room": Rule(TOKEN_HOLDER),
    "frontend:leave": Rule(TOKEN_HOLDER, method="post"),
    # An empty form is refused in the room (400) for the token holder only.
    "frontend:write_instead": Rule("404 400 404 404 404 404", method="post"),
    "frontend:transcript": Rule(TOKEN_HOLDER, token="ended"),
    "frontend:rate": Rule(TOKEN_HOLDER, method="post", data={"rating": "5"}, token="ended"),
    # Documents in the chat: the empty body reaches the domain only for the parties.
    "frontend:document_upload": Rule("404 400 404 404 404 404", method="post"),
    "frontend:document_download": Rule(TOKEN_HOLDER, kwargs=lambda w: {"pk": w.document.pk}),
    "frontend:clerk_document_upload": Rule(
        "login login login 400 404 403", method="post", kwargs=lambda w: {"pk": w.active.pk}
    ),
    "frontend:clerk_document_download": Rule(
        "login login login ok 404 403",
        kwargs=lambda w: {"pk": w.active.pk, "document": w.document.pk},
    ),
    "frontend:consultation_notes": Rule(
        "login login login ok 404 403", kwargs=lambda w: {"pk": w.active.pk}
    ),
    "frontend:history": Rule(CLERKS),
    "frontend:console_snippets": Rule(CLERKS),
    "frontend:clerk_transcript": Rule(
        "login login login ok 404 404", kwargs=lambda w: {"pk": w.ended.pk}
    ),
    "frontend:console": Rule(CLERKS),
    "frontend:console_requests": Rule(CLERKS),
    "frontend:console_questions": Rule(CLERKS),
    "frontend:calendar": Rule(CLERKS),
    "frontend:new_calendar_feed": Rule(CLERKS, method="post"),
    "frontend:revoke_calendar_feed": Rule(CLERKS, method="post"),
    # The secret in the address is the credential: the clerk asks with theirs, others guess.
    "frontend:calendar_feed": Rule("404 404 404 ok 404 404"),
    "frontend:complete_request": Rule(
        "login login login ok 404 403", method="post", kwargs=lambda w: {"pk": w.callback.pk}
    ),
    "frontend:login": Rule(EVERYONE),
    "frontend:logout": Rule(EVERYONE, method="post"),
    "frontend:staff_home": Rule("login login login ok ok ok"),
    "frontend:statistics": Rule(MANAGERS),
    "frontend:export_figures": Rule(MANAGERS),
    "frontend:export_figures_xlsx": Rule(MANAGERS),
    "frontend:export_consultations": Rule(MANAGERS),
    "frontend:wallboard": Rule(MANAGERS),
    "frontend:recordings": Rule("403 403 403 ok ok ok"),
    "frontend:recording_file": Rule(
        "403 403 403 ok 403 ok", kwargs=lambda w: {"pk": w.recording_file.pk}
    ),
    "frontend:healthz": Rule(EVERYONE),
    # Off without METRICS_TOKEN; with it only its bearer token opens it, never a session
    # (tests/unit/test_metrics.py).
    "frontend:metrics": Rule("404 404 404 404 404 404"),
    "frontend:catalogue": Rule(EVERYONE),
    "frontend:service": Rule(EVERYONE),
    "frontend:navigator": Rule(EVERYONE),
    "frontend:leave_request": Rule(EVERYONE),
    "frontend:request_thanks": Rule(EVERYONE),
    "frontend:ask_question": Rule(EVERYONE),
    # A clerk's take of a written question: clerks only (a consultation that is no written
    # question of theirs is refused inside, with a notice on the console; nothing changes).
    "frontend:take_question": Rule(
        "login login login ok ok 403", method="post", kwargs=lambda w: {"pk": w.other.pk}
    ),
    # The city's legal pages (issue 15), linked from every page's footer.
    "frontend:imprint": Rule(EVERYONE),
    "frontend:privacy": Rule(EVERYONE),
    "frontend:accessibility": Rule(EVERYONE),
    "appointments:book": Rule(EVERYONE),
    "appointments:manage": Rule(TOKEN_HOLDER, token="appointment"),
    "appointments:confirmed": Rule(TOKEN_HOLDER, token="appointment"),
    "appointments:calendar": Rule(TOKEN_HOLDER, token="appointment"),
    "appointments:cancel": Rule(TOKEN_HOLDER, method="post", token="appointment"),
    "appointments:reschedule": Rule(TOKEN_HOLDER, token="appointment"),
    "appointments:join": Rule(TOKEN_HOLDER, method="post", token="appointment"),
    "widget:script": Rule(EVERYONE),
    "widget:topic": Rule(EVERYONE),
    "set_language": Rule(EVERYONE, method="post", data={"language": "de"}),
    "javascript-catalog": Rule(EVERYONE),
    # The admin: staff only (the manager, like the demo's group "Leitung"), then the model
    # permissions. The consultation records are made by the domain: no adding, and what feeds
    # the statistics or the audit is not deleted.
    "admin:login": Rule(EVERYONE),
    "admin:logout": Rule(EVERYONE, method="post"),
    "admin:index": Rule(ADMIN_STAFF),
    "admin:app_list": Rule(ADMIN_STAFF),
    "admin:password_change": Rule(ADMIN_STAFF),
    "admin:password_change_done": Rule(ADMIN_STAFF),
    "admin:jsi18n": Rule(ADMIN_STAFF),
    "admin:autocomplete": Rule(ADMIN_REFUSED),  # without a field to complete
    "admin:view_on_site": Rule("admin admin admin admin admin 404"),  # no public page
    "admin:consult_consultation_add": Rule(ADMIN_REFUSED),
    "admin:consult_message_add": Rule(ADMIN_REFUSED),
    "admin:consult_callbackrequest_add": Rule(ADMIN_REFUSED),
    "admin:consult_appointment_add": Rule(ADMIN_REFUSED),
    "admin:consult_recording_add": Rule(ADMIN_REFUSED),
    "admin:consult_auditevent_add": Rule(ADMIN_REFUSED),
    "admin:consult_consultation_delete": Rule(ADMIN_REFUSED),
    "admin:consult_recording_delete": Rule(ADMIN_REFUSED),
    "admin:consult_auditevent_delete": Rule(ADMIN_REFUSED),
    "admin:consult_*": Rule(ADMIN_STAFF),
    "admin:auth_*": Rule(ADMIN_REFUSED),
    "admin:axes_*": Rule(ADMIN_REFUSED),
    "admin/*/<path:object_id>/": Rule(ADMIN_STAFF),  # redirects to the change page
    "admin/(?P<url>.*)$": Rule("admin admin admin admin admin 404"),  # nothing there
}

WS_RULES: dict[str, str] = {
    #                                             anon citizen other clerk o.clerk manager
    "ws/citizen/<str:token>/": "no yes no no no no",
    "ws/clerk/consultations/<int:consultation_id>/": "no no no yes no no",
    "ws/clerk/queue/": "no no no yes yes no",
    "ws/wallboard/": "no no no no no yes",
}

KWARG = re.compile(r"<(?:\w+:)?(\w+)>|\(\?P<(\w+)>[^)]*\)")


@dataclasses.dataclass(frozen=True)
class Route:
    key: str  # the URL name, or the pattern of an unnamed route
    pattern: str  # the whole pattern, from the root
    kwargs: tuple[str, ...]

    def __str__(self) -> str:
        return self.key


def walk(patterns: list[Any], prefix: str = "", namespace: str = "") -> list[Route]:
    routes = []
    for entry in patterns:
        pattern = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            routes += walk(entry.url_patterns, pattern, inner)
        else:
            assert isinstance(entry, URLPattern)
            names = tuple(a or b for a, b in KWARG.findall(pattern))
            key = f"{namespace}{entry.name}" if entry.name else pattern
            routes.append(Route(key, pattern, names))
    return routes


HTTP_ROUTES = walk(get_resolver().url_patterns)
WS_ROUTES = walk(websocket_urlpatterns)


def rule_for(route: Route) -> Rule | None:
    """The exact rule for the route, else the first pattern in the table that matches it."""
    if route.key in HTTP_RULES:
        return HTTP_RULES[route.key]
    for key, rule in HTTP_RULES.items():
        if fnmatchcase(route.key, key):
            return rule
    return None


def test_every_route_has_a_rule() -> None:
    missing = [f"add a rule for {r.key} ({r.pattern})" for r in HTTP_ROUTES if not rule_for(r)]
    missing += [f"add a rule for websocket {r.key}" for r in WS_ROUTES if r.key not in WS_RULES]
    assert not missing, "\n".join(missing)


def test_every_rule_is_used() -> None:
    """A rule for a route that is gone (renamed) would leave its successor to a pattern."""
    keys = [r.key for r in HTTP_ROUTES]
    unused = [k for k in HTTP_RULES if not any(k == key or fnmatchcase(key, k) for key in keys)]
    unused += [k for k in WS_RULES if k not in {r.key for r in WS_ROUTES}]
    assert not unused, f"rules for routes that do not exist: {unused}"


def test_the_matrix_covers_the_admin_and_every_frontend_route() -> None:
    keys = {r.key for r in HTTP_ROUTES}
    assert {"admin:index", "admin:consult_recording_change", "frontend:room"} <= keys
    assert len(HTTP_ROUTES) > 100 and WS_ROUTES


# --- Filling a route with the owner's objects ----------------------------------------------


def guessed_token(real: str, role: str) -> str:
    """What a role without the token could try: a near miss, or a random token."""
    if role == "other_citizen":
        return real[:-1] + ("A" if real[-1] != "A" else "B")
    return secrets.token_urlsafe(32)


def owners_token(world: World, which: str) -> str:
    if which == "appointment":
        return world.appointment.token
    return getattr(world, which).public_token


def admin_object(route: Route) -> Any:
    """The first object of the model an admin route is about (admin/<app>/<model>/...)."""
    _, app_label, model_name = route.pattern.split("/")[:3]
    found = apps.get_model(app_label, model_name).objects.order_by("pk").first()
    assert found is not None, f"{route.key}: the world has no {app_label}.{model_name}"
    return found


def kwargs_for(route: Route, rule: Rule, world: World, role: str) -> dict[str, Any]:
    values = rule.kwargs(world) if rule.kwargs else {}
    for name in route.kwargs:
        if name in values:
            continue
        if name == "token":
            real = owners_token(world, rule.token)
            values[name] = real if role == "citizen" else guessed_token(real, role)
        elif name == "secret":  # the clerk's calendar feed (a new secret each time)
            real = feed.regenerate_calendar_feed(clerk=world.clerk)
            values[name] = real if role == "clerk" else secrets.token_urlsafe(32)
        elif name == "topic":
            values[name] = world.topic.slug
        elif name == "slug":
            values[name] = world.service.slug
        elif name == "extension":
            values[name] = "txt"  # the PDF's text is compressed: the secrets search needs text
        elif name == "app_label":
            values[name] = "consult"
        elif name == "url":
            values[name] = "nichts-hier/"
        elif name == "content_type_id":
            values[name] = ContentType.objects.get_for_model(Consultation).pk
        elif name == "object_id" and route.key == "admin:view_on_site":
            values[name] = world.active.pk
        elif name in ("object_id", "id"):
            values[name] = admin_object(route).pk
        else:
            raise AssertionError(f"{route.key}: tell kwargs_for how to fill <{name}>")
    return values


def url_for(route: Route, values: dict[str, Any]) -> str:
    if route.key != route.pattern:
        url = reverse(route.key, kwargs=values)
    else:  # an unnamed route: put the values into its pattern
        url = "/" + KWARG.sub(lambda m: str(values[m.group(1) or m.group(2)]), route.pattern)
        url = url.replace("^", "").replace("$", "")
    return url


# --- The HTTP matrix ---------------------------------------------------------------------


def body(response: Any) -> str:
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return content.decode("utf-8", "replace")


def verdict(outcome: str, response: Any) -> bool:
    status, location = response.status_code, response.get("Location", "")
    if outcome == OK:
        return 200 <= status < 400 and "?next=" not in location
    if outcome == LOGIN:
        return status == 302 and location.startswith(reverse("frontend:login") + "?next=")
    if outcome == ADMIN_LOGIN:
        return status == 302 and location.startswith(reverse("admin:login") + "?next=")
    return status == int(outcome)


@pytest.mark.parametrize("route", HTTP_ROUTES, ids=str)
def test_http_route(route: Route, world: World) -> None:
    rule = rule_for(route)
    assert rule is not None, f"add a rule for {route.key}"
    expected = rule.expected()
    failures = []
    for role in ORDER:
        url = url_for(route, kwargs_for(route, rule, world, role))
        assert resolve(url).route == route.pattern.replace("^", ""), f"{url}: not {route.key}"
        before = snapshot() if expected[role] != OK and not url.startswith("/admin/") else None
        response = getattr(world.client(role), rule.method)(url, rule.data)
        if not verdict(expected[role], response):
            got = f"{response.status_code} {response.get('Location', '')}"
            failures.append(f"{role}: expected {expected[role]}, got {got}")
        if not (role == "manager" and url.startswith("/admin/")):
            leaked = world.leaks(body(response), role)
            if leaked:
                failures.append(f"{role}: was shown what is not theirs: {leaked}")
        if before is not None and (changed := changed_tables(before, snapshot())):
            failures.append(f"{role}: refused, yet changed {changed}")
    assert not failures, f"{rule.method.upper()} {route.key}:\n" + "\n".join(failures)


# --- The websocket matrix ----------------------------------------------------------------


def ws_path(route: Route, world: World, role: str) -> str:
    values: dict[str, Any] = {}
    for name in route.kwargs:
        if name == "token":
            real = world.active.public_token
            values[name] = real if role == "citizen" else guessed_token(real, role)
        elif name == "consultation_id":
            values[name] = world.active.pk
        else:
            raise AssertionError(f"{route.key}: tell ws_path how to fill <{name}>")
    return url_for(route, values)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("route", WS_ROUTES, ids=str)
async def test_websocket_route(route: Route, world: World) -> None:
    assert route.key in WS_RULES, f"add a rule for websocket {route.key}"
    expected = dict(zip(ROLES, WS_RULES[route.key].split(), strict=True))
    failures = []
    for role in ORDER:
        path = await database_sync_to_async(ws_path)(route, world, role)
        communicator, accepted = await connect(path, cookie=world.cookie(role))
        try:
            if accepted != (expected[role] == "yes"):
                failures.append(f"{role}: expected {expected[role]}, accepted={accepted}")
            if accepted:  # what it is sent first must be the role's own business
                first = await receive(communicator)
                if leaked := world.leaks(str(first), role):
                    failures.append(f"{role}: was sent what is not theirs: {leaked}")
        finally:
            await communicator.disconnect()
    assert not failures, f"{route.key}:\n" + "\n".join(failures)
