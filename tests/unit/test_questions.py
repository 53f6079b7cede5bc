"""Written questions (issue 14): asked while nobody is there, taken from the console's list,
answered in the chat view; the first answer tells the citizen by e-mail (a link, no content);
their own figures, outside the live ones."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from consult.chat import messages
from consult.consultations.models import Consultation, Message
from consult.errors import DomainError
from consult.queue import questions, routing, selectors
from consult.statistics import figures
from consult.statistics.filters import Filters
from consult.statistics.questions import answer_times

pytestmark = pytest.mark.django_db
QUESTION = "Ich habe einen zweiten Hund. Wie viel Hundesteuer zahle ich dafür?"


def ask(**fields):
    return questions.ask_question(
        topic_slug="hundesteuer", question=QUESTION, **{"email": "b@example.org", **fields}
    )


def answer(consultation, clerk, body, client_id):
    return messages.post_message(
        consultation_id=consultation.pk,
        sender="clerk",
        body=body,
        client_id=client_id,
        author=clerk,
    )


def test_a_question_is_asked_while_nobody_is_there_and_never_enters_the_live_queue(
    topic, make_clerk
):
    asked = ask()  # nobody signed in: a chat would be refused, a question is taken
    assert (asked.channel, asked.state, asked.notify_email) == ("async", "asked", "b@example.org")
    entry = asked.messages.get()
    assert (entry.seq, entry.kind, entry.sender, entry.body) == (1, "question", "citizen", QUESTION)
    assert entry.state_after == "asked"
    assert asked.concern == QUESTION  # the console's list shows its first words
    anna = make_clerk("anna", [topic])  # someone comes: no ring, no place in the queue
    routing.dispatch()
    asked.refresh_from_db()
    assert asked.offered_to is None and selectors.queue_position(asked) is None
    assert selectors.console_snapshot(anna)["waiting"] == []
    with pytest.raises(DomainError) as taken_live:
        routing.accept(consultation_id=asked.pk, clerk=anna)
    assert taken_live.value.code == "already_taken"  # not a live consultation


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"question": "   "}, "empty_message"),
        ({"question": "x" * 4001}, "message_too_long"),
        ({"question": "Hund\x00steuer"}, "invalid_characters"),
        ({"email": "kein-at-zeichen"}, "invalid_email"),
        ({"topic_slug": "gibt-es-nicht"}, "unknown_topic"),
    ],
)
def test_a_bad_question_is_refused_and_stores_nothing(topic, fields, code):
    with pytest.raises(DomainError) as refused:
        questions.ask_question(
            **{"topic_slug": "hundesteuer", "question": QUESTION, "email": "", **fields}
        )
    assert refused.value.code == code
    assert not Consultation.objects.exists()


def test_clerks_of_the_topic_see_the_questions_oldest_first_and_one_takes_each(
    topic, other_topic, make_clerk
):
    now = timezone.now()
    older = ask(now=now - timedelta(hours=9))
    newer = ask(now=now - timedelta(hours=1))
    questions.ask_question(topic_slug="bauantrag", question="Bauantrag?", now=now)
    anna, ben = make_clerk("anna", [topic]), make_clerk("ben", [topic])
    bernd = make_clerk("bernd", [other_topic])
    listed = selectors.open_questions(anna)
    assert [group["topic"] for group in listed] == ["Hundesteuer"]
    assert [q.pk for q in listed[0]["questions"]] == [older.pk, newer.pk]
    with pytest.raises(DomainError) as not_theirs:
        questions.take_question(consultation_id=older.pk, clerk=bernd)
    assert not_theirs.value.code == "not_found"
    taken = questions.take_question(consultation_id=older.pk, clerk=anna)
    assert (taken.state, taken.clerk, taken.first_accepted_at) == ("active", anna, None)
    with pytest.raises(DomainError) as twice:
        questions.take_question(consultation_id=older.pk, clerk=ben)
    assert twice.value.code == "already_taken"
    assert [q.pk for q in selectors.open_questions(ben)[0]["questions"]] == [newer.pk]
    # It is the clerk's conversation, and takes no room from live chats.
    assert [c["id"] for c in selectors.console_snapshot(anna)["mine"]] == [older.pk]
    assert routing.load_of(anna.pk).active == 0


def test_the_first_answer_tells_the_citizen_by_mail_without_the_content(
    topic, make_clerk, django_capture_on_commit_callbacks, settings
):
    settings.SITE_URL = "https://sprechstunde.example.org"
    asked = ask()
    anna = make_clerk("anna", [topic])
    questions.take_question(consultation_id=asked.pk, clerk=anna)
    with django_capture_on_commit_callbacks(execute=True):
        answer(asked, anna, "Für den zweiten Hund zahlen Sie 150 Euro im Jahr.", "a1")
    assert len(mail.outbox) == 1
    notice = mail.outbox[0]
    assert notice.to == ["b@example.org"]
    assert notice.subject == "Ihre Frage wurde beantwortet: Hundesteuer"
    assert f"https://sprechstunde.example.org/c/{asked.public_token}/" in notice.body
    assert "Hund." not in notice.body and "150 Euro" not in notice.body  # no content
    asked.refresh_from_db()
    assert asked.answered_at is not None
    # The citizen replies in the room; a second answer sends no second e-mail.
    reply, created = messages.post_message(
        consultation_id=asked.pk, sender="citizen", body="Danke!", client_id="c1"
    )
    assert created and reply.kind == Message.Kind.TEXT
    with django_capture_on_commit_callbacks(execute=True):
        answer(asked, anna, "Gern.", "a2")
    assert len(mail.outbox) == 1


def test_without_an_address_the_answer_waits_in_the_room(
    topic, make_clerk, django_capture_on_commit_callbacks
):
    asked = ask(email="")
    anna = make_clerk("anna", [topic])
    questions.take_question(consultation_id=asked.pk, clerk=anna)
    with django_capture_on_commit_callbacks(execute=True):
        answer(asked, anna, "Antwort", "a1")
    assert mail.outbox == []
    asked.refresh_from_db()
    assert asked.answered_at is not None


def test_questions_have_their_own_figures_and_stay_out_of_the_live_ones(topic, make_clerk):
    now = timezone.now()
    asked = ask(now=now - timedelta(hours=3))
    ask(now=now - timedelta(hours=2))  # not answered yet
    anna = make_clerk("anna", [topic])
    questions.take_question(consultation_id=asked.pk, clerk=anna, now=now - timedelta(hours=1))
    Consultation.objects.filter(pk=asked.pk).update(answered_at=now - timedelta(hours=1))
    day = timezone.localdate(now - timedelta(hours=3))
    filters = Filters(start=day, end=timezone.localdate(now))
    assert figures.summary(filters)["requested"] == 0  # no live consultation
    [row] = answer_times(filters)
    assert (row["topic"], row["asked"], row["answered"], row["unanswered"]) == (
        "Hundesteuer",
        2,
        1,
        1,
    )
    assert row["median_seconds"] == pytest.approx(2 * 3600)


def test_nobody_there_the_pages_offer_the_question_and_the_room_shows_it_arrived(
    client, topic, make_clerk
):
    html = client.get("/").content.decode()
    assert "Geöffnet, aber gerade ist niemand erreichbar." in html
    assert 'href="/questions/new/?topic=hundesteuer"' in html
    form = client.get("/questions/new/", {"topic": "hundesteuer"}).content.decode()
    assert '<option value="hundesteuer" selected>' in form and 'name="email"' in form
    refused = client.post("/questions/new/", {"topic": "hundesteuer", "question": " "})
    assert refused.status_code == 400 and 'role="alert"' in refused.content.decode()
    sent = client.post(
        "/questions/new/",
        {"topic": "hundesteuer", "question": QUESTION, "email": "b@example.org"},
    )
    asked = Consultation.objects.get()
    assert sent.status_code == 302 and sent["Location"] == f"/c/{asked.public_token}/"
    room = client.get(sent["Location"]).content.decode()
    assert "Ihre Frage ist eingegangen" in room
    assert "Wir schreiben Ihnen eine E-Mail, sobald die Antwort da ist." in room
    assert f"/c/{asked.public_token}/" in client.get("/").content.decode()  # "return to it"

    anna = make_clerk("anna", [topic])
    client.force_login(anna)
    console = client.get("/console/").content.decode()
    assert "Schriftliche Fragen" in console and QUESTION in console
    taken = client.post(f"/console/questions/{asked.pk}/take/")
    assert taken.status_code == 302 and taken["Location"] == "/console/"
    asked.refresh_from_db()
    assert (asked.state, asked.clerk) == ("active", anna)
    again = client.get(client.post(f"/console/questions/{asked.pk}/take/")["Location"])
    assert "hat dieses Gespräch bereits angenommen." in again.content.decode()


def test_a_waiting_citizen_writes_the_question_instead_in_the_same_consultation(
    client, topic, make_clerk, django_capture_on_commit_callbacks
):
    """Issue 14: the topic lost its last clerk while the citizen waited. Their consultation
    becomes the written question (no second one): out of the live queue, offered to nobody,
    in the console's list, with the room and its link kept."""
    from consult.queue import lifecycle

    anna = make_clerk("anna", [topic])
    waiting = lifecycle.start_consultation(topic_slug="hundesteuer", concern="Zweiter Hund")
    room = client.get(f"/c/{waiting.public_token}/").content.decode()
    assert 'id="ask-instead"' in room and "Zweiter Hund</textarea>" in room  # prefilled
    url = f"/c/{waiting.public_token}/write-instead/"

    refused = client.post(url, {"instead-question": QUESTION, "instead-email": "kein@"})
    assert refused.status_code == 400 and 'role="alert"' in refused.content.decode()
    waiting.refresh_from_db()
    assert (waiting.state, waiting.channel, waiting.notify_email) == ("waiting", "chat", "")

    with django_capture_on_commit_callbacks(execute=True):
        sent = client.post(url, {"instead-question": QUESTION, "instead-email": "b@example.org"})
    assert sent.status_code == 302 and sent["Location"] == f"/c/{waiting.public_token}/"
    asked = Consultation.objects.get()  # the same one
    assert (asked.pk, asked.state, asked.channel) == (waiting.pk, "asked", "async")
    assert (asked.notify_email, asked.offered_to) == ("b@example.org", None)
    entry = asked.messages.order_by("-seq").first()
    assert (entry.kind, entry.sender, entry.body) == ("question", "citizen", QUESTION)
    assert "Ihre Frage ist eingegangen" in client.get(sent["Location"]).content.decode()
    assert routing.dispatch() == 0  # nobody is offered it as a live chat
    assert [q.pk for g in selectors.open_questions(anna) for q in g["questions"]] == [asked.pk]

    again = client.post(url, {"instead-question": QUESTION})  # twice: nothing changes
    assert again.status_code == 302
    asked.refresh_from_db()
    assert asked.messages.filter(kind="question").count() == 1


def test_a_written_question_is_not_transferred_into_a_live_queue(topic, other_topic, make_clerk):
    """Transferring would put it in a live queue, where nobody waits for it (issue 14)."""
    from consult.queue import transfers

    anna = make_clerk("anna", [topic, other_topic])
    ben = make_clerk("ben", [topic])
    asked = ask()
    questions.take_question(consultation_id=asked.pk, clerk=anna)
    with pytest.raises(DomainError) as to_topic:
        transfers.transfer_to_topic(
            consultation_id=asked.pk, clerk=anna, topic_slug=other_topic.slug
        )
    with pytest.raises(DomainError) as to_clerk:
        transfers.transfer_to_clerk(consultation_id=asked.pk, clerk=anna, target_id=ben.pk)
    assert (to_topic.value.code, to_clerk.value.code) == ("written_question",) * 2
    asked.refresh_from_db()
    assert (asked.state, asked.clerk, asked.topic) == ("active", anna, topic)
