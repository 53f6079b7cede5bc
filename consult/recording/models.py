"""Recording with consent, its files, and the audit trail of who opened them."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Recording(models.Model):
    """A recording of a video consultation: asked for by the clerk, started only once both
    parties consented, deleted with its files when either withdraws."""

    class State(models.TextChoices):
        REQUESTED = "requested", _("waiting for consent")
        RECORDING = "recording", _("recording")
        STOPPED = "stopped", _("stopped")
        DECLINED = "declined", _("declined")
        WITHDRAWN = "withdrawn", _("withdrawn and deleted")

    class Party(models.TextChoices):
        CITIZEN = "citizen", _("citizen")
        CLERK = "clerk", _("clerk")

    consultation = models.ForeignKey(
        "consult.Consultation", on_delete=models.CASCADE, related_name="recordings"
    )
    state = models.CharField(
        _("state"), max_length=10, choices=State.choices, default=State.REQUESTED
    )
    purpose = models.CharField(_("purpose"), max_length=300)
    retention_days = models.PositiveIntegerField(
        _("retention (days)"), null=True, help_text=_("As told to the citizen when asked.")
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("requested by"),
    )
    created_at = models.DateTimeField(_("requested"), default=timezone.now)
    clerk_consented_at = models.DateTimeField(_("clerk consented"), null=True, blank=True)
    citizen_consented_at = models.DateTimeField(_("citizen consented"), null=True, blank=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    stopped_at = models.DateTimeField(_("stopped"), null=True, blank=True)
    withdrawn_at = models.DateTimeField(_("withdrawn"), null=True, blank=True)
    withdrawn_by = models.CharField(
        _("withdrawn by"), max_length=8, choices=Party.choices, blank=True
    )
    duration_seconds = models.FloatField(_("duration (s)"), default=0)
    size_bytes = models.BigIntegerField(_("size (bytes)"), default=0)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("recording")
        verbose_name_plural = _("recordings")
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(state="recording")
                | models.Q(clerk_consented_at__isnull=False, citizen_consented_at__isnull=False),
                name="recording_needs_both_consents",
            ),
            models.UniqueConstraint(
                fields=["consultation"],
                condition=models.Q(state__in=["requested", "recording"]),
                name="recording_one_running",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.consultation_id} ({self.get_state_display()})"


class RecordingFile(models.Model):
    """One party's audio and video of a recording: a webm file under RECORDINGS_DIR."""

    recording = models.ForeignKey(Recording, on_delete=models.CASCADE, related_name="files")
    party = models.CharField(_("party"), max_length=8, choices=Recording.Party.choices)
    path = models.CharField(_("file"), max_length=300, help_text=_("Relative to RECORDINGS_DIR."))
    content_type = models.CharField(_("content type"), max_length=40, default="video/webm")
    size_bytes = models.BigIntegerField(_("size (bytes)"), default=0)
    duration_seconds = models.FloatField(_("duration (s)"), default=0)

    class Meta:
        ordering = ["recording", "party"]
        verbose_name = _("recording file")
        verbose_name_plural = _("recording files")
        constraints = [
            models.UniqueConstraint(fields=["recording", "party"], name="recordingfile_party")
        ]

    def __str__(self) -> str:
        return self.path


class AuditEvent(models.Model):
    """Who did what to which protected item, and when (e.g. opened a recording, or a
    staff login locked after failed attempts)."""

    class Action(models.TextChoices):
        RECORDING_PLAYED = "recording.played", _("recording played")
        RECORDING_DOWNLOADED = "recording.downloaded", _("recording downloaded")
        LOGIN_LOCKED_OUT = "login.locked_out", _("login locked after failed attempts")

    created_at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("who"),
    )
    actor_name = models.CharField(
        _("user name"), max_length=150, help_text=_("Kept when the account is deleted.")
    )
    action = models.CharField(_("action"), max_length=32, choices=Action.choices)
    object_type = models.CharField(_("object type"), max_length=40)
    object_id = models.PositiveBigIntegerField(_("object id"))
    detail = models.CharField(_("detail"), max_length=200, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        indexes = [models.Index(fields=["object_type", "object_id"], name="audit_object_idx")]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor_name} {self.action}"
