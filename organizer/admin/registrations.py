"""Organizers see their events' registrations and payments; status changes go through services."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from common.exceptions import DomainError
from organizer.admin.scoping import OrganizationScopedAdmin, ReadOnlyAdminMixin
from registrations import services
from registrations.models import Payment, Registration, StripeEvent, Ticket


class TicketInline(admin.TabularInline):
    model = Ticket
    extra = 0
    fields = ("position", "name")
    readonly_fields = ("position",)
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class PaymentInline(admin.TabularInline):
    model = Payment
    extra = 0
    fields = ("provider", "status", "amount", "currency", "paid_at", "refunded_at", "received_by", "last_error")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Registration)
class RegistrationAdmin(OrganizationScopedAdmin):
    organization_lookup = "event__organization_id"
    list_display = ("name", "email", "event", "status", "party_size", "language", "payment_method", "created_at")
    list_filter = (
        "status",
        "language",
        "payment_method",
        ("anonymised_at", admin.EmptyFieldListFilter),
        "event__organization",
    )
    search_fields = ("name", "email", "event__slug", "tickets__name")
    list_select_related = ("event", "event__organization")
    date_hierarchy = "created_at"
    inlines = [TicketInline, PaymentInline]
    actions = ["cancel_selected"]
    # Seats, waiting list and payments change only through the services (they hold the locks and
    # keep the event's seat counters exact), so the status fields are read-only here.
    readonly_fields = (
        "event",
        "user",
        "email",
        "status",
        "party_size",
        "manage_token",
        "payment_method",
        "amount_due",
        "currency",
        "hold_expires_at",
        "created_at",
        "confirmed_at",
        "waitlisted_at",
        "promoted_at",
        "paid_at",
        "cancelled_at",
        "expired_at",
        "anonymised_at",
        "anonymised_reason",
    )
    fields = ("name", "language", "answers", "consents", *readonly_fields)

    def organization_id_of(self, obj) -> int | None:
        return obj.event.organization_id

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.anonymised_at is not None:
            return self.fields  # erased stays erased
        return super().get_readonly_fields(request, obj)

    def has_add_permission(self, request):
        return False  # people register through the site or the API

    def has_delete_permission(self, request, obj=None):
        return False  # cancel instead: the history and the counts stay

    @admin.action(description=_("Cancel selected registrations (frees seats, promotes the waiting list)"))
    def cancel_selected(self, request, queryset):
        done = 0
        for registration in queryset:
            try:
                services.registration_cancel(registration_id=registration.pk, actor=request.user)
                done += 1
            except DomainError as exc:
                self.message_user(request, f"{registration}: {exc.message}", messages.ERROR)
        self.message_user(request, ngettext("%d registration cancelled.", "%d registrations cancelled.", done) % done)


@admin.register(Payment)
class PaymentAdmin(OrganizationScopedAdmin):
    organization_lookup = "registration__event__organization_id"
    list_display = ("registration", "provider", "status", "amount", "currency", "paid_at", "refunded_at")
    list_filter = ("provider", "status")
    list_select_related = ("registration", "registration__event")
    search_fields = ("registration__email", "checkout_session_id", "payment_intent_id")

    def organization_id_of(self, obj) -> int | None:
        return obj.registration.event.organization_id

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in Payment._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(StripeEvent)
class StripeEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Raw webhook log, for operators only."""

    list_display = ("event_id", "type", "received_at", "processed_at")
    list_filter = ("type",)
    search_fields = ("event_id",)

    def has_module_permission(self, request):
        return request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser
