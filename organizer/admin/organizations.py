"""Organizations, memberships, venues and categories."""

from __future__ import annotations

from django.contrib import admin
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from common.i18n import active_language
from organizations.models import Category, Membership, Organization, Venue
from organizer.admin.scoping import OrganizationScopedAdmin, can_manage, owned_organization_ids
from organizer.forms import CategoryAdminForm, MembershipAdminForm, OrganizationAdminForm, VenueAdminForm


@admin.register(Organization)
class OrganizationAdmin(OrganizationScopedAdmin):
    form = OrganizationAdminForm
    organization_lookup = "pk"
    list_display = ("display_name", "slug", "default_language", "timezone", "contact_email")
    search_fields = ("slug", "contact_email")
    readonly_fields = ("created_at",)
    fields = ("slug", "name", "contact_email", "default_language", "timezone", "created_at")

    def organization_id_of(self, obj) -> int:
        return obj.pk

    # An organization is set up by the platform (a superuser), who also names its first owner.
    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser

    @admin.display(description=_("name"), ordering="slug")
    def display_name(self, obj: Organization) -> str:
        return obj.t("name", active_language()) or obj.slug


@admin.register(Membership)
class MembershipAdmin(OrganizationScopedAdmin):
    """Managers invite managers and volunteers; only owners (and superusers) grant or touch ownership."""

    form = MembershipAdminForm
    list_display = ("user", "organization", "role", "created_at")
    list_filter = ("role", ("organization", admin.RelatedOnlyFieldListFilter))
    list_select_related = ("user", "organization")
    search_fields = ("user__username", "user__email", "organization__slug")
    fields = ("user", "organization", "role", "created_at")

    def get_readonly_fields(self, request, obj=None):
        return ("user", "organization", "created_at") if obj else ("created_at",)

    def _touches_foreign_ownership(self, request, obj) -> bool:
        owned = owned_organization_ids(request)
        if obj is None or owned is None:
            return False
        return obj.role == Membership.Role.OWNER and obj.organization_id not in owned

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and not self._touches_foreign_ownership(request, obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and not self._touches_foreign_ownership(request, obj)

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        form.ownable_organization_ids = owned_organization_ids(request)  # a fresh class per call
        return form


@admin.register(Venue)
class VenueAdmin(OrganizationScopedAdmin):
    form = VenueAdminForm
    list_display = ("display_name", "organization", "display_address", "map_link")
    list_filter = (("organization", admin.RelatedOnlyFieldListFilter),)
    list_select_related = ("organization",)
    search_fields = ("name", "organization__slug")
    fields = ("organization", "name", "address", ("latitude", "longitude"), "accessibility_notes")

    @admin.display(description=_("name"))
    def display_name(self, obj: Venue) -> str:
        return obj.t("name", active_language()) or f"Venue {obj.pk}"

    @admin.display(description=_("address"))
    def display_address(self, obj: Venue) -> str:
        return obj.t("address", active_language())

    @admin.display(description=_("map"))
    def map_link(self, obj: Venue):
        return format_html('<a href="{}" target="_blank" rel="noopener">OSM</a>', obj.map_url) if obj.map_url else "—"


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    """Categories are shared by all organizations: organizers may look, only superusers edit."""

    form = CategoryAdminForm
    list_display = ("display_name", "slug")
    search_fields = ("slug",)

    @admin.display(description=_("name"), ordering="slug")
    def display_name(self, obj: Category) -> str:
        return obj.t("name", active_language()) or obj.slug

    def has_module_permission(self, request):
        return can_manage(request)

    def has_view_permission(self, request, obj=None):
        return can_manage(request)

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser
