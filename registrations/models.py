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

    event = models.ForeignKey(Event, on_delete=models.PROTECT, related_name="registrations")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="registrations"
    )
    name = models.CharField(max_length=200)
    email = models.EmailField()  # stored lower-cased: one active registration per address and event
    language = models.CharField(max_length=10, default="en")
    answers = models.JSONField(default=dict, blank=True)
    consents = models.JSONField(default=dict, blank=True)
    party_size = models.PositiveSmallIntegerField(default=1)
    status = models.CharField(max_length=16, choices=Status.choices, db_index=True)
    manage_token = models.CharField(max_length=64, unique=True, default=new_token, editable=False)
    payment_method = models.CharField(max_length=10, choices=PaymentMethod.choices, blank=True, default="")
    amount_due = models.DecimalField(max_digits=10, decimal_places=2, default=0)
    currency = models.CharField(max_length=3, default="CNY")
    hold_expires_at = models.DateTimeField(null=True, blank=True, db_index=True)
    # When the link emailed to the address was opened (events that ask for it): proof of the mailbox.
    email_confirmed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    waitlisted_at = models.DateTimeField(null=True, blank=True)
    promoted_at = models.DateTimeField(null=True, blank=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    expired_at = models.DateTimeField(null=True, blank=True)
    # Personal data erased (the attendee asked, or the retention period ran out); the row and its
    # counts stay for the reports. See registrations/services/privacy.py.
    anonymised_at = models.DateTimeField(null=True, blank=True, db_index=True)
    anonymised_reason = models.CharField(max_length=10, choices=AnonymisedReason.choices, blank=True, default="")
    # The code typed at registration (its discount is on the lines); an active registration is one use.
    promo_code = models.ForeignKey(
        PromoCode, on_delete=models.PROTECT, null=True, blank=True, related_name="registrations"
    )

    objects = RegistrationQuerySet.as_manager()

    class Meta:
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

    registration = models.ForeignKey(Registration, on_delete=models.CASCADE, related_name="tickets")
    position = models.PositiveSmallIntegerField(default=0)
    name = models.CharField(max_length=200)
    # Read out or typed at the door when the QR will not scan (see registrations/shortcodes.py).
    short_code = models.CharField(max_length=8, unique=True, default=new_short_code, editable=False)

    class Meta:
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

    registration = models.ForeignKey(Registration, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveSmallIntegerField(default=0)
    ticket = models.OneToOneField(Ticket, on_delete=models.SET_NULL, null=True, blank=True, related_name="line")
    ticket_type = models.ForeignKey(TicketType, on_delete=models.PROTECT, null=True, blank=True, related_name="lines")
    name = models.CharField(max_length=200)
    unit_price = models.DecimalField(max_digits=10, decimal_places=2)
    discount = models.DecimalField(max_digits=10, decimal_places=2, default=0)
    amount = models.DecimalField(max_digits=10, decimal_places=2)

    class Meta:
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

    email = models.EmailField(unique=True)
    token = models.CharField(max_length=64, unique=True, default=new_token)
    created_at = models.DateTimeField(auto_now_add=True)
    rotated_at = models.DateTimeField(null=True, blank=True)

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

    registration = models.ForeignKey(Registration, on_delete=models.PROTECT, related_name="payments")
    provider = models.CharField(max_length=10, choices=Provider.choices)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    amount = models.DecimalField(max_digits=10, decimal_places=2)
    currency = models.CharField(max_length=3)
    checkout_session_id = models.CharField(max_length=255, blank=True, db_index=True)
    checkout_url = models.URLField(max_length=2000, blank=True)
    payment_intent_id = models.CharField(max_length=255, blank=True)
    refund_id = models.CharField(max_length=255, blank=True)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    refunded_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    # Refunds always finish: the row is refund_pending before anything is queued; the sweeper
    # re-queues it from refund_next_at on, backing off after each failed try (refund_attempts).
    refund_requested_at = models.DateTimeField(null=True, blank=True)
    refund_next_at = models.DateTimeField(null=True, blank=True, db_index=True)
    refund_attempts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["id"]
        constraints = [models.CheckConstraint(condition=Q(amount__gte=0), name="payment_amount_non_negative")]

    def __str__(self) -> str:
        return f"{self.provider} {self.amount} {self.currency} ({self.status})"


class StripeEvent(models.Model):
    """Every Stripe webhook event, stored once by its id: a replay finds it and does nothing."""

    event_id = models.CharField(max_length=255, unique=True)
    type = models.CharField(max_length=100)
    payload = models.JSONField()
    received_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.type} {self.event_id}"


class RegistrationsLink(models.Model):
    """A private, expiring link to "My registrations": every registration of one address.

    Only ever mailed to that address (``my_registrations_link_send``), since whoever holds it sees
    the address's registrations with every organization. The token is random (``new_token``, 256
    bits) and stops working at ``expires_at``."""

    email = models.EmailField(db_index=True)
    token = models.CharField(max_length=64, unique=True, default=new_token, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"My registrations link of {self.email}"
