"""The audit log in the admin: read-only, each manager sees their own organizations' entries."""

from django.contrib import admin

from audit.models import AuditEntry
from events.admin.scoping import OrganizationScopedAdmin


@admin.register(AuditEntry)
class AuditEntryAdmin(OrganizationScopedAdmin):
    list_display = ("at", "actor_label", "organization", "action", "target_type", "target_label", "ip")
    list_filter = ("action", "target_type", ("organization", admin.RelatedOnlyFieldListFilter))
    list_select_related = ("organization",)
    search_fields = ("actor_label", "target_label", "event__slug")
    date_hierarchy = "at"
    readonly_fields = [field.name for field in AuditEntry._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
