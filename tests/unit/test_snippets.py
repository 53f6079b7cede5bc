"""Text snippets for clerks: who is offered which snippets (their topics' and their own), a
clerk changes and deletes only their own, the checks of a snippet, and a service snippet
carrying the catalogue's facts."""

import json

import pytest
from django.core.exceptions import ValidationError

from consult.chat import snippets
from consult.chat.models import Snippet

pytestmark = pytest.mark.django_db

PAGE = "/console/snippets/"


def offered_titles(clerk) -> list[str]:
    return [s.title for s in snippets.snippets_for_clerk(clerk)]


def console_snippets(client) -> list[dict]:
    content = client.get("/console/").content.decode()
    start = content.index('<script id="console-config" type="application/json">')
    raw = content[start:].split(">", 1)[1].split("</script>", 1)[0]
    return json.loads(raw)["snippets"]


def test_a_clerk_is_offered_their_topics_and_their_own_snippets_only(
    client, make_clerk, topic, other_topic
):
    anna = make_clerk("anna", [topic])
    bernd = make_clerk("bernd", [other_topic])
    Snippet.objects.create(title="Begrüßung Hundesteuer", body="Guten Tag!", topic=topic)
    Snippet.objects.create(title="Bauantrag Fristen", body="Vier Wochen.", topic=other_topic)
    snippets.save_personal_snippet(clerk=anna, title="Annas Gruß", body="Viele Grüße, Anna")
    snippets.save_personal_snippet(clerk=bernd, title="Bernds Gruß", body="Gruß, Bernd")

    assert offered_titles(anna) == ["Begrüßung Hundesteuer", "Annas Gruß"]
    assert offered_titles(bernd) == ["Bauantrag Fristen", "Bernds Gruß"]
    client.force_login(anna)
    listed = console_snippets(client)
    assert [(s["title"], s["source"], s["text"]) for s in listed] == [
        ("Begrüßung Hundesteuer", "Hundesteuer", "Guten Tag!"),
        ("Annas Gruß", "persönlich", "Viele Grüße, Anna"),
    ]
    page = client.get(PAGE).content.decode()
    assert "Annas Gruß" in page and "Bernd" not in page and "Bauantrag" not in page


def test_a_service_snippet_carries_the_catalogues_facts(client, make_clerk, topic, dog_service):
    anna = make_clerk("anna", [topic])
    Snippet.objects.create(
        title="Unterlagen", body="Bitte bringen Sie mit:", topic=topic, service=dog_service
    )
    client.force_login(anna)
    [listed] = console_snippets(client)
    assert listed["text"] == (
        "Bitte bringen Sie mit:\n\n"
        "Hund anmelden\n"
        "Erforderliche Unterlagen:\n"
        "- Personalausweis\n"
        "- Nachweis der Hundehaftpflicht\n"
        "Gebühren: keine Gebühr\n"
        "Bearbeitungsdauer: etwa 2 Wochen\n"
        "Mehr auf der Seite der Leistung: http://127.0.0.1:8000/services/hund-anmelden/"
    )
    dog_service.fees = "15 Euro"  # the catalogue changes: the snippet follows it
    dog_service.save()
    assert "Gebühren: 15 Euro" in console_snippets(client)[0]["text"]


def test_a_clerk_writes_changes_and_deletes_their_own_snippet_on_the_page(
    client, make_clerk, topic, dog_service
):
    anna = make_clerk("anna", [topic])
    client.force_login(anna)
    response = client.post(
        PAGE, {"action": "save", "title": "Gebühren", "body": "", "service": dog_service.pk}
    )
    assert response.status_code == 302
    snippet = Snippet.objects.get()
    assert (snippet.owner, snippet.topic, snippet.service) == (anna, None, dog_service)
    assert "Der Textbaustein wurde gespeichert." in client.get(PAGE).content.decode()
    client.post(PAGE, {"action": "save", "snippet": snippet.pk, "title": "Kosten", "body": "x"})
    snippet.refresh_from_db()
    assert (snippet.title, snippet.body, snippet.service) == ("Kosten", "x", None)
    client.post(PAGE, {"action": "delete", "snippet": snippet.pk})
    assert not Snippet.objects.exists()


def test_a_clerk_cannot_change_or_delete_another_clerks_or_a_topics_snippet(
    client, make_clerk, topic
):
    anna = make_clerk("anna", [topic])
    ben = make_clerk("ben", [topic])
    annas = snippets.save_personal_snippet(clerk=anna, title="Annas", body="von Anna")
    topics = Snippet.objects.create(title="Thema", body="vom Thema", topic=topic)
    client.force_login(ben)
    for target in (annas, topics):
        changed = client.post(
            PAGE, {"action": "save", "snippet": target.pk, "title": "Bens", "body": "von Ben"}
        )
        assert changed.status_code == 400
        assert "für Sie nicht mehr verfügbar" in changed.content.decode()
        assert client.post(PAGE, {"action": "delete", "snippet": target.pk}).status_code == 400
    assert list(Snippet.objects.order_by("pk").values_list("title", "body")) == [
        ("Annas", "von Anna"),
        ("Thema", "vom Thema"),
    ]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"title": " ", "body": "Text"}, "Bitte geben Sie dem Textbaustein einen Titel."),
        ({"title": "x" * 81, "body": "Text"}, "Der Titel ist zu lang (höchstens 80 Zeichen)."),
        ({"title": "Leer", "body": "  "}, "Bitte geben Sie einen Text ein oder wählen Sie eine"),
        ({"title": "Lang", "body": "x" * 2001}, "höchstens 2.000 Zeichen"),
        ({"title": "Dienst", "body": "", "service": "999999"}, "nicht (mehr) im Katalog"),
        ({"title": "NUL", "body": "a\x00b"}, ""),
    ],
)
def test_an_invalid_snippet_is_refused_in_german_and_stores_nothing(
    client, make_clerk, topic, fields, message
):
    client.force_login(make_clerk("anna", [topic]))
    response = client.post(PAGE, {"action": "save", **fields})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Snippet.objects.exists()


def test_a_topic_snippet_needs_a_topic_and_a_text_or_service(topic):
    with pytest.raises(ValidationError):
        Snippet(title="ohne Thema", body="Text").full_clean()
    with pytest.raises(ValidationError):
        Snippet(title="leer", body="", topic=topic).full_clean()
    Snippet(title="gut", body="Text", topic=topic).full_clean()


def test_the_page_is_for_clerks_only(client, manager):
    assert client.get(PAGE).status_code == 302
    client.force_login(manager)
    assert client.get(PAGE).status_code == 403
