"""The queue's own record: every ring of a clerk's console (offer) and how it ended."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Offer(models.Model):
    """One ring of a clerk's console for one consultation, and how it ended."""

    class Outcome(models.TextChoices):
        PENDING = "pending", _("pending")
        ACCEPTED = "accepted", _("accepted")
        DECLINED = "declined", _("declined")
        EXPIRED = "expired", _("timed out")
        WITHDRAWN = "withdrawn", _("withdrawn")

    consultation = models.ForeignKey(
        "consult.Consultation", on_delete=models.CASCADE, related_name="offers"
    )
    clerk = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires"))
    outcome = models.CharField(
        _("outcome"), max_length=10, choices=Outcome.choices, default=Outcome.PENDING
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("offer")
        verbose_name_plural = _("offers")
        indexes = [models.Index(fields=["clerk", "consultation", "decided_at"])]

    def __str__(self) -> str:
        return f"{self.consultation_id} -> {self.clerk_id}: {self.outcome}"
