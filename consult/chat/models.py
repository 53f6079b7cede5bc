"""Text snippets for clerks: per topic (managed by managers in the admin) or personal (each
clerk their own, on the console's snippet page). consult/chat/snippets.py."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

MAX_SNIPPET_TITLE = 80
MAX_SNIPPET_BODY = 2000


class Snippet(models.Model):
    """A reply a clerk inserts into the reply box. Either a topic's (every clerk of the topic
    is offered it) or a clerk's own (``owner``), never both. With a catalogue service, the
    service's facts (documents, fees, processing time, its page) follow the text."""

    title = models.CharField(_("title"), max_length=MAX_SNIPPET_TITLE)
    body = models.TextField(_("text"), max_length=MAX_SNIPPET_BODY, blank=True)
    topic = models.ForeignKey(
        "consult.Topic",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="snippets",
        verbose_name=_("topic"),
        help_text=_("Offered to every clerk of this topic."),
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="snippets",
        verbose_name=_("personal snippet of"),
    )
    service = models.ForeignKey(
        "consult.Service",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="snippets",
        verbose_name=_("catalogue service"),
        help_text=_(
            "Optional: its required documents, fees, processing time and page follow the text, "
            "exactly as the catalogue says."
        ),
    )

    class Meta:
        ordering = ["title", "pk"]
        verbose_name = _("text snippet")
        verbose_name_plural = _("text snippets")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(topic__isnull=False, owner__isnull=True)
                | models.Q(topic__isnull=True, owner__isnull=False),
                name="snippet_topic_xor_owner",
            )
        ]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        if self.owner_id is None and self.topic_id is None:
            raise ValidationError({"topic": _("A topic snippet needs a topic.")})
        if not self.body.strip() and self.service_id is None:
            raise ValidationError(_("A snippet needs a text or a catalogue service."))
