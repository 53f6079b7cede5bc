"""Appointments: clerks' weekly availability and booked slots."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from consult.catalogue.models import Weekday
from consult.consultations.models import MAX_CONCERN, new_public_token
from consult.validators import MAX_EMAIL, MAX_PHONE


class Availability(models.Model):
    """A weekly window in which a clerk takes appointments, in local wall-clock time
    (``TIME_ZONE``, Europe/Berlin): "Tuesdays 09:00-12:00" stays 09:00-12:00 across DST."""

    clerk = models.ForeignKey(
        "consult.StaffProfile",
        on_delete=models.CASCADE,
        related_name="availability",
        verbose_name=_("clerk"),
    )
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    starts = models.TimeField(_("from"))
    ends = models.TimeField(_("until"))

    class Meta:
        ordering = ["clerk", "weekday", "starts"]
        verbose_name = _("availability for appointments")
        verbose_name_plural = _("availability for appointments")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends__gt=models.F("starts")), name="availability_ends_after"
            ),
            models.CheckConstraint(
                condition=models.Q(weekday__gte=0, weekday__lte=6), name="availability_weekday"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.starts:%H:%M}-{self.ends:%H:%M}"


class Appointment(models.Model):
    """A booked slot: one clerk's time for one citizen. ``token`` is the citizen's personal
    link (manage, cancel, reschedule, join)."""

    class State(models.TextChoices):
        BOOKED = "booked", _("booked")
        JOINED = "joined", _("joined")
        CANCELLED = "cancelled", _("cancelled")
        NO_SHOW = "no_show", _("no-show")

    #: States in which an appointment holds its clerk's time.
    HOLDING = (State.BOOKED, State.JOINED)

    token = models.CharField(
        _("personal link token"),
        max_length=64,
        unique=True,
        default=new_public_token,
        editable=False,
    )
    topic = models.ForeignKey(
        "consult.Topic",
        on_delete=models.PROTECT,
        related_name="appointments",
        verbose_name=_("topic"),
    )
    clerk = models.ForeignKey(
        "consult.StaffProfile",
        on_delete=models.PROTECT,
        related_name="appointments",
        verbose_name=_("clerk"),
    )
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    state = models.CharField(_("state"), max_length=12, choices=State.choices, default=State.BOOKED)
    name = models.CharField(_("name"), max_length=120)
    email = models.EmailField(_("e-mail"), max_length=MAX_EMAIL)
    phone = models.CharField(_("phone"), max_length=MAX_PHONE, blank=True)
    # What the citizen wants, optional (the clerk's calendar shows it; it goes along into the
    # consultation at "Jetzt teilnehmen"; never into e-mails, logs or the calendar feed).
    concern = models.CharField(_("concern"), max_length=MAX_CONCERN, blank=True)
    language = models.CharField(_("language"), max_length=8, default="de")
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    booked_at = models.DateTimeField(
        _("booked"), default=timezone.now, help_text=_("Set again on every reschedule.")
    )
    sequence = models.PositiveSmallIntegerField(
        _("calendar revision"), default=0, help_text=_("SEQUENCE of the .ics, one per change.")
    )
    reminded_at = models.DateTimeField(_("reminder sent"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled"), null=True, blank=True)
    consultation = models.OneToOneField(
        "consult.Consultation",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="appointment",
        verbose_name=_("consultation"),
    )

    class Meta:
        ordering = ["starts_at"]
        verbose_name = _("appointment")
        verbose_name_plural = _("appointments")
        indexes = [
            models.Index(fields=["clerk", "starts_at"], name="appointment_clerk_idx"),
            models.Index(fields=["state", "starts_at"], name="appointment_due_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")),
                name="appointment_ends_after",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.topic} {self.starts_at:%Y-%m-%d %H:%M} ({self.get_state_display()})"


# --- Recording with consent -----------------------------------------------------------------
