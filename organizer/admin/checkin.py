"""Check-in history for organizers: read-only (scans are made at the door, undone through the
API so the in/out history stays consistent), scoped to the organizations they manage."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from checkin.models import CheckIn
from organizer.admin.scoping import OrganizationScopedAdmin, ReadOnlyAdminMixin


@admin.register(CheckIn)
class CheckInAdmin(ReadOnlyAdminMixin, OrganizationScopedAdmin):
    organization_lookup = "session__event__organization_id"
    list_display = (
        "id",
        "ticket_name",
        "session",
        "direction",
        "entry",
        "status",
        "source",
        "scanned_at",
        "scanned_by",
        "device",
        "reverted_at",
    )
    list_filter = ("direction", "status", "source", "is_duplicate", ("reverted_at", admin.EmptyFieldListFilter))
    list_select_related = ("ticket", "session", "session__event", "scanned_by")
    search_fields = ("ticket__name", "registration__name", "=nonce", "device")
    date_hierarchy = "scanned_at"
    readonly_fields = [field.name for field in CheckIn._meta.fields]

    def organization_id_of(self, obj: CheckIn) -> int:
        return obj.session.event.organization_id

    @admin.display(description=_("Name"), ordering="ticket__name")
    def ticket_name(self, obj: CheckIn) -> str:
        return obj.ticket.name
