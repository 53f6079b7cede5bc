"""The first answer to a written question (consult/queue/questions.py): noted for the
statistics (time to first answer, docs/metrics.md) and, if the citizen left an address, told
by e-mail with the link to their room. The e-mail carries neither the question nor the answer
(it leaves our server, and the address may be mistyped): only the topic and the link. Sent
after the commit; a failure is logged by type only and changes nothing."""

from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from consult import mail
from consult.consultations.models import Consultation


def note_answer(*, consultation_id: int, now: datetime) -> bool:
    """A clerk wrote in the consultation: the first time in a written question, note when
    and send the notice after the commit. True for that first answer (one statement for every
    clerk message; a live chat matches no row)."""
    first = Consultation.objects.filter(
        pk=consultation_id, channel=Consultation.Channel.ASYNC, answered_at__isnull=True
    ).update(answered_at=now)
    if first:
        transaction.on_commit(lambda: send_answer_notice(consultation_id), robust=True)
    return bool(first)


def room_url(consultation: Consultation) -> str:
    return settings.SITE_URL + reverse("frontend:room", kwargs={"token": consultation.public_token})


def send_answer_notice(consultation_id: int) -> None:
    consultation = Consultation.objects.select_related("topic").filter(pk=consultation_id).first()
    if consultation is None or not consultation.notify_email:
        return
    with translation.override(settings.LANGUAGE_CODE):
        topic = consultation.topic.name
        body = [
            _("Hello,"),
            _("your question on “%(topic)s” has been answered.") % {"topic": topic},
            _("Read the answer and reply here (the link works only for you; keep it private):"),
            room_url(consultation),
            _("For your privacy this e-mail contains neither your question nor the answer."),
            _("Your citizen service"),
        ]
        message = mail.compose(
            subject=_("Your question has been answered: %(topic)s") % {"topic": topic},
            paragraphs=body,
            to=consultation.notify_email,
        )
    mail.send_quietly(message, what="answer notice")
