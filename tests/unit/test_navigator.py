"""The navigator finds services from a citizen's own words, on PostgreSQL and in the fallback.

tests/unit/test_sqlite_fallback.py runs this module again on SQLite (the embedded default)."""

import pytest
from django.db import connection

from consult.catalogue import navigator
from tests.conftest import SQLITE_RUN

pytestmark = pytest.mark.django_db
on_postgresql = pytest.mark.skipif(SQLITE_RUN, reason="PostgreSQL full-text search")


def top(question, **kwargs):
    return [h.service.slug for h in navigator.search(question, limit=3, **kwargs)]


def test_the_default_backend_follows_the_database(catalogue):
    assert connection.vendor == ("sqlite" if SQLITE_RUN else "postgresql")
    assert top("Hundesteuer")[0] == "hund-anmelden"


@on_postgresql
def test_german_stemming_finds_the_dog_tax_for_dogs(catalogue):
    assert top("Hunde", backend="postgresql")[0] == "hund-anmelden"
    assert top("Ich habe einen Hund gekauft", backend="postgresql")[0] == "hund-anmelden"
    assert top("Wohnungen anmelden", backend="postgresql")[0] == "wohnung-anmelden"


@pytest.mark.parametrize("backend", [None, "fallback"])
@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("neue Wohnung anmelden", "wohnung-anmelden"),
        ("Ich will heiraten", "eheschliessung"),
        ("Mein altes Sofa muss weg", "sperrmuell"),
        ("Personalausweis abgelaufen", "personalausweis"),
    ],
)
def test_plain_questions_find_their_service(catalogue, backend, question, expected):
    if backend is None and SQLITE_RUN:
        backend = "fallback"
    assert expected in top(question, backend=backend)


@pytest.mark.parametrize("backend", [None, "fallback"])
def test_synonyms_link_everyday_words_to_official_ones(catalogue, backend):
    backend = "fallback" if SQLITE_RUN else backend
    # "Auto" appears nowhere in the Kfz services' names; the synonym group links it.
    assert top("Auto", backend=backend)[0].startswith("kfz-")
    assert "ummeldung" in top("Wir sind umgezogen", backend=backend)


def test_the_fallback_stems_and_finds_words_inside_compounds(catalogue):
    assert navigator.stem("hunde") == "hund"
    assert navigator.stem("wohnungen") == "wohnung"
    assert top("Hunde", backend="fallback")[0] == "hund-anmelden"
    assert top("Zulassungsbescheinigung", backend="fallback")  # inside compounds of the texts


def test_empty_or_meaningless_questions_find_nothing(catalogue):
    assert navigator.search("") == []
    assert navigator.search("ich habe eine Frage") == []
    assert navigator.search("Xylophonquartett") == []
    assert navigator.search("' OR 1=1 -- :* & | !") == []  # no tsquery syntax gets through


def test_inactive_services_are_not_found(catalogue):
    from consult.catalogue.models import Service

    Service.objects.filter(slug="hund-anmelden").update(active=False)
    assert "hund-anmelden" not in top("Hund")
    assert "hund-anmelden" not in top("Hund", backend="fallback")
