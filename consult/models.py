"""The consultation domain's data. Writes go through the domain functions of this package
(``consultations``, ``chat``, ``staff``, ``queueing``), never ``save()`` in views or consumers."""

import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, URLValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .dbfunctions import Seconds


def new_public_token() -> str:
    """256 random bits, URL-safe: the citizen's only credential for their consultation."""
    return secrets.token_urlsafe(32)


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
    topics = models.ManyToManyField(Topic, related_name="staff", verbose_name=_("topics served"))
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

    class Meta:
        verbose_name = _("staff profile")
        verbose_name_plural = _("staff profiles")
        constraints = [
            models.CheckConstraint(condition=models.Q(capacity__gte=1), name="staff_capacity_1")
        ]

    def __str__(self) -> str:
        return self.display_name


class Consultation(models.Model):
    class Channel(models.TextChoices):
        CHAT = "chat", _("chat")
        VIDEO = "video", _("video")

    class State(models.TextChoices):
        WAITING = "waiting", _("waiting")
        ACTIVE = "active", _("active")
        ENDED = "ended", _("ended")
        ABANDONED = "abandoned", _("abandoned")

    class Outcome(models.TextChoices):
        RESOLVED = "resolved", _("resolved")
        FOLLOW_UP = "follow_up", _("follow-up needed")
        REFERRED = "referred", _("referred elsewhere")
        UNRESOLVED = "unresolved", _("could not be resolved")

    class Priority(models.IntegerChoices):
        NORMAL = 0, _("normal")
        REQUEUED = 10, _("returned to the queue")
        APPOINTMENT = 20, _("booked appointment")

    class EndedBy(models.TextChoices):
        CITIZEN = "citizen", _("citizen")
        CLERK = "clerk", _("clerk")

    public_token = models.CharField(
        _("public token"), max_length=64, unique=True, default=new_public_token, editable=False
    )
    topic = models.ForeignKey(
        Topic, on_delete=models.PROTECT, related_name="consultations", verbose_name=_("topic")
    )
    channel = models.CharField(
        _("channel"), max_length=8, choices=Channel.choices, default=Channel.CHAT
    )
    state = models.CharField(
        _("state"), max_length=12, choices=State.choices, default=State.WAITING
    )
    clerk = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="consultations",
        verbose_name=_("clerk"),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    priority = models.SmallIntegerField(_("priority"), choices=Priority.choices, default=0)
    # Came through a booked appointment (set by ``appointments.join_appointment``), kept on
    # the row so that statistics split walk-ins from appointments without a join.
    booked = models.BooleanField(_("booked appointment"), default=False)
    queued_at = models.DateTimeField(_("queued"), default=timezone.now)
    offered_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("offered to"),
    )
    offer_expires_at = models.DateTimeField(_("offer expires"), null=True, blank=True)
    accepted_at = models.DateTimeField(_("accepted"), null=True, blank=True)
    first_accepted_at = models.DateTimeField(
        _("first accepted"),
        null=True,
        blank=True,
        help_text=_("The end of the wait, for statistics; a requeue does not reset it."),
    )
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)
    ended_by = models.CharField(_("ended by"), max_length=8, choices=EndedBy.choices, blank=True)
    outcome = models.CharField(_("outcome"), max_length=16, choices=Outcome.choices, blank=True)
    last_seq = models.PositiveIntegerField(_("last sequence number"), default=0, editable=False)
    rating = models.PositiveSmallIntegerField(
        _("rating"), null=True, blank=True, help_text=_("The citizen's rating, 1 to 5.")
    )
    rating_comment = models.TextField(_("comment on the rating"), blank=True, max_length=2000)
    rated_at = models.DateTimeField(_("rated"), null=True, blank=True)
    # Durations kept by the database itself, so statistics read numbers instead of computing
    # them for every row of every query.
    wait_seconds = models.GeneratedField(
        expression=Seconds(models.F("first_accepted_at"), models.F("created_at")),
        output_field=models.FloatField(),
        db_persist=True,
        verbose_name=_("wait (s)"),
    )
    handle_seconds = models.GeneratedField(
        expression=Seconds(models.F("ended_at"), models.F("first_accepted_at")),
        output_field=models.FloatField(),
        db_persist=True,
        verbose_name=_("handle time (s)"),
    )
    duration_seconds = models.GeneratedField(
        expression=Seconds(models.F("ended_at"), models.F("created_at")),
        output_field=models.FloatField(),
        db_persist=True,
        verbose_name=_("request to end (s)"),
    )

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("consultation")
        verbose_name_plural = _("consultations")
        permissions = [("view_statistics", _("Can view statistics and the wallboard"))]
        indexes = [
            # The head of a topic's queue, in dispatch order, without scanning the queue.
            models.Index(
                "topic",
                models.F("priority").desc(),
                "queued_at",
                "id",
                name="consult_queue_head_idx",
                condition=models.Q(state="waiting"),
            ),
            models.Index(
                fields=["offer_expires_at"],
                name="consult_offer_due_idx",
                condition=models.Q(offer_expires_at__isnull=False),
            ),
            models.Index(fields=["clerk", "state"], name="consult_clerk_state_idx"),
            # Statistics filter by the day a consultation was requested.
            models.Index(fields=["created_at", "topic"], name="consult_created_idx"),
            # Exact percentiles over long periods read the waits in order from here,
            # without touching the table (consult/statistics.py, docs/metrics.md).
            models.Index(
                fields=["wait_seconds"],
                include=["created_at", "topic", "channel", "booked"],
                name="consult_answered_wait_idx",
                condition=models.Q(first_accepted_at__isnull=False),
            ),
            # Busy time of a short stretch (today) finds the conversations that ended in it.
            models.Index(
                fields=["ended_at"],
                include=["first_accepted_at", "clerk", "topic", "channel", "booked"],
                name="consult_busy_idx",
                condition=models.Q(clerk__isnull=False),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(state="active") | models.Q(clerk__isnull=False),
                name="consult_active_has_clerk",
            ),
            models.CheckConstraint(
                condition=models.Q(rating__isnull=True) | models.Q(rating__gte=1, rating__lte=5),
                name="consult_rating_1_5",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.topic} ({self.get_state_display()})"

    @property
    def is_open(self) -> bool:
        return self.state in {self.State.WAITING, self.State.ACTIVE}


class Message(models.Model):
    """One entry of a consultation's log: chat text or a state change, in sequence order."""

    class Kind(models.TextChoices):
        TEXT = "text", _("text")
        ACCEPTED = "accepted", _("accepted")
        ENDED = "ended", _("ended")
        ABANDONED = "abandoned", _("abandoned")
        REQUEUED = "requeued", _("returned to the queue")
        TRANSFERRED = "transferred", _("transferred")
        VIDEO = "video", _("switched to video")

    class Sender(models.TextChoices):
        CITIZEN = "citizen", _("citizen")
        CLERK = "clerk", _("clerk")
        SYSTEM = "system", _("system")

    consultation = models.ForeignKey(
        Consultation, on_delete=models.CASCADE, related_name="messages"
    )
    seq = models.PositiveIntegerField(_("sequence number"))
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices, default=Kind.TEXT)
    sender = models.CharField(_("sender"), max_length=8, choices=Sender.choices)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("author"),
    )
    body = models.TextField(_("body"), blank=True)
    client_id = models.CharField(_("client id"), max_length=64, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["consultation", "seq"]
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        constraints = [
            models.UniqueConstraint(fields=["consultation", "seq"], name="message_seq_unique"),
            models.UniqueConstraint(
                fields=["consultation", "client_id"],
                condition=~models.Q(client_id=""),
                name="message_client_id_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.consultation_id}:{self.seq} {self.kind}"


class Offer(models.Model):
    """One ring of a clerk's console for one consultation, and how it ended."""

    class Outcome(models.TextChoices):
        PENDING = "pending", _("pending")
        ACCEPTED = "accepted", _("accepted")
        DECLINED = "declined", _("declined")
        EXPIRED = "expired", _("timed out")
        WITHDRAWN = "withdrawn", _("withdrawn")

    consultation = models.ForeignKey(Consultation, on_delete=models.CASCADE, related_name="offers")
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


# --- Service catalogue (LeiKa/FIM-like), opening hours, out-of-hours requests -------------


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
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)

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
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
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
            )
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.topic} ({self.get_state_display()})"


# --- Statistics roll-up (consult/rollup.py, docs/metrics.md) ---------------------------------
# Additive figures per Europe/Berlin day of closed days, so that a year reads thousands of
# rows instead of hundreds of thousands. A day's rows exist only while its RollupDay exists;
# the domain deletes both when a consultation of that day changes (consult/rollup.py).


class RollupDay(models.Model):
    """A Berlin day whose roll-up rows are complete, and the thresholds they were built with."""

    day = models.DateField(primary_key=True)
    built_at = models.DateTimeField(default=timezone.now)
    service_seconds = models.PositiveIntegerField()
    short_abandon_seconds = models.PositiveIntegerField()

    class Meta:
        ordering = ["day"]

    def __str__(self) -> str:
        return f"{self.day}"


class RollupFigures(models.Model):
    """Sums and counts of the consultations requested on one day, per topic, channel, walk-in
    or booked and clerk (no clerk: never answered)."""

    day = models.DateField()
    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="+")
    channel = models.CharField(max_length=8)
    booked = models.BooleanField(default=False)
    clerk = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, related_name="+"
    )
    total = models.IntegerField()
    short_abandoned = models.IntegerField()
    answered = models.IntegerField()
    abandoned = models.IntegerField()
    ended = models.IntegerField()
    still_waiting = models.IntegerField()
    within = models.IntegerField()
    wait_sum = models.FloatField(null=True)
    max_wait = models.FloatField(null=True)
    handled = models.IntegerField()
    handle_sum = models.FloatField(null=True)
    ratings = models.IntegerField()
    rating_sum = models.IntegerField(null=True)

    class Meta:
        indexes = [models.Index(fields=["day"], name="rollup_figures_day_idx")]

    def __str__(self) -> str:
        return f"{self.day} {self.topic_id} {self.channel} {self.clerk_id}"


class RollupHour(models.Model):
    """Requests and waits per day and local hour (the weekday-by-hour heatmap)."""

    day = models.DateField()
    hour = models.SmallIntegerField()
    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="+")
    channel = models.CharField(max_length=8)
    booked = models.BooleanField(default=False)
    total = models.IntegerField()
    answered = models.IntegerField()
    wait_sum = models.FloatField(null=True)

    class Meta:
        indexes = [models.Index(fields=["day"], name="rollup_hour_day_idx")]

    def __str__(self) -> str:
        return f"{self.day} {self.hour} {self.topic_id} {self.channel}"


class RollupWaits(models.Model):
    """How many answered consultations of a day waited within each bucket of
    ``consult.statistics.WAIT_EDGES``: the counts of buckets 0, 1, 2, ... separated by
    commas (one row per day, topic, channel and walk-in or booked; cheaper to read than a
    row per bucket or JSON). Locates exact percentiles without sorting the period's waits."""

    day = models.DateField()
    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="+")
    channel = models.CharField(max_length=8)
    booked = models.BooleanField(default=False)
    counts = models.TextField()

    class Meta:
        indexes = [models.Index(fields=["day"], name="rollup_waits_day_idx")]

    def __str__(self) -> str:
        return f"{self.day} {self.topic_id} {self.channel}"


class RollupBusy(models.Model):
    """Seconds of one Berlin day in which a clerk had at least one consultation, for all
    consultations (topic, channel and booked empty) and for every combination of a topic, a
    channel and walk-in or booked (the dashboard's filters)."""

    day = models.DateField()
    clerk = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, null=True, related_name="+")
    channel = models.CharField(max_length=8, blank=True)
    booked = models.BooleanField(null=True)
    seconds = models.FloatField()

    class Meta:
        indexes = [models.Index(fields=["day"], name="rollup_busy_day_idx")]

    def __str__(self) -> str:
        return f"{self.day} {self.clerk_id} {self.topic_id} {self.channel}"


class Availability(models.Model):
    """A weekly window in which a clerk takes appointments, in local wall-clock time
    (``TIME_ZONE``, Europe/Berlin): "Tuesdays 09:00-12:00" stays 09:00-12:00 across DST."""

    clerk = models.ForeignKey(
        StaffProfile,
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
        Topic, on_delete=models.PROTECT, related_name="appointments", verbose_name=_("topic")
    )
    clerk = models.ForeignKey(
        StaffProfile,
        on_delete=models.PROTECT,
        related_name="appointments",
        verbose_name=_("clerk"),
    )
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    state = models.CharField(_("state"), max_length=12, choices=State.choices, default=State.BOOKED)
    name = models.CharField(_("name"), max_length=120)
    email = models.EmailField(_("e-mail"), max_length=254)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
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
        Consultation,
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
        Consultation, on_delete=models.CASCADE, related_name="recordings"
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
    """Who did what to which protected item, and when (e.g. opened a recording)."""

    class Action(models.TextChoices):
        RECORDING_PLAYED = "recording.played", _("recording played")
        RECORDING_DOWNLOADED = "recording.downloaded", _("recording downloaded")

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
