"""The admin: catalogue and staff are edited here; everything with a life cycle is either
read-only or changed through the same domain functions the consoles use, so the admin cannot
produce a state the domain could not."""

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from consult.appointments.models import Appointment, Availability
from consult.catalogue import callbacks
from consult.catalogue.models import CallbackRequest, Closure, Office, OpeningHours, Service, Topic
from consult.chat.models import Snippet
from consult.consultations.models import Consultation, Message
from consult.errors import DomainError
from consult.queue import status as clerk_status
from consult.recording.models import AuditEvent, Recording, RecordingFile
from consult.staff.models import StaffProfile


class OpeningHoursInline(admin.TabularInline):
    model = OpeningHours
    extra = 0


class ClosureInline(admin.TabularInline):
    model = Closure
    extra = 0


@admin.register(Topic)
class TopicAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "active", "sort_order", "appointment_minutes"]
    list_editable = ["active", "sort_order"]
    prepopulated_fields = {"slug": ["name"]}
    search_fields = ["name", "description"]
    inlines = [OpeningHoursInline, ClosureInline]


class AvailabilityInline(admin.TabularInline):
    """Weekly windows in which the clerk takes appointments (local time)."""

    model = Availability
    extra = 1


@admin.register(StaffProfile)
class StaffProfileAdmin(admin.ModelAdmin):
    """A status set here goes through ``set_status`` like the console's: the status period is
    recorded, a clerk set offline hands back their conversations, consoles hear of it."""

    inlines = [AvailabilityInline]
    list_display = ["display_name", "user", "status", "status_changed_at"]
    list_filter = ["status", "topics"]
    filter_horizontal = ["topics"]
    search_fields = ["display_name", "user__username"]
    readonly_fields = ["status_changed_at", "idle_since", "last_seen_at", "missed_offers"]
    actions = ["set_available", "set_away", "set_offline"]

    def save_model(self, request: HttpRequest, obj: StaffProfile, form: Any, change: bool) -> None:
        wanted = obj.status
        obj.status = (
            form.initial.get("status", StaffProfile.Status.OFFLINE)
            if change
            else (StaffProfile.Status.OFFLINE)
        )
        super().save_model(request, obj, form, change)
        if wanted != obj.status:
            clerk_status.set_status(clerk=obj.user, status=wanted)
            obj.refresh_from_db()

    def _set(self, request: HttpRequest, profiles: QuerySet[StaffProfile], status: str) -> None:
        for profile in profiles.select_related("user"):
            clerk_status.set_status(clerk=profile.user, status=status)
        self.message_user(request, _("Status changed."), messages.SUCCESS)

    @admin.action(description=_("Set available"))
    def set_available(self, request: HttpRequest, queryset: QuerySet[StaffProfile]) -> None:
        self._set(request, queryset, StaffProfile.Status.AVAILABLE)

    @admin.action(description=_("Set away"))
    def set_away(self, request: HttpRequest, queryset: QuerySet[StaffProfile]) -> None:
        self._set(request, queryset, StaffProfile.Status.AWAY)

    @admin.action(description=_("Set offline (conversations go back to the queue)"))
    def set_offline(self, request: HttpRequest, queryset: QuerySet[StaffProfile]) -> None:
        self._set(request, queryset, StaffProfile.Status.OFFLINE)


class NoAddMixin:
    """Records made only by the domain functions: the admin may view and correct, not add."""

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


class MessageInline(NoAddMixin, admin.TabularInline):
    model = Message
    extra = 0
    can_delete = False
    fields = ("seq", "kind", "sender", "body", "created_at")
    readonly_fields = fields


@admin.register(Consultation)
class ConsultationAdmin(NoAddMixin, admin.ModelAdmin):
    """Read-mostly: the life cycle is driven by the domain functions, not by editing here."""

    list_display = [
        "pk",
        "topic",
        "channel",
        "state",
        "clerk",
        "created_at",
        "accepted_at",
        "ended_at",
        "outcome",
    ]
    list_filter = ["state", "channel", "topic", "outcome"]
    date_hierarchy = "created_at"
    readonly_fields = (
        "public_token",
        "topic",
        "service",
        "concern",
        "channel",
        "state",
        "clerk",
        "created_at",
        "accepted_at",
        "ended_at",
        "ended_by",
        "last_seq",
    )
    fields = (*readonly_fields, "outcome")
    inlines = [MessageInline]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        """The outcome is the clerk's wrap-up: correctable only once the consultation ended."""
        if obj is None or obj.state != Consultation.State.ENDED:
            return self.fields
        return self.readonly_fields

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # retention (purge_expired) deletes what is due; the row feeds statistics


@admin.register(Message)
class MessageAdmin(NoAddMixin, admin.ModelAdmin):
    list_display = ["consultation", "seq", "kind", "sender", "created_at"]
    list_filter = ["kind", "sender"]
    readonly_fields = [
        "consultation",
        "seq",
        "kind",
        "sender",
        "author",
        "body",
        "client_id",
        "created_at",
    ]


@admin.register(Office)
class OfficeAdmin(admin.ModelAdmin):
    list_display = ["name", "phone", "email"]
    search_fields = ["name", "address"]


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "leika_key", "topic", "office", "active"]
    list_filter = ["active", "topic", "office"]
    list_editable = ["active"]
    prepopulated_fields = {"slug": ["name"]}
    search_fields = ["name", "slug", "leika_key", "keywords", "description"]
    autocomplete_fields = ["office"]


@admin.register(Snippet)
class SnippetAdmin(admin.ModelAdmin):
    """The topics' snippets (clerks keep their personal ones on the console's snippet page,
    which the admin neither lists nor changes)."""

    list_display = ["title", "topic", "service"]
    list_filter = ["topic"]
    search_fields = ["title", "body"]
    fields = ["title", "topic", "body", "service"]
    autocomplete_fields = ["service"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Snippet]:
        return super().get_queryset(request).filter(owner__isnull=True)


@admin.register(Closure)
class ClosureAdmin(admin.ModelAdmin):
    list_display = ["date", "reason", "topic"]
    list_filter = ["topic"]
    date_hierarchy = "date"


@admin.register(CallbackRequest)
class CallbackRequestAdmin(NoAddMixin, admin.ModelAdmin):
    list_display = ["pk", "topic", "state", "created_at", "done_at", "done_by"]
    list_filter = ["state", "topic"]
    date_hierarchy = "created_at"
    readonly_fields = [
        "topic",
        "question",
        "name",
        "email",
        "phone",
        "created_at",
        "state",
        "done_at",
        "done_by",
        "note",
    ]
    fields = tuple(readonly_fields)
    actions = ["mark_done"]

    @admin.action(description=_("Mark done (as a clerk of the request's topic)"))
    def mark_done(self, request: HttpRequest, queryset: QuerySet[CallbackRequest]) -> None:
        """The same rule as in the console: a clerk of the topic completes it, and ``done_at``
        is set, so the retention period runs."""
        for callback in queryset:
            try:
                callbacks.complete_callback_request(request_id=callback.pk, clerk=request.user)
            except DomainError as error:
                self.message_user(request, f"#{callback.pk}: {error.detail}", messages.ERROR)
            else:
                self.message_user(request, _("#%(pk)s done.") % {"pk": callback.pk})


@admin.register(Appointment)
class AppointmentAdmin(NoAddMixin, admin.ModelAdmin):
    """Booked by citizens through the domain functions; the admin views them."""

    list_display = ["starts_at", "topic", "clerk", "state", "name", "reminded_at"]
    list_filter = ["state", "topic", "clerk"]
    date_hierarchy = "starts_at"
    search_fields = ["name", "email"]
    readonly_fields = [
        "topic",
        "clerk",
        "starts_at",
        "ends_at",
        "state",
        "name",
        "email",
        "phone",
        "language",
        "created_at",
        "booked_at",
        "reminded_at",
        "cancelled_at",
        "consultation",
    ]


class RecordingFileInline(NoAddMixin, admin.TabularInline):
    model = RecordingFile
    extra = 0
    can_delete = False
    fields = ("party", "path", "size_bytes", "duration_seconds")
    readonly_fields = fields


@admin.register(Recording)
class RecordingAdmin(NoAddMixin, admin.ModelAdmin):
    """Read only: consent, withdrawal and deletion run through consult/recording/recordings.py and
    the retention command (which also delete the files)."""

    list_display = ["pk", "consultation", "state", "created_at", "duration_seconds"]
    list_filter = ["state"]
    inlines = [RecordingFileInline]

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(NoAddMixin, admin.ModelAdmin):
    list_display = ["created_at", "actor_name", "action", "object_type", "object_id", "detail"]
    list_filter = ["action"]

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False
