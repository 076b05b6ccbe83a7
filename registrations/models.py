from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from events.models import Event, PromoCode, TicketType
from registrations.shortcodes import new_short_code


def new_token() -> str:
    return secrets.token_urlsafe(32)


class RegistrationQuerySet(models.QuerySet):
    def holding_seats(self):
        return self.filter(status__in=Registration.SEAT_HOLDING)

    def waitlisted_in_order(self):
        return self.filter(status=Registration.Status.WAITLISTED).order_by("waitlisted_at", "id")


class Registration(models.Model):
    class Status(models.TextChoices):
        PENDING_PAYMENT = "pending_payment", _("Pending payment")
        # Seat held until the emailed link is opened (Event.email_confirm_minutes).
        PENDING_EMAIL = "pending_email", _("Awaiting email confirmation")
        CONFIRMED = "confirmed", _("Confirmed")
        WAITLISTED = "waitlisted", _("Waitlisted")
        CANCELLED = "cancelled", _("Cancelled")
        EXPIRED = "expired", _("Expired")

    class PaymentMethod(models.TextChoices):
        NONE = "", _("Free")
        ONLINE = "online", _("Online (Stripe)")
        DOOR = "door", _("At the door")

    class AnonymisedReason(models.TextChoices):
        REQUEST = "request", _("Erased at the attendee's request")
        RETENTION = "retention", _("Anonymised after the retention period")

    SEAT_HOLDING = (Status.CONFIRMED, Status.PENDING_PAYMENT, Status.PENDING_EMAIL)
    ACTIVE = (Status.CONFIRMED, Status.PENDING_PAYMENT, Status.PENDING_EMAIL, Status.WAITLISTED)
    # Holding a seat for a limited time (hold_expires_at): released by registrations.services when overdue.
    ON_HOLD = (Status.PENDING_PAYMENT, Status.PENDING_EMAIL)

    event = models.ForeignKey(Event, verbose_name=_("event"), on_delete=models.PROTECT, related_name="registrations")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="registrations",
    )
    name = models.CharField(_("Name"), max_length=200)
    email = models.EmailField(_("Email address"))  # stored lower-cased: one active registration per address and event
    language = models.CharField(_("Language"), max_length=10, default="en")
    answers = models.JSONField(_("Answers"), default=dict, blank=True)
    consents = models.JSONField(_("consents"), default=dict, blank=True)
    party_size = models.PositiveSmallIntegerField(_("seats (with guests)"), default=1)
    status = models.CharField(_("Status"), max_length=16, choices=Status.choices, db_index=True)
    manage_token = models.CharField(
        _("private link key"), max_length=64, unique=True, default=new_token, editable=False
    )
    payment_method = models.CharField(
        _("payment method"), max_length=10, choices=PaymentMethod.choices, blank=True, default=""
    )
    amount_due = models.DecimalField(_("amount due"), max_digits=10, decimal_places=2, default=0)
    currency = models.CharField(_("Currency"), max_length=3, default="CNY")
    hold_expires_at = models.DateTimeField(_("seat held until"), null=True, blank=True, db_index=True)
    # When the link emailed to the address was opened (events that ask for it): proof of the mailbox.
    email_confirmed_at = models.DateTimeField(_("email confirmed at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("last changed"), auto_now=True)
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    waitlisted_at = models.DateTimeField(_("put on the waiting list at"), null=True, blank=True)
    promoted_at = models.DateTimeField(_("promoted at"), null=True, blank=True)
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    expired_at = models.DateTimeField(_("expired at"), null=True, blank=True)
    # Personal data erased (the attendee asked, or the retention period ran out); the row and its
    # counts stay for the reports. See registrations/services/privacy.py.
    anonymised_at = models.DateTimeField(_("anonymised at"), null=True, blank=True, db_index=True)
    anonymised_reason = models.CharField(
        _("why anonymised"), max_length=10, choices=AnonymisedReason.choices, blank=True, default=""
    )
    # The code typed at registration (its discount is on the lines); an active registration is one use.
    promo_code = models.ForeignKey(
        PromoCode, on_delete=models.PROTECT, null=True, blank=True, related_name="registrations", verbose_name=_("Code")
    )

    objects = RegistrationQuerySet.as_manager()

    class Meta:
        verbose_name = _("registration")
        verbose_name_plural = _("registrations")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["event", "email"],
                condition=Q(status__in=["pending_payment", "pending_email", "confirmed", "waitlisted"]),
                name="registration_one_active_per_email",
            ),
            models.CheckConstraint(condition=Q(party_size__gte=1), name="registration_party_size_positive"),
            models.CheckConstraint(condition=Q(amount_due__gte=0), name="registration_amount_due_non_negative"),
        ]
        indexes = [models.Index(fields=["event", "status"])]

    def __str__(self) -> str:
        return f"{self.name} <{self.email}> — {self.event} ({self.status})"

    @property
    def is_confirmed(self) -> bool:
        return self.status == self.Status.CONFIRMED

    @property
    def owes_at_door(self) -> bool:
        return self.payment_method == self.PaymentMethod.DOOR and self.paid_at is None


class Ticket(models.Model):
    """One seat: the registrant is position 0, each guest has their own ticket."""

    registration = models.ForeignKey(
        Registration, verbose_name=_("registration"), on_delete=models.CASCADE, related_name="tickets"
    )
    position = models.PositiveSmallIntegerField(_("seat number"), default=0)
    name = models.CharField(_("Name"), max_length=200)
    # Read out or typed at the door when the QR will not scan (see registrations/shortcodes.py).
    short_code = models.CharField(_("Ticket code"), max_length=8, unique=True, default=new_short_code, editable=False)

    class Meta:
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        ordering = ["registration_id", "position"]
        constraints = [
            models.UniqueConstraint(fields=["registration", "position"], name="ticket_unique_position"),
        ]

    def __str__(self) -> str:
        return f"Ticket {self.pk} ({self.name})"


class RegistrationLine(models.Model):
    """What one seat costs: its ticket type, the guest's name, the price and the code's discount.

    One per seat, the same positions as the tickets (0 is the registrant). ``ticket_type`` is empty
    on events without ticket types (the single ``Event.price`` of older events, kept one release).
    ``amount`` = ``unit_price`` - ``discount``; the registration's ``amount_due`` is their sum.
    """

    registration = models.ForeignKey(
        Registration, on_delete=models.CASCADE, related_name="lines", verbose_name=_("registration")
    )
    position = models.PositiveSmallIntegerField(default=0, verbose_name=_("position"))
    ticket = models.OneToOneField(
        Ticket, on_delete=models.SET_NULL, null=True, blank=True, related_name="line", verbose_name=_("ticket")
    )
    ticket_type = models.ForeignKey(
        TicketType, on_delete=models.PROTECT, null=True, blank=True, related_name="lines", verbose_name=_("ticket type")
    )
    name = models.CharField(max_length=200, verbose_name=_("name"))
    unit_price = models.DecimalField(max_digits=10, decimal_places=2, verbose_name=_("unit price"))
    discount = models.DecimalField(max_digits=10, decimal_places=2, default=0, verbose_name=_("Discount"))
    amount = models.DecimalField(max_digits=10, decimal_places=2, verbose_name=_("amount"))

    class Meta:
        verbose_name = _("seat line")
        verbose_name_plural = _("seat lines")
        ordering = ["registration_id", "position"]
        constraints = [
            models.UniqueConstraint(fields=["registration", "position"], name="registration_line_unique_position"),
            models.CheckConstraint(condition=Q(discount__gte=0), name="registration_line_discount_non_negative"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="registration_line_amount_non_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.name}: {self.amount}"


class CalendarFeed(models.Model):
    """A private, revocable iCal feed of every confirmed session of one email address."""

    email = models.EmailField(_("Email address"), unique=True)
    token = models.CharField(_("private link key"), max_length=64, unique=True, default=new_token)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    rotated_at = models.DateTimeField(_("link renewed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("calendar subscription link")
        verbose_name_plural = _("calendar subscription links")

    def __str__(self) -> str:
        return f"Calendar feed of {self.email}"


class Payment(models.Model):
    class Provider(models.TextChoices):
        STRIPE = "stripe", "Stripe"
        DOOR = "door", _("Cash at the door")

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        PAID = "paid", pgettext_lazy("payment status", "Paid")  # 已支付, not the price filter's 付费
        FAILED = "failed", _("Failed")
        REFUND_PENDING = "refund_pending", _("Refund pending")
        REFUNDED = "refunded", _("Refunded")

    registration = models.ForeignKey(
        Registration, verbose_name=_("registration"), on_delete=models.PROTECT, related_name="payments"
    )
    provider = models.CharField(_("paid via"), max_length=10, choices=Provider.choices)
    status = models.CharField(_("Status"), max_length=16, choices=Status.choices, default=Status.PENDING)
    amount = models.DecimalField(_("amount"), max_digits=10, decimal_places=2)
    currency = models.CharField(_("Currency"), max_length=3)
    checkout_session_id = models.CharField(_("Stripe checkout session"), max_length=255, blank=True, db_index=True)
    checkout_url = models.URLField(_("Stripe payment page"), max_length=2000, blank=True)
    payment_intent_id = models.CharField(_("Stripe payment"), max_length=255, blank=True)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("received by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    refunded_at = models.DateTimeField(_("refunded at"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["id"]
        constraints = [models.CheckConstraint(condition=Q(amount__gte=0), name="payment_amount_non_negative")]

    def __str__(self) -> str:
        return f"{self.provider} {self.amount} {self.currency} ({self.status})"


class Refund(models.Model):
    """Money given back on one payment: a durable row written before anything is queued.

    Refunds add up: a payment is refunded in parts (a partial refund in Stripe's dashboard, then
    the rest on cancel) and what is still refundable is its amount minus every refund not failed.
    A pending row is re-queued by the sweeper (``next_attempt_at``, backing off after each failed
    try, ``attempts``) until Stripe answers; the idempotency key makes every try the same refund."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Refund pending")
        SUCCEEDED = "succeeded", pgettext_lazy("refund status", "Refunded")
        FAILED = "failed", _("Failed")

    class Reason(models.TextChoices):
        CANCEL = "cancel", _("Cancelled by the attendee")
        ORGANIZER_CANCEL = "organizer_cancel", _("Cancelled by the organizer")
        EVENT_CANCELLED = "event_cancelled", _("Event cancelled")
        DESK = "desk", _("Refunded by the organizer")
        NO_SEAT = "no_seat", _("Paid after the seat was gone")
        STRIPE_DASHBOARD = "stripe_dashboard", _("Refunded in Stripe's dashboard")

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refunds", verbose_name=_("payment"))
    amount = models.DecimalField(max_digits=10, decimal_places=2, verbose_name=_("amount"))
    reason = models.CharField(max_length=20, choices=Reason.choices, verbose_name=_("reason"))
    note = models.CharField(max_length=500, blank=True, verbose_name=_("note"))
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True, verbose_name=_("status")
    )
    stripe_refund_id = models.CharField(max_length=255, blank=True, verbose_name=_("Stripe refund"))
    idempotency_key = models.CharField(max_length=100, blank=True, verbose_name=_("idempotency key"))
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("requested by"),
    )
    requested_at = models.DateTimeField(auto_now_add=True, verbose_name=_("requested at"))
    refunded_at = models.DateTimeField(null=True, blank=True, verbose_name=_("refunded at"))
    attempts = models.PositiveSmallIntegerField(default=0, verbose_name=_("attempts"))
    next_attempt_at = models.DateTimeField(null=True, blank=True, db_index=True, verbose_name=_("next attempt at"))
    last_error = models.TextField(blank=True, verbose_name=_("last error"))

    class Meta:
        verbose_name = _("refund")
        verbose_name_plural = _("refunds")
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="refund_amount_positive"),
            models.UniqueConstraint(
                fields=["stripe_refund_id"], condition=~Q(stripe_refund_id=""), name="refund_one_row_per_stripe_refund"
            ),
        ]

    def __str__(self) -> str:
        return f"refund {self.amount} of payment {self.payment_id} ({self.status})"

    @property
    def key(self) -> str:
        """What Stripe dedupes the refund by: every try of this row is one refund at Stripe."""
        return self.idempotency_key or f"huiguan-refund-r{self.pk}"


class ReceiptCounter(models.Model):
    """The last receipt number of one organization. Locked (SELECT ... FOR UPDATE) by
    ``receipts.receipt_issue`` in the payment's transaction, so numbers have no gaps and no repeats."""

    organization = models.OneToOneField(
        "organizations.Organization",
        on_delete=models.CASCADE,
        related_name="receipt_counter",
        verbose_name=_("organization"),
    )
    last_number = models.PositiveIntegerField(default=0, verbose_name=_("last number issued"))

    class Meta:
        verbose_name = _("receipt counter")
        verbose_name_plural = _("receipt counters")

    def __str__(self) -> str:
        return f"receipts of {self.organization_id}: {self.last_number}"


class Receipt(models.Model):
    """The receipt of one payment, numbered per organization; what it says is copied at issue time."""

    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.PROTECT, related_name="receipts", verbose_name=_("organization")
    )
    number = models.PositiveIntegerField(verbose_name=_("receipt number"))
    payment = models.OneToOneField(Payment, on_delete=models.PROTECT, related_name="receipt", verbose_name=_("payment"))
    registration = models.ForeignKey(
        Registration, on_delete=models.PROTECT, related_name="receipts", verbose_name=_("registration")
    )
    issued_at = models.DateTimeField(verbose_name=_("issued at"))
    language = models.CharField(max_length=10, verbose_name=_("language"))
    payer_name = models.CharField(max_length=200, verbose_name=_("payer"))
    payer_email = models.EmailField(blank=True, verbose_name=_("payer's email"))
    lines = models.JSONField(
        default=list, verbose_name=_("lines")
    )  # [{"description": {lang: text}, "quantity", "unit_price", "amount"}]
    total = models.DecimalField(max_digits=10, decimal_places=2, verbose_name=_("Total"))
    currency = models.CharField(max_length=3, verbose_name=_("Currency"))
    method = models.CharField(max_length=10, choices=Payment.Provider.choices, verbose_name=_("paid via"))

    class Meta:
        verbose_name = _("receipt")
        verbose_name_plural = _("receipts")
        ordering = ["organization", "number"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "number"], name="receipt_number_unique_per_organization")
        ]

    def __str__(self) -> str:
        return f"receipt {self.display_number}"

    @property
    def display_number(self) -> str:
        return f"{self.organization.slug.upper()[:12]}-{self.number:06d}"


class FapiaoRequest(models.Model):
    """A registrant asks for a fapiao (发票); the organizer issues it outside and ticks it off."""

    registration = models.OneToOneField(
        Registration, on_delete=models.CASCADE, related_name="fapiao_request", verbose_name=_("registration")
    )
    company_name = models.CharField(max_length=200, verbose_name=_("company name"))
    taxpayer_id = models.CharField(max_length=20, verbose_name=_("Taxpayer ID"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created"))
    issued_at = models.DateTimeField(null=True, blank=True, verbose_name=_("issued at"))

    class Meta:
        verbose_name = _("fapiao request")
        verbose_name_plural = _("fapiao requests")

    def __str__(self) -> str:
        return f"fapiao for registration {self.registration_id}"


class StripeEvent(models.Model):
    """Every Stripe webhook event, stored once by its id: a replay finds it and does nothing."""

    event_id = models.CharField(_("Stripe event ID"), max_length=255, unique=True)
    type = models.CharField(_("Type"), max_length=100)
    payload = models.JSONField(_("content"))
    received_at = models.DateTimeField(_("received at"), auto_now_add=True)
    processed_at = models.DateTimeField(_("processed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("message from Stripe")
        verbose_name_plural = _("messages from Stripe")

    def __str__(self) -> str:
        return f"{self.type} {self.event_id}"


class RegistrationsLink(models.Model):
    """A private, expiring link to "My registrations": every registration of one address.

    Only ever mailed to that address (``my_registrations_link_send``), since whoever holds it sees
    the address's registrations with every organization. The token is random (``new_token``, 256
    bits) and stops working at ``expires_at``."""

    email = models.EmailField(_("Email address"), db_index=True)
    token = models.CharField(_("private link key"), max_length=64, unique=True, default=new_token, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires at"), db_index=True)

    class Meta:
        verbose_name = _("my registrations link")
        verbose_name_plural = _("my registrations links")

    def __str__(self) -> str:
        return f"My registrations link of {self.email}"
