from django.contrib import admin

from consult.appointments.models import Appointment, Availability
from consult.catalogue.models import CallbackRequest, Closure, Office, OpeningHours, Service, Topic
from consult.consultations.models import Consultation, Message
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
    inlines = [AvailabilityInline]
    list_display = ["display_name", "user", "status", "status_changed_at"]
    list_filter = ["status", "topics"]
    filter_horizontal = ["topics"]
    search_fields = ["display_name", "user__username"]


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
    readonly_fields = ["topic", "question", "name", "email", "phone", "created_at", "done_at"]
    fields = [*readonly_fields, "state", "done_by", "note"]


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
