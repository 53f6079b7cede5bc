"""Every form an anonymous visitor can send, with odd values in every field.

Each field alone (the others valid), then all fields at once, with each odd value; every post
is sent twice (a double click, a resend), and a valid post twice. Never a server error; a post
is either accepted (a redirect, or the page a search form answers with) or refused: a 4xx, or
a 200 page showing what to correct. A refused post stores nothing (the watched tables of
tests/security/conftest.py), and every page comes back in German (``lang="de"``): no
language was chosen.

Each case runs in a savepoint that is rolled back, so every case meets the same world.
"""

import dataclasses
import inspect
from collections.abc import Callable
from typing import Any

import pytest
from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.db import transaction
from django.test import Client
from django.urls import reverse

from consult.appointments import slots
from consult.consultations.models import Consultation
from frontend import appointment_forms
from frontend import forms as public_forms
from frontend.appointment_forms import slot_value

from .conftest import World, changed_tables, snapshot

EMAIL_259 = "a" * 64 + "@" + ".".join(["b" * 63, "c" * 63, "d" * 63, "de"])
ODD = {
    "NUL": "Hund\x00steuer",
    "257 characters": "x" * 257,
    "5,000 characters": "ä" * 5000,
    "e-mail of 259 characters": EMAIL_259,
    "emoji": "🐕\u200d🦺 Bello 🇩🇪",
    "RTL marks": "\u202eBello\u200f \u202b",
    "markup": '<script>alert("x")</script><b onmouseover=alert(1)>',
    "empty": "",
    "whitespace only": " \t\r\n\u00a0",
}
ERRORS = ('class="error-summary"', 'class="field-error"', 'class="errornote"', 'class="errorlist')


def waiting_in(world: World) -> Consultation:
    """A chat of the world's topic waiting in the queue."""
    return Consultation.objects.create(topic=world.topic, channel=Consultation.Channel.CHAT)


def first_free_slot(world: World) -> dict[str, str]:
    day = min(slots.bookable_days(topic=world.topic))
    slot = slots.slots_on(topic=world.topic, day=day)[0]
    return {"day": day.isoformat(), "slot": slot_value(slot.starts_at)}


@dataclasses.dataclass(frozen=True)
class PublicForm:
    url: Callable[[World], str]
    valid: Callable[[World], dict[str, str]]  # a post the form accepts; its keys are the fields
    form: type[forms.Form] | None = None  # whose fields the post must cover
    method: str = "post"


FORMS = {
    "start a consultation": PublicForm(
        lambda w: reverse("frontend:start_consultation"),
        lambda w: {
            "topic": w.topic.slug,
            "channel": "chat",
            "service": w.service.slug,
            "concern": "Ich möchte meinen Hund anmelden.",
        },
        public_forms.StartConsultationForm,
    ),
    "feedback": PublicForm(
        lambda w: reverse("frontend:rate", args=[w.ended.public_token]),
        lambda w: {"rating": "4", "comment": "Sehr freundlich."},
        public_forms.FeedbackForm,
    ),
    "navigator": PublicForm(
        lambda w: reverse("frontend:navigator"),
        lambda w: {"q": "Ich habe einen Hund gekauft"},
        public_forms.NavigatorForm,
        method="get",
    ),
    "callback request": PublicForm(
        lambda w: reverse("frontend:leave_request"),
        lambda w: {
            "topic": w.topic.slug,
            "question": "Wann muss ich zahlen?",
            "name": "Erika",
            "email": "erika@example.org",
            "phone": "+49 30 1234567",
        },
        public_forms.CallbackRequestForm,
    ),
    "written question": PublicForm(
        lambda w: reverse("frontend:ask_question"),
        lambda w: {
            "topic": w.topic.slug,
            "service": w.service.slug,
            "question": "Wann muss ich zahlen?",
            "email": "erika@example.org",
        },
        public_forms.QuestionForm,
    ),
    "written question instead": PublicForm(
        # In the waiting room: the citizen's own waiting consultation becomes the question.
        lambda w: reverse("frontend:write_instead", args=[waiting_in(w).public_token]),
        lambda w: {"instead-question": "Wann muss ich zahlen?", "instead-email": "e@example.org"},
        public_forms.WriteInsteadForm,
    ),
    "booking day": PublicForm(
        lambda w: reverse("appointments:book", args=[w.topic.slug]),
        lambda w: {"day": first_free_slot(w)["day"]},
        method="get",
    ),
    "booking": PublicForm(
        lambda w: reverse("appointments:book", args=[w.topic.slug]),
        lambda w: {
            **first_free_slot(w),
            "name": "Erika Mustermann",
            "email": "erika@example.org",
            "phone": "",
            "concern": "Ich möchte meinen Hund anmelden.",
        },
        appointment_forms.BookingForm,
    ),
    "reschedule": PublicForm(
        lambda w: reverse("appointments:reschedule", args=[w.appointment.token]),
        first_free_slot,
        appointment_forms.SlotForm,
    ),
    "cancel": PublicForm(
        lambda w: reverse("appointments:cancel", args=[w.appointment.token]), lambda w: {}
    ),
    "join": PublicForm(
        lambda w: reverse("appointments:join", args=[w.appointment.token]), lambda w: {}
    ),
    "leave": PublicForm(
        lambda w: reverse("frontend:leave", args=[w.active.public_token]), lambda w: {}
    ),
    "console login": PublicForm(
        lambda w: reverse("frontend:login"),
        lambda w: {"username": "anna", "password": "pw-anna", "next": "/console/"},
        public_forms.StaffAuthenticationForm,
    ),
    "admin login": PublicForm(
        lambda w: reverse("admin:login"),
        lambda w: {"username": "maria", "password": "pw-maria", "next": "/admin/"},
        AuthenticationForm,
    ),
    "set language": PublicForm(
        lambda w: reverse("set_language"), lambda w: {"language": "en", "next": "/"}
    ),
}
# Forms only staff get to see (tests/security/test_authorization_matrix.py keeps others out).
STAFF_ONLY = {public_forms.CallbackDoneForm}


def defined_forms() -> set[type[forms.Form]]:
    return {
        cls
        for module in (public_forms, appointment_forms)
        for _, cls in inspect.getmembers(module, inspect.isclass)
        if issubclass(cls, forms.Form) and cls.__module__ == module.__name__
    }


def test_every_form_is_in_the_table(db: None) -> None:
    """Every form, or a form built on it (its fields are posted there), is in the table."""
    covered = {form.form for form in FORMS.values() if form.form} | STAFF_ONLY
    missing = [f for f in defined_forms() if not any(issubclass(c, f) for c in covered)]
    assert not missing, f"add the new form to FORMS: {missing}"


def cases(fields: list[str]) -> list[tuple[str, dict[str, str]]]:
    """(label, the fields to replace): each field alone, then all at once."""
    found = []
    for label, value in ODD.items():
        found += [(f"{field}={label}", {field: value}) for field in fields]
        if len(fields) > 1:
            found.append((f"all fields={label}", dict.fromkeys(fields, value)))
    return found


def outcome(response: Any, method: str) -> str:
    """``accepted`` or ``refused``, or what is wrong with the response."""
    status = response.status_code
    page = response.content.decode("utf-8", "replace") if not response.streaming else ""
    if "<html" in page and '<html lang="de"' not in page:
        return f"{status} not in German"
    if 300 <= status < 400:
        return "accepted"
    if 400 <= status < 500:
        return "refused"
    if status == 200 and any(marker in page for marker in ERRORS):
        return "refused"
    if status == 200 and method == "get":
        return "accepted"
    return f"{status} without a reason shown"


@pytest.mark.parametrize("name", FORMS)
def test_odd_values_are_refused_or_taken_never_a_server_error(name: str, world: World) -> None:
    public = FORMS[name]
    valid = public.valid(world)
    if public.form is not None:
        prefix = f"{public.form.prefix}-" if public.form.prefix else ""
        missing = {prefix + field for field in public.form.base_fields} - set(valid)
        assert not missing, f"{name}: the valid post lacks {missing}"
    url = public.url(world)
    failures = []
    for label, odd in [("valid", {}), *cases(sorted(valid))]:
        data = {**valid, **odd}
        with transaction.atomic():
            before = snapshot()
            client = Client()
            for attempt in ("first", "again"):
                try:
                    response = getattr(client, public.method)(url, data)
                except Exception as error:  # the test client re-raises a 500's cause
                    failures.append(f"{label} ({attempt}): server error {error!r}")
                    break
                result = outcome(response, public.method)
                if result not in ("accepted", "refused"):
                    failures.append(f"{label} ({attempt}): {result}")
                elif label == "valid" and attempt == "first" and result != "accepted":
                    failures.append(f"valid: refused ({response.status_code})")
                elif result == "refused" and (changed := changed_tables(before, snapshot())):
                    failures.append(f"{label} ({attempt}): refused, yet changed {changed}")
                before = snapshot()
            transaction.set_rollback(True)
    assert not failures, f"{name}:\n" + "\n".join(failures)
