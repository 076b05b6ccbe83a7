"""The audit log in the admin: read-only, each manager sees their own organizations' entries."""

from django.contrib import admin

from audit.models import AuditEntry
from organizer.admin.scoping import OrganizationScopedAdmin, ReadOnlyAdminMixin


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdminMixin, OrganizationScopedAdmin):
    list_display = ("at", "actor_label", "organization", "action", "target_type", "target_label", "ip")
    list_filter = ("action", "target_type", ("organization", admin.RelatedOnlyFieldListFilter))
    list_select_related = ("organization",)
    search_fields = ("actor_label", "target_label", "event__slug")
    date_hierarchy = "at"
    readonly_fields = [field.name for field in AuditEntry._meta.fields]
