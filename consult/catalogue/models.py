"""The catalogue: consultation topics, offices and services (LeiKa/FIM-like), opening hours,
closures and out-of-hours callback requests."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, URLValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from consult.validators import MAX_EMAIL, MAX_PHONE


def validate_retention_overrides(value: object) -> None:
    """{kind: days} with kinds of ``settings.RETENTION_DAYS`` and whole days from 1."""
    if not isinstance(value, dict):
        raise ValidationError(_("Retention periods must be an object of kind: days."))
    for kind, days in value.items():
        if kind not in settings.RETENTION_DAYS:
            raise ValidationError(
                _("Unknown retention kind %(kind)s; known: %(known)s."),
                params={"kind": kind, "known": ", ".join(settings.RETENTION_DAYS)},
            )
        if not isinstance(days, int) or isinstance(days, bool) or not 1 <= days <= 36500:
            raise ValidationError(
                _("The period for %(kind)s must be a whole number of days from 1."),
                params={"kind": kind},
            )


class Topic(models.Model):
    class RoutingMode(models.TextChoices):
        AUTO_OFFER = "auto_offer", _("auto-offer to the clerk idle longest")
        MANUAL = "manual", _("manual pick from the queue")

    name = models.CharField(_("name"), max_length=120)
    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    description = models.CharField(_("short description"), max_length=300, blank=True)
    active = models.BooleanField(_("active"), default=True)
    sort_order = models.PositiveSmallIntegerField(_("sort order"), default=0)
    routing_mode = models.CharField(
        _("routing mode"),
        max_length=12,
        choices=RoutingMode.choices,
        default=RoutingMode.AUTO_OFFER,
    )
    offer_timeout_seconds = models.PositiveSmallIntegerField(
        _("offer timeout (seconds)"), default=20
    )
    appointment_minutes = models.PositiveSmallIntegerField(
        _("appointment length (minutes)"),
        default=15,
        validators=[MinValueValidator(5), MaxValueValidator(240)],
        help_text=_("Bookable slots of this topic last this long."),
    )

    class MediaMode(models.TextChoices):
        DEFAULT = "", _("deployment default")
        P2P = "p2p", _("peer-to-peer (media never passes the server)")
        RELAY = "relay", _("server relay (media worker)")

    media_mode = models.CharField(
        _("video media mode"), max_length=8, choices=MediaMode.choices, blank=True, default=""
    )
    retention_overrides = models.JSONField(
        _("retention periods (days)"),
        default=dict,
        blank=True,
        validators=[validate_retention_overrides],
        help_text=_(
            "Optional periods for this topic instead of the deployment default, in days, e.g. "
            '{"messages": 30, "recordings": 7}.'
        ),
    )

    class Meta:
        ordering = ["sort_order", "name"]
        verbose_name = _("topic")
        verbose_name_plural = _("topics")

    def __str__(self) -> str:
        return self.name


def validate_leika_key(value: str) -> None:
    """A LeiKa service key has exactly 14 digits."""
    if not (len(value) == 14 and value.isascii() and value.isdigit()):
        raise ValidationError(
            _("A LeiKa key has exactly 14 digits."), code="leika_key", params={"value": value}
        )


def validate_links(value: object) -> None:
    """A list of {"title": ..., "url": "http(s)://..."}."""
    if not isinstance(value, list):
        raise ValidationError(_("Links must be a list."), code="links")
    check_url = URLValidator(schemes=["http", "https"])
    for link in value:
        if not isinstance(link, dict) or set(link) != {"title", "url"}:
            raise ValidationError(_("Each link needs a title and a URL."), code="links")
        title, url = link["title"], link["url"]
        if not isinstance(title, str) or not title.strip() or len(title) > 200:
            raise ValidationError(_("Each link needs a title and a URL."), code="links")
        if not isinstance(url, str):
            raise ValidationError(_("Each link needs a title and a URL."), code="links")
        check_url(url)


def validate_documents(value: object) -> None:
    """A list of non-empty strings."""
    if not isinstance(value, list) or not all(
        isinstance(item, str) and item.strip() and len(item) <= 300 for item in value
    ):
        raise ValidationError(
            _("Required documents must be a list of short texts."), code="documents"
        )


class Office(models.Model):
    """The office responsible for services: where to go and how to reach it."""

    name = models.CharField(_("name"), max_length=160, unique=True)
    address = models.TextField(_("address"), max_length=500, blank=True)
    opening_hours = models.TextField(
        _("opening hours"),
        max_length=500,
        blank=True,
        help_text=_("As text for the service pages, e.g. Mon–Fri 8:00–12:00."),
    )
    phone = models.CharField(_("phone"), max_length=MAX_PHONE, blank=True)
    email = models.EmailField(_("e-mail"), max_length=MAX_EMAIL, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("office")
        verbose_name_plural = _("offices")

    def __str__(self) -> str:
        return self.name


class Service(models.Model):
    """One administrative service, described like a LeiKa/FIM service description."""

    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=100, unique=True)
    leika_key = models.CharField(
        _("LeiKa key"),
        max_length=14,
        blank=True,
        validators=[validate_leika_key],
        help_text=_("Optional 14-digit key of the federal service catalogue (LeiKa)."),
    )
    description = models.TextField(_("description"), max_length=4000)
    keywords = models.CharField(
        _("search words"),
        max_length=500,
        blank=True,
        help_text=_("Other words citizens use for this service, separated by commas."),
    )
    required_documents = models.JSONField(
        _("required documents"), default=list, blank=True, validators=[validate_documents]
    )
    fees = models.CharField(_("fees"), max_length=500, blank=True)
    processing_time = models.CharField(_("processing time"), max_length=300, blank=True)
    legal_basis = models.CharField(_("legal basis"), max_length=500, blank=True)
    links = models.JSONField(_("links"), default=list, blank=True, validators=[validate_links])
    topic = models.ForeignKey(
        Topic, on_delete=models.PROTECT, related_name="services", verbose_name=_("topic")
    )
    office = models.ForeignKey(
        Office,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="services",
        verbose_name=_("responsible office"),
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("service")
        verbose_name_plural = _("services")
        constraints = [
            models.UniqueConstraint(
                fields=["leika_key"], condition=~models.Q(leika_key=""), name="service_leika_unique"
            )
        ]

    def __str__(self) -> str:
        return self.name


class Weekday(models.IntegerChoices):
    """Python's weekday numbers (Monday 0), for opening hours and clerks' availability."""

    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


class OpeningHours(models.Model):
    """One range of a weekday during which a topic is open (local time, Europe/Berlin)."""

    topic = models.ForeignKey(
        Topic, on_delete=models.CASCADE, related_name="opening_hours", verbose_name=_("topic")
    )
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    opens = models.TimeField(_("opens"))
    closes = models.TimeField(_("closes"))

    class Meta:
        ordering = ["topic", "weekday", "opens"]
        verbose_name = _("opening hours")
        verbose_name_plural = _("opening hours")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(opens__lt=models.F("closes")), name="hours_opens_before_closes"
            ),
            models.CheckConstraint(
                condition=models.Q(weekday__gte=0, weekday__lte=6), name="hours_weekday_0_6"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.opens:%H:%M}–{self.closes:%H:%M}"

    def clean(self) -> None:
        if self.opens is not None and self.closes is not None and self.opens >= self.closes:
            raise ValidationError(_("The closing time must be after the opening time."))


class Closure(models.Model):
    """A day on which a topic (or, without a topic, every topic) is closed."""

    date = models.DateField(_("date"))
    reason = models.CharField(_("reason"), max_length=120)
    topic = models.ForeignKey(
        Topic,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="closures",
        verbose_name=_("topic"),
        help_text=_("Empty: closed for every topic (e.g. a public holiday)."),
    )

    class Meta:
        ordering = ["date"]
        verbose_name = _("closure")
        verbose_name_plural = _("closures")
        indexes = [models.Index(fields=["date"], name="closure_date_idx")]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {self.reason}"


class CallbackRequest(models.Model):
    """A citizen's request left out of hours; clerks of the topic work through them."""

    class State(models.TextChoices):
        OPEN = "open", _("open")
        DONE = "done", _("done")

    topic = models.ForeignKey(
        Topic, on_delete=models.PROTECT, related_name="callback_requests", verbose_name=_("topic")
    )
    question = models.TextField(_("question"), max_length=2000)
    name = models.CharField(_("name"), max_length=120, blank=True)
    email = models.EmailField(_("e-mail"), max_length=MAX_EMAIL, blank=True)
    phone = models.CharField(_("phone"), max_length=MAX_PHONE, blank=True)
    state = models.CharField(_("state"), max_length=8, choices=State.choices, default=State.OPEN)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    done_at = models.DateTimeField(_("done"), null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("done by"),
    )
    note = models.TextField(_("note"), max_length=2000, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("callback request")
        verbose_name_plural = _("callback requests")
        indexes = [
            models.Index(
                fields=["topic", "created_at"],
                name="callback_open_idx",
                condition=models.Q(state="open"),
            )
        ]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(email="", phone=""), name="callback_has_contact"
            ),
            # A done request has its time, from which its retention period runs.
            models.CheckConstraint(
                condition=models.Q(state="open") | models.Q(done_at__isnull=False),
                name="callback_done_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.topic} ({self.get_state_display()})"
