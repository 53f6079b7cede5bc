"""Writes for out-of-hours requests: a citizen leaves a question and how to call them back;
clerks of the topic work through them, oldest first, and mark them done with a note."""

from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import transaction
from django.utils import timezone

from consult import validators
from consult.catalogue import mail, selectors
from consult.catalogue.models import CallbackRequest
from consult.errors import DomainError
from consult.staff import consoles
from consult.staff.models import StaffProfile

MAX_QUESTION = 2000
MAX_NOTE = 2000
MAX_NAME = 120


def leave_callback_request(
    *,
    topic_slug: str,
    question: str,
    name: str = "",
    email: str = "",
    phone: str = "",
    language: str = "de",
    now: datetime | None = None,
) -> CallbackRequest:
    """Store a request for a callback; needs a question and an e-mail address or a phone.
    After the commit the topic's consoles update their count of open requests, and a
    citizen who gave an e-mail address gets a confirmation (in ``language``, without the
    question)."""
    question, name, email, phone = question.strip(), name.strip(), email.strip(), phone.strip()
    if not question:
        raise DomainError("empty_question", "Please describe your question.")
    if len(question) > MAX_QUESTION or len(name) > MAX_NAME:
        raise DomainError("too_long", "The text is too long.")
    if not email and not phone:
        raise DomainError("no_contact", "An e-mail address or a phone number is needed.")
    if email:
        validators.ensure_email(email)
    if phone:
        validators.ensure_phone(phone)
    topic = selectors.active_topic(topic_slug)
    if topic is None:
        raise DomainError("unknown_topic", "This topic does not exist.")
    with transaction.atomic():
        request = CallbackRequest.objects.create(
            topic=topic,
            question=question,
            name=name,
            email=email,
            phone=phone,
            created_at=now or timezone.now(),
        )
        consoles.refresh_topic_consoles(topic_id=topic.pk)
        if email:
            transaction.on_commit(
                lambda: mail.send_request_confirmation(request.pk, language=language),
                robust=True,
            )
    return request


def complete_callback_request(
    *,
    request_id: int,
    clerk: AbstractBaseUser | AnonymousUser,
    note: str = "",
    now: datetime | None = None,
) -> CallbackRequest:
    """A clerk of the request's topic marks it done (once; a second click changes nothing)."""
    note = note.strip()
    if len(note) > MAX_NOTE:
        raise DomainError("too_long", "The note is too long.")
    topic_ids = StaffProfile.objects.filter(user_id=clerk.pk or 0).values_list("topics", flat=True)
    with transaction.atomic():
        done = CallbackRequest.objects.filter(
            pk=request_id, topic_id__in=topic_ids, state=CallbackRequest.State.OPEN
        ).update(
            state=CallbackRequest.State.DONE,
            done_at=now or timezone.now(),
            done_by_id=clerk.pk,
            note=note,
        )
        request = CallbackRequest.objects.filter(pk=request_id, topic_id__in=topic_ids).first()
        if done and request is not None:
            consoles.refresh_topic_consoles(topic_id=request.topic_id)
    if request is None:
        raise DomainError("not_found", "No such request of your topics.")
    if not done:
        raise DomainError("already_done", "This request has already been done.")
    return request
