"""The platform's e-mails to citizens, in one shape: paragraphs in the active language, sent
after the commit by the caller; a failure is logged by its type only (the text could quote an
address) and never undoes what the e-mail reports."""

import logging

from django.conf import settings
from django.core.mail import EmailMessage

logger = logging.getLogger(__name__)


def compose(*, subject: str, paragraphs: list[str], to: str) -> EmailMessage:
    return EmailMessage(
        subject=subject,
        body="\n\n".join(paragraphs) + "\n",
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
    )


def send_quietly(message: EmailMessage, *, what: str) -> None:
    try:
        message.send()
    except Exception as error:
        logger.error("%s e-mail failed: %s", what, type(error).__name__)
