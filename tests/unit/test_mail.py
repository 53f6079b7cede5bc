"""The e-mails' shared sending (consult/mail.py): a failure is logged by type, never raised."""

import logging
import smtplib

from django.core.mail import EmailMessage

from consult import mail


def test_a_failed_send_is_logged_by_type_without_the_address(monkeypatch, caplog, mailoutbox):
    def refuse(self, fail_silently=False):
        raise smtplib.SMTPRecipientsRefused({"b@example.org": (550, b"no such user")})

    message = mail.compose(subject="Betreff", paragraphs=["Hallo,", "Text"], to="b@example.org")
    assert message.body == "Hallo,\n\nText\n"
    monkeypatch.setattr(EmailMessage, "send", refuse)
    with caplog.at_level(logging.ERROR, logger="consult.mail"):
        mail.send_quietly(message, what="callback confirmation")  # does not raise
    assert caplog.messages == ["callback confirmation e-mail failed: SMTPRecipientsRefused"]
    assert mailoutbox == []
