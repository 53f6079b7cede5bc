"""Importing the service catalogue: good files, bad rows with clear messages, all or nothing,
re-import updates instead of duplicating."""

import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from consult import demo
from consult.catalogue.importer import CatalogueImportError, import_catalogue_file
from consult.catalogue.models import Office, Service

pytestmark = pytest.mark.django_db
DATA = Path(__file__).parent / "data"


def service(**overrides):
    return {
        "slug": "hund-anmelden",
        "name": "Hund anmelden",
        "topic": "hundesteuer",
        "description": "Wer einen Hund hält, meldet ihn an.",
        "required_documents": ["Personalausweis"],
        "links": [{"title": "Satzung", "url": "https://example.de/satzung.pdf"}],
        **overrides,
    }


def write(tmp_path, data, name="catalogue.json"):
    path = tmp_path / name
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_a_good_json_file_creates_offices_and_services(tmp_path, topic):
    path = write(
        tmp_path,
        {
            "offices": [{"name": "Steueramt", "phone": "+49 1234 5678"}],
            "services": [service(office="Steueramt", keywords=["Hund", "Welpe"])],
        },
    )
    result = import_catalogue_file(path=path)
    assert (result.created, result.updated, result.offices) == (1, 0, 1)
    imported = Service.objects.get()
    assert imported.topic == topic and imported.office.name == "Steueramt"
    assert imported.keywords == "Hund, Welpe"
    assert imported.required_documents == ["Personalausweis"]


def test_a_good_csv_file_with_lists_links_and_offices(topic, other_topic):
    result = import_catalogue_file(path=DATA / "catalogue_good.csv")
    assert (result.created, result.offices) == (2, 1)
    dog = Service.objects.get(slug="hund-anmelden")
    assert dog.leika_key == "99000000010001"
    assert dog.required_documents == ["Personalausweis", "Angaben zum Hund"]
    assert dog.links == [{"title": "Satzung", "url": "https://example.de/satzung.pdf"}]
    assert dog.office.email == "steuer@example.de"
    assert Service.objects.get(slug="bauantrag-stellen").office is None


def test_bad_rows_are_reported_by_row_and_field_and_nothing_is_imported(tmp_path, topic):
    path = write(
        tmp_path,
        [
            service(slug="gut"),
            service(slug="kaputt", leika_key="12345"),
            service(slug="link", links=[{"title": "x", "url": "javascript:alert(1)"}]),
            service(slug="ohne-thema", topic="gibt-es-nicht"),
            service(slug="gut"),
            service(slug="leer", name=""),
        ],
    )
    with pytest.raises(CatalogueImportError) as raised:
        import_catalogue_file(path=path)
    problems = {(e.row, e.field) for e in raised.value.errors}
    assert problems == {
        ("service 2", "leika_key"),
        ("service 3", "links"),
        ("service 4", "topic"),
        ("service 5", "slug"),
        ("service 6", "name"),
    }
    messages = [str(e) for e in raised.value.errors]
    assert "service 2, leika_key: Ein LeiKa-Schlüssel hat genau 14 Ziffern." in messages
    assert Service.objects.count() == 0  # the good first row was rolled back too


def test_reimport_updates_by_slug_or_leika_key(tmp_path, topic):
    import_catalogue_file(path=write(tmp_path, [service(leika_key="99000000010001")]))
    changed = service(slug="hund-anmelden", fees="120 € im Jahr", leika_key="99000000010001")
    result = import_catalogue_file(path=write(tmp_path, [changed]))
    assert (result.created, result.updated) == (0, 1)
    renamed = service(slug="hund-anmelden-neu", leika_key="99000000010001")
    import_catalogue_file(path=write(tmp_path, [renamed]))
    only = Service.objects.get()
    assert only.slug == "hund-anmelden-neu"


def test_malformed_files_are_refused_with_a_reason(tmp_path, topic):
    with pytest.raises(CatalogueImportError, match="expected a list of services"):
        import_catalogue_file(path=write(tmp_path, "x"))
    bad = tmp_path / "b.json"
    bad.write_text("{nope", encoding="utf-8")
    with pytest.raises(CatalogueImportError, match="not valid JSON"):
        import_catalogue_file(path=bad)
    with pytest.raises(CatalogueImportError, match="unknown field"):
        import_catalogue_file(path=write(tmp_path, [service(colour="blau")]))
    header = tmp_path / "c.csv"
    header.write_text("slug,name,topic\n", encoding="utf-8")
    with pytest.raises(CatalogueImportError, match="missing column description"):
        import_catalogue_file(path=header)
    with pytest.raises(CatalogueImportError, match=r"expected a \.json or \.csv"):
        import_catalogue_file(path=tmp_path / "d.xml")


def test_the_command_prints_every_problem_and_fails(tmp_path, topic, capsys):
    path = write(tmp_path, [service(leika_key="abc"), service(slug="x", topic="nope")])
    with pytest.raises(CommandError, match="2 problem"):
        call_command("import_catalogue", str(path))
    err = capsys.readouterr().err
    assert "service 1, leika_key" in err and "service 2, topic" in err
    call_command("import_catalogue", str(write(tmp_path, [service()])))
    assert "Imported 1 services (1 new, 0 updated)" in capsys.readouterr().out


def test_the_demo_catalogue_loads_through_the_import_and_again_without_duplicates():
    demo.load_demo()
    demo.load_demo()
    # A city-sized catalogue (issue 17): every service has an office and a topic a clerk serves.
    assert Service.objects.count() >= 150
    assert Office.objects.count() >= 20
    assert not Service.objects.filter(office__isnull=True).exists()
    every_topic_has_a_clerk = all(
        s.topic.staff.exists() for s in Service.objects.select_related("topic")
    )
    assert every_topic_has_a_clerk
