"""The citizen's confirmation that their callback request arrived (Django's e-mail
framework). It names the topic, the time and the request's number, never the question: an
e-mail leaves our server, and the address may be mistyped. Sent after the commit; a failure is
logged by type only and does not undo the request."""

from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from consult import mail
from consult.catalogue.models import CallbackRequest


def send_request_confirmation(request_id: int, *, language: str) -> None:
    request = CallbackRequest.objects.select_related("topic").filter(pk=request_id).first()
    if request is None or not request.email:
        return
    with translation.override(language):
        context = {
            "topic": request.topic.name,
            "number": request.pk,
            "when": formats.date_format(timezone.localtime(request.created_at), _("l, j F Y, H:i")),
        }
        greeting = _("Hello %(name)s,") % {"name": request.name} if request.name else _("Hello,")
        body = [
            greeting,
            _(
                "we have received your request on “%(topic)s” (number %(number)s, %(when)s). "
                "A member of staff will get back to you by e-mail or phone as soon as possible."
            )
            % context,
            _("For your privacy this e-mail does not repeat your question."),
            _("Your citizen service"),
        ]
        message = mail.compose(
            subject=_("Your request has been received: %(topic)s") % context,
            paragraphs=body,
            to=request.email,
        )
    mail.send_quietly(message, what="callback confirmation")
