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
    # "Auto" appears nowhere in the Kfz services' names; the synonym group links it. (With
    # the city-sized catalogue "Auto abgeschleppt" and "Autowrack melden" compete for the
    # bare word, so the registration is among the first three, not necessarily first.)
    assert "kfz-neuzulassung" in top("Auto", backend=backend)
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


@pytest.mark.parametrize("backend", [None, "fallback"])
@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("Angelschein", "fischereischein"),  # the citizens' word for the official one
        ("Ich habe ein Knöllchen bekommen", "verwarnungsgeld"),
        ("neuen Perso beantragen", "personalausweis"),
        ("Dackel gestorben", "hund-abmelden"),
    ],
)
def test_citizens_words_find_the_official_service(catalogue, backend, question, expected):
    backend = "fallback" if SQLITE_RUN else backend
    found = navigator.answer(question, backend=backend)
    assert [h.service.slug for h in found.hits][:1] == [expected]
    assert found.confident


def test_compounds_the_catalogue_does_not_know_are_split_into_words_it_knows():
    vocabulary = frozenset({"hund", "anmeldung", "angel", "schein", "gewerbe"})
    assert navigator.split_compound("hundeanmeldung", vocabulary) == ["hunde", "anmeldung"]
    assert navigator.split_compound("angelschein", vocabulary) == ["angel", "schein"]
    assert navigator.split_compound("gewerbeschein", vocabulary) == ["gewerbe", "schein"]
    assert navigator.split_compound("schein", vocabulary) == []  # too short to be a compound
    assert navigator.split_compound("xylophonquartett", vocabulary) == []


@pytest.mark.parametrize("backend", [None, "fallback"])
@pytest.mark.parametrize(
    "question", ["Handyvertrag kündigen", "Patent anmelden", "Krankenkasse wechseln"]
)
def test_a_question_without_a_fitting_service_gets_no_confident_answer(
    catalogue, backend, question
):
    """Both backends may still list loosely matching services, but are not confident."""
    backend = "fallback" if SQLITE_RUN else backend
    assert not navigator.answer(question, backend=backend).confident


def test_the_two_backends_agree_on_confidence(catalogue):
    if SQLITE_RUN:
        pytest.skip("PostgreSQL full-text search")
    for question in ("Ich habe einen Hund gekauft", "Schlagloch", "Patent anmelden", "Grundsteuer"):
        postgresql = navigator.answer(question, backend="postgresql")
        fallback = navigator.answer(question, backend="fallback")
        assert postgresql.confident == fallback.confident, question
        assert postgresql.hits[0].service == fallback.hits[0].service, question
