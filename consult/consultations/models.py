"""A consultation and its log: the citizen's request, its state, and every entry (text or
state change) in sequence order."""

import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from consult.dbfunctions import Seconds

# The citizen's optional short concern, given with the start (shown to the clerks in the
# queue and the offer; citizen content, so retention clears it with the chat log).
MAX_CONCERN = 200


def new_public_token() -> str:
    """256 random bits, URL-safe: the citizen's only credential for their consultation."""
    return secrets.token_urlsafe(32)


class Consultation(models.Model):
    class Channel(models.TextChoices):
        CHAT = "chat", _("chat")
        VIDEO = "video", _("video")
        # A written question, answered later (consult/queue/questions.py): never in the
        # live queue, not in the live figures (docs/metrics.md, "Written questions").
        ASYNC = "async", _("written question")

    class State(models.TextChoices):
        WAITING = "waiting", _("waiting")
        ACTIVE = "active", _("active")
        ENDED = "ended", _("ended")
        ABANDONED = "abandoned", _("abandoned")
        ASKED = "asked", _("question waiting for an answer")

    class Outcome(models.TextChoices):
        RESOLVED = "resolved", _("resolved")
        FOLLOW_UP = "follow_up", _("follow-up needed")
        REFERRED = "referred", _("referred elsewhere")
        UNRESOLVED = "unresolved", _("could not be resolved")
        ABORTED = "aborted", _("aborted (connection lost)")

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
        "consult.Topic",
        on_delete=models.PROTECT,
        related_name="consultations",
        verbose_name=_("topic"),
    )
    channel = models.CharField(
        _("channel"), max_length=8, choices=Channel.choices, default=Channel.CHAT
    )
    # The service page the citizen came from (a service of the topic), if any.
    service = models.ForeignKey(
        "consult.Service",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("service"),
    )
    concern = models.CharField(_("concern"), max_length=MAX_CONCERN, blank=True)
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
    # The clerk routing offers this consultation to first (the clerk a booked appointment
    # is with; consult/queue/routing.py); others get it when that clerk cannot take it now.
    preferred_clerk = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("preferred clerk"),
    )
    accepted_at = models.DateTimeField(_("accepted"), null=True, blank=True)
    first_accepted_at = models.DateTimeField(
        _("first accepted"),
        null=True,
        blank=True,
        help_text=_("The end of the wait, for statistics; a requeue does not reset it."),
    )
    # The clerk's open invitation to continue the chat by video (consult/queue/video.py);
    # an invitation from before the latest accept belongs to an earlier clerk and is stale.
    video_invited_at = models.DateTimeField(_("invited to video"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)
    # When a socket of the citizen was last known open (consult/queue/presence.py); empty
    # until their first socket. A waiting citizen gone longer than the grace is abandoned.
    citizen_seen_at = models.DateTimeField(_("citizen last connected"), null=True, blank=True)
    # Written questions only: where to say that the answer is there (optional, never shown
    # to clerks), and when a clerk first answered (time to first answer, docs/metrics.md).
    notify_email = models.EmailField(_("e-mail for the answer notice"), max_length=254, blank=True)
    answered_at = models.DateTimeField(_("first answered"), null=True, blank=True)
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
            # The consultations in progress and the open written questions by channel, for
            # the operator's /metrics (consult/queue/monitoring.py): few rows, however long
            # the history.
            models.Index(
                fields=["state", "channel"],
                name="consult_open_idx",
                condition=models.Q(state__in=["active", "asked"]),
            ),
            # Statistics filter by the day a consultation was requested.
            models.Index(fields=["created_at", "topic"], name="consult_created_idx"),
            # Exact percentiles over long periods read the waits in order from here,
            # without touching the table (consult/statistics/, docs/metrics.md).
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


# The channels of a live consultation (the queue, the figures); a written question is not.
LIVE_CHANNELS = (Consultation.Channel.CHAT, Consultation.Channel.VIDEO)


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
        RELAY_MOVED = "relay_moved", _("video relay moved to another server")
        DOCUMENT = "document", _("document")
        QUESTION = "question", _("written question")

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
            # Per sender: a clerk's client may pick an id the citizen's client already used.
            models.UniqueConstraint(
                fields=["consultation", "sender", "client_id"],
                condition=~models.Q(client_id=""),
                name="message_sender_client_id_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.consultation_id}:{self.seq} {self.kind}"

    @property
    def state_after(self) -> str:
        """The consultation's state once this entry is written (``STATE_AFTER``)."""
        return STATE_AFTER[self.kind]


# The consultation's state after each kind of log entry. Text and the switch to video are
# written only while the consultation is active. Every frame of a log entry carries this
# state, so no client works it out again.
STATE_AFTER: dict[str, str] = {
    Message.Kind.TEXT: Consultation.State.ACTIVE,
    Message.Kind.ACCEPTED: Consultation.State.ACTIVE,
    Message.Kind.VIDEO: Consultation.State.ACTIVE,
    Message.Kind.RELAY_MOVED: Consultation.State.ACTIVE,
    Message.Kind.DOCUMENT: Consultation.State.ACTIVE,
    Message.Kind.ENDED: Consultation.State.ENDED,
    Message.Kind.ABANDONED: Consultation.State.ABANDONED,
    Message.Kind.REQUEUED: Consultation.State.WAITING,
    Message.Kind.TRANSFERRED: Consultation.State.WAITING,
    Message.Kind.QUESTION: Consultation.State.ASKED,
}


def new_storage_name() -> str:
    """The file's name on disk: 192 random bits, unrelated to its name or content."""
    return secrets.token_urlsafe(24)


class Document(models.Model):
    """A file shared in the chat (consult/chat/documents.py): its log entry of kind
    ``document``, and the checked, re-encoded file under ``DOCUMENTS_ROOT`` (never under the
    static or media roots), named by ``storage_name``."""

    class Type(models.TextChoices):
        PDF = "application/pdf", "PDF"
        JPEG = "image/jpeg", "JPEG"
        PNG = "image/png", "PNG"

    consultation = models.ForeignKey(
        Consultation, on_delete=models.CASCADE, related_name="documents"
    )
    message = models.OneToOneField(
        Message, on_delete=models.CASCADE, related_name="document", verbose_name=_("log entry")
    )
    name = models.CharField(_("file name"), max_length=120)
    content_type = models.CharField(_("type"), max_length=32, choices=Type.choices)
    size = models.PositiveIntegerField(_("size in bytes"))
    storage_name = models.CharField(
        max_length=64, unique=True, default=new_storage_name, editable=False
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["consultation", "pk"]
        verbose_name = _("document")
        verbose_name_plural = _("documents")

    def __str__(self) -> str:
        return f"{self.consultation_id}:{self.pk} {self.content_type}"


class InternalNote(models.Model):
    """A clerk's internal note on a consultation (a hand-over note): never shown to the
    citizen, neither a log entry nor part of any transcript. Whoever is the consultation's
    clerk sees all its notes, so a transfer carries them to the next clerk
    (consult/consultations/notes.py)."""

    consultation = models.ForeignKey(
        Consultation, on_delete=models.CASCADE, related_name="internal_notes"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("author"),
    )
    body = models.TextField(_("note"))
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["consultation", "created_at", "pk"]
        verbose_name = _("internal note")
        verbose_name_plural = _("internal notes")

    def __str__(self) -> str:
        return f"{self.consultation_id}:{self.pk} note"
