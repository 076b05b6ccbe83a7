"""Membership-driven admin permissions.

``has_*_permission`` ask "does the user own or manage this object's organization?" instead of
checking Django model permissions. The managed organization ids are computed once per request.
"""

from __future__ import annotations

from django.contrib import admin
from django.db import models, transaction
from django.http import HttpRequest

from audit import services as audit
from audit.models import AuditAction
from events.models import Event, Session
from organizations import access
from organizations.models import Membership, Organization, Venue

# The request-memoised answers of organizations.access, under the names the admin classes use.
managed_organization_ids = access.request_managed_ids
owned_organization_ids = access.request_owned_ids
can_manage = access.request_can_manage


def limit_foreign_key(request: HttpRequest, db_field: models.ForeignKey, kwargs: dict) -> None:
    """Offer only the user's organizations, their venues and their events in foreign-key selects."""
    if request.user.is_superuser or "queryset" in kwargs:
        return
    ids = managed_organization_ids(request)
    related = db_field.related_model
    if related is Organization:
        kwargs["queryset"] = Organization.objects.filter(pk__in=ids)
    elif related is Venue:
        kwargs["queryset"] = Venue.objects.filter(organization_id__in=ids).select_related("organization")
    elif related is Event:
        kwargs["queryset"] = Event.objects.filter(organization_id__in=ids).select_related("organization")


class ReadOnlyAdminMixin:
    """Rows only the app writes (logs, scans): listed and viewed here, never added, edited or deleted."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class OrganizationScopedAdmin(admin.ModelAdmin):
    """A ModelAdmin whose rows belong to one organization each.

    Subclasses set ``organization_lookup`` (queryset path to the organization id) and implement
    ``organization_id_of(obj)``.
    """

    organization_lookup = "organization_id"

    def organization_id_of(self, obj) -> int | None:
        return obj.organization_id

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return queryset.filter(**{f"{self.organization_lookup}__in": managed_organization_ids(request)})

    def can_manage_object(self, request, obj=None) -> bool:
        if obj is None:
            return can_manage(request)
        return can_manage(request, self.organization_id_of(obj))

    def has_module_permission(self, request):
        return can_manage(request)

    def has_view_permission(self, request, obj=None):
        return self.can_manage_object(request, obj)

    def has_add_permission(self, request):
        return can_manage(request)

    def has_change_permission(self, request, obj=None):
        return self.can_manage_object(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self.can_manage_object(request, obj)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        limit_foreign_key(request, db_field, kwargs)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    # --- audit: every admin add/change/delete also lands in the organizers' audit log ----------
    # Django calls these inside the add/change/delete view's transaction, right where it writes its
    # own LogEntry, so the audit entry commits or rolls back with the edit.

    def _audit(self, request, obj, action: AuditAction, message) -> None:
        if (obj._meta.label, obj.pk) in getattr(request, "_audited_by_service", ()):
            return  # saved through a service, which wrote its own, more precise entry (event.update…)
        details = {"model": obj._meta.model_name}
        if message:
            details["message"] = message
        if isinstance(obj, Membership):
            details.update(user=obj.user_id, role=obj.role)
        # A savepoint inside the view's transaction; Django's "delete selected" action logs
        # outside one, just before it deletes (as Django's own LogEntry does).
        with transaction.atomic():
            self._audit_record(request, obj, action, details)

    def _audit_record(self, request, obj, action: AuditAction, details: dict) -> None:
        audit.record(
            actor=request.user,
            action=action,
            organization_id=self.organization_id_of(obj),
            event_id=obj.pk if isinstance(obj, Event) else getattr(obj, "event_id", None),
            target_type=obj._meta.model_name,
            target_id=obj.pk,
            target_label=admin_audit_label(obj),
            details=details,
        )

    def log_addition(self, request, obj, message):
        self._audit(request, obj, AuditAction.ADMIN_ADD, message)
        return super().log_addition(request, obj, message)

    def log_change(self, request, obj, message):
        self._audit(request, obj, AuditAction.ADMIN_CHANGE, message)
        return super().log_change(request, obj, message)

    def log_deletions(self, request, queryset):
        for obj in queryset:
            self._audit(request, obj, AuditAction.ADMIN_DELETE, None)
        return super().log_deletions(request, queryset)


def audited_by_service(request: HttpRequest, obj) -> None:
    """``obj`` was saved through a service that records its own audit entry: the admin adds none."""
    if not hasattr(request, "_audited_by_service"):
        request._audited_by_service = set()
    request._audited_by_service.add((obj._meta.label, obj.pk))


def admin_audit_label(obj) -> str:
    """Organizer-side things are named; rows about attendees only by number (no names in the log)."""
    if isinstance(obj, Event):
        return audit.event_label(obj)
    if isinstance(obj, Session):
        return audit.session_label(obj)
    if isinstance(obj, Organization | Venue | Membership):
        return str(obj)[:200]
    return f"{obj._meta.model_name} #{obj.pk}"
