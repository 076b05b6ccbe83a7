"""The outbox in the admin: what was sent to whom, what failed and why, and a retry action."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from notifications import outbox
from notifications.models import Announcement, Feedback, Notification
from organizer.admin.scoping import OrganizationScopedAdmin


@admin.register(Notification)
class NotificationAdmin(OrganizationScopedAdmin):
    organization_lookup = "registration__event__organization_id"
    list_display = ("id", "kind", "recipient", "language", "status", "attempts", "subject", "created_at", "sent_at")
    list_filter = ("status", "kind", "language")
    search_fields = ("recipient", "dedupe_key", "subject")
    list_select_related = ("registration", "registration__event")
    date_hierarchy = "created_at"
    actions = ["retry_selected"]
    readonly_fields = [field.name for field in Notification._meta.fields]

    def organization_id_of(self, obj) -> int | None:
        if obj.registration_id is None:  # the answer to a resident's comment
            return obj.comment.organization_id if obj.comment_id else None
        return obj.registration.event.organization_id

    def has_add_permission(self, request):
        return False  # rows are written by the use cases, in their transactions

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # the outbox is also the record of what was sent

    @admin.action(description=_("Retry selected failed or skipped notifications"), permissions=["view"])
    def retry_selected(self, request, queryset):
        retried = sum(outbox.notification_retry(notification_id=pk) for pk in queryset.values_list("pk", flat=True))
        skipped = queryset.count() - retried
        self.message_user(
            request, ngettext("%d notification queued again.", "%d notifications queued again.", retried) % retried
        )
        if skipped:
            self.message_user(
                request,
                _("Only failed or skipped notifications can be retried; sent ones never are."),
                messages.WARNING,
            )


@admin.register(Announcement)
class AnnouncementAdmin(OrganizationScopedAdmin):
    list_display = ("__str__", "organization", "recipient_count", "created_by", "created_at")
    list_select_related = ("organization", "created_by")
    readonly_fields = ("organization", "events", "subject", "body", "created_by", "recipient_count", "created_at")

    def has_add_permission(self, request):
        return False  # sent through the organizer API, which checks events and languages

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Feedback)
class FeedbackAdmin(OrganizationScopedAdmin):
    organization_lookup = "registration__event__organization_id"
    list_display = ("registration", "event", "rating", "language", "comment", "created_at")
    list_filter = ("rating", "language", "registration__event__organization")
    list_select_related = ("registration", "registration__event")
    search_fields = ("registration__event__slug", "comment")
    readonly_fields = ("registration", "rating", "comment", "language", "created_at", "updated_at")

    def organization_id_of(self, obj) -> int | None:
        return obj.registration.event.organization_id

    @admin.display(description=_("event"))
    def event(self, obj):
        return obj.registration.event

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
