"""Clerks: their profile (topics, status, capacity, presence) and the periods of their status."""

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class StaffProfile(models.Model):
    class Status(models.TextChoices):
        AVAILABLE = "available", _("available")
        AWAY = "away", _("away")
        OFFLINE = "offline", _("offline")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff_profile"
    )
    display_name = models.CharField(
        _("display name"),
        max_length=80,
        help_text=_("Shown to citizens, e.g. a first name and an initial."),
    )
    topics = models.ManyToManyField(
        "consult.Topic", related_name="staff", verbose_name=_("topics served")
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.OFFLINE
    )
    status_changed_at = models.DateTimeField(_("status changed"), default=timezone.now)
    capacity = models.PositiveSmallIntegerField(
        _("chats at once"),
        default=3,
        validators=[MinValueValidator(1)],
        help_text=_("A video call always takes the whole capacity."),
    )
    idle_since = models.DateTimeField(
        _("idle since"), default=timezone.now, help_text=_("When the clerk last became free.")
    )
    last_seen_at = models.DateTimeField(
        _("console last seen"), null=True, blank=True, help_text=_("Heartbeat of the console.")
    )
    missed_offers = models.PositiveSmallIntegerField(_("offers missed in a row"), default=0)
    # SHA-256 (hex) of the secret in the clerk's calendar feed address
    # (consult/appointments/feed.py); empty while the clerk has no feed.
    calendar_feed_hash = models.CharField(
        _("calendar feed"),
        max_length=64,
        null=True,
        blank=True,
        unique=True,
        editable=False,
    )

    class Meta:
        verbose_name = _("staff profile")
        verbose_name_plural = _("staff profiles")
        constraints = [
            models.CheckConstraint(condition=models.Q(capacity__gte=1), name="staff_capacity_1")
        ]

    def __str__(self) -> str:
        return self.display_name


class StatusPeriod(models.Model):
    """A stretch of time a clerk spent in one status (for occupancy)."""

    clerk = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="status_periods"
    )
    status = models.CharField(_("status"), max_length=16, choices=StaffProfile.Status.choices)
    started_at = models.DateTimeField(_("from"))
    ended_at = models.DateTimeField(_("until"), null=True, blank=True)

    class Meta:
        ordering = ["-started_at"]
        verbose_name = _("status period")
        verbose_name_plural = _("status periods")
        indexes = [models.Index(fields=["status", "started_at"], name="statusperiod_status_idx")]

    def __str__(self) -> str:
        return f"{self.clerk_id} {self.status} {self.started_at:%Y-%m-%d %H:%M}"
