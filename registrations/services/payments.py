"""Stripe Checkout, signed webhooks and refunds.

Network calls to Stripe never happen while the event lock is held: checkout sessions are created
after the registration commits, refunds (``refunds``: durable rows) are queued with
``transaction.on_commit``. A payment that lands is given its receipt (``receipts``) in the same
transaction.
"""

from __future__ import annotations

import datetime as dt
import json
import logging

import stripe
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit import services as audit
from audit.models import AuditAction
from common.exceptions import Conflict, DomainError, NotFound, PaymentUnavailable
from events.models import PAYMENT_METHODS, Event
from notifications import outbox
from registrations import selectors
from registrations.models import Payment, Registration, StripeEvent
from registrations.services import receipts, refunds, seats
from registrations.services.refunds import (  # noqa: F401
    refund_after_cancel,
    refund_event_payments,
    refunds_sweep,
)
from registrations.services.stripe_api import (  # noqa: F401  (the names callers import from here)
    ZERO_DECIMAL_CURRENCIES,
    PaymentProviderError,
    from_minor_units,
    stripe_client,
    to_minor_units,
)

logger = logging.getLogger(__name__)

STRIPE_LOCALES = {"en": "en", "zh-hans": "zh", "ja": "ja"}
# Stripe Checkout requires expires_at at least 30 minutes ahead.
MIN_CHECKOUT_LIFETIME = dt.timedelta(minutes=31)


def _payment_method_types(event: Event) -> list[str]:
    methods = [method for method in (event.payment_methods or []) if method in PAYMENT_METHODS]
    return methods or ["card"]


def checkout_line_items(*, registration: Registration) -> list[dict]:
    """Stripe line items from the registration's charge lines: one per ticket type, price and
    discount, each at its price after the discount, so together they are exactly ``amount_due``
    (what the webhook's amount check compares with). Seats a code made free are left out."""
    event = registration.event
    title = event.t("title", registration.language)
    items = []
    for line in selectors.charge_lines(registration):
        if line.amount <= 0:
            continue
        unit = line.amount / line.quantity  # exact: a group's seats share price and discount
        name = f"{title} · {line.label}" if line.label and line.label != title else title
        if line.discount and registration.promo_code_id:
            name = f"{name} ({registration.promo_code.code})"
        items.append(
            {
                "quantity": line.quantity,
                "price_data": {
                    "currency": registration.currency.lower(),
                    "unit_amount": to_minor_units(unit, registration.currency),
                    "product_data": {"name": name[:250]},
                },
            }
        )
    if not items and registration.amount_due > 0:  # a registration older than its lines
        items.append(
            {
                "quantity": 1,
                "price_data": {
                    "currency": registration.currency.lower(),
                    "unit_amount": to_minor_units(registration.amount_due, registration.currency),
                    "product_data": {"name": title[:250]},
                },
            }
        )
    return items


def checkout_start(*, registration_id: int, now: dt.datetime | None = None) -> Payment:
    """A Stripe Checkout session for a pending registration; an open one is reused.

    Called outside any transaction: it talks to Stripe.
    """
    now = now or timezone.now()
    registration = (
        Registration.objects.select_related("event", "promo_code")
        .prefetch_related("lines__ticket_type")
        .filter(pk=registration_id)
        .first()
    )
    if registration is None:
        raise NotFound(_("No such registration."))
    if registration.status != Registration.Status.PENDING_PAYMENT:
        raise Conflict(_("This registration is not waiting for payment."), code="not_payable")
    open_payment = (
        registration.payments.filter(provider=Payment.Provider.STRIPE, status=Payment.Status.PENDING)
        .exclude(checkout_url="")
        .order_by("-id")
        .first()
    )
    if open_payment is not None:
        return open_payment
    event = registration.event
    client = stripe_client()
    attempt = registration.payments.count() + 1
    base = settings.SITE_URL
    params = {
        "mode": "payment",
        "payment_method_types": _payment_method_types(event),
        "line_items": checkout_line_items(registration=registration),
        "customer_email": registration.email,
        "client_reference_id": str(registration.pk),
        "metadata": {"registration_id": str(registration.pk), "event": event.slug},
        "payment_intent_data": {"metadata": {"registration_id": str(registration.pk)}},
        "locale": STRIPE_LOCALES.get(registration.language, "auto"),
        "success_url": f"{base}/manage/{registration.manage_token}/?paid=1",
        "cancel_url": f"{base}/manage/{registration.manage_token}/?paid=0",
        "expires_at": int(max(registration.hold_expires_at or now, now + MIN_CHECKOUT_LIFETIME).timestamp()),
    }
    if "wechat_pay" in params["payment_method_types"]:
        params["payment_method_options"] = {"wechat_pay": {"client": "web"}}
    try:
        session = client.v1.checkout.sessions.create(
            params=params, options={"idempotency_key": f"huiguan-checkout-{registration.pk}-{attempt}"}
        )
    except stripe.StripeError as exc:
        logger.warning("Stripe checkout for registration %s failed: %s", registration.pk, exc)
        raise PaymentProviderError(_("The payment provider did not answer. Please try again in a moment.")) from exc
    return Payment.objects.create(
        registration=registration,
        provider=Payment.Provider.STRIPE,
        amount=registration.amount_due,
        currency=registration.currency,
        checkout_session_id=session.id,
        checkout_url=session.url or "",
    )


# --- webhooks -----------------------------------------------------------------------------------


def webhook_parse(*, payload: bytes, signature: str | None) -> dict:
    """Verify Stripe's signature header; raise DomainError(400) on anything forged or unsigned."""
    if not settings.STRIPE_WEBHOOK_SECRET:
        raise PaymentUnavailable(_("Stripe webhooks are not configured."))
    if not signature:
        raise DomainError(_("Missing Stripe-Signature header."), code="invalid_signature")
    try:
        stripe.WebhookSignature.verify_header(
            payload.decode("utf-8"), signature, settings.STRIPE_WEBHOOK_SECRET, stripe.Webhook.DEFAULT_TOLERANCE
        )
    except (ValueError, stripe.SignatureVerificationError) as exc:
        raise DomainError(_("The webhook signature is not valid."), code="invalid_signature") from exc
    # Signed, but perhaps not an event (``[]``, no id, a text amount): read it ourselves, not with
    # stripe's constructor, which fails on such bodies with errors no handler expects.
    try:
        body = json.loads(payload)
    except ValueError as exc:
        raise DomainError(_("The webhook body is not an event we can read."), code="invalid_event") from exc
    webhook_check_shape(body)
    return body


# Stripe's ids are short ("evt_" + 24 characters); our column holds 255.
EVENT_ID_MAX = 255
AMOUNT_FIELDS = ("amount_total", "amount", "amount_refunded")


def webhook_check_shape(body: object) -> None:
    """A correctly signed body we cannot read is refused (400) before anything is stored, so a bad
    delivery never leaves a half-processed event behind and Stripe shows the failure."""
    bad = DomainError(_("The webhook body is not an event we can read."), code="invalid_event")
    if not isinstance(body, dict):
        raise bad
    event_id, kind, data = body.get("id"), body.get("type"), body.get("data")
    if not isinstance(event_id, str) or not event_id or len(event_id) > EVENT_ID_MAX:
        raise bad
    if not isinstance(kind, str) or not kind or len(kind) > 100:
        raise bad
    if kind in HANDLED_TYPES:
        obj = data.get("object") if isinstance(data, dict) else None
        if not isinstance(obj, dict):
            raise bad
        for field in AMOUNT_FIELDS:
            value = obj.get(field)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
                raise bad
        currency = obj.get("currency")
        if currency is not None and (not isinstance(currency, str) or len(currency) != 3):
            raise bad
        listed = obj.get("refunds")
        if listed is not None:
            items = listed.get("data") if isinstance(listed, dict) else None
            if not isinstance(items, list):
                raise bad
            for item in items:
                if not isinstance(item, dict) or not isinstance(item.get("id"), str) or not item["id"]:
                    raise bad
                amount = item.get("amount")
                if (
                    len(item["id"]) > EVENT_ID_MAX
                    or isinstance(amount, bool)
                    or not isinstance(amount, int)
                    or amount < 0
                ):
                    raise bad


HANDLED_TYPES = {
    "checkout.session.completed",
    "checkout.session.async_payment_succeeded",
    "checkout.session.async_payment_failed",
    "checkout.session.expired",
    "charge.refunded",
}


@transaction.atomic
def stripe_event_process(*, event: dict, now: dt.datetime | None = None) -> StripeEvent | None:
    """Store the event once by id and act on it. A replay returns None and changes nothing."""
    now = now or timezone.now()
    try:
        with transaction.atomic():
            stored = StripeEvent.objects.create(event_id=event["id"], type=event.get("type", ""), payload=event)
    except IntegrityError:
        return None
    kind = stored.type
    obj = (event.get("data") or {}).get("object") or {}
    if kind in ("checkout.session.completed", "checkout.session.async_payment_succeeded"):
        if obj.get("payment_status") == "paid":
            _checkout_paid(session=obj, now=now)
    elif kind in ("checkout.session.async_payment_failed", "checkout.session.expired"):
        Payment.objects.filter(checkout_session_id=obj.get("id", ""), status=Payment.Status.PENDING).update(
            status=Payment.Status.FAILED, last_error=kind
        )
    elif kind == "charge.refunded":
        refunds.charge_refunded(charge=obj, now=now)
    stored.processed_at = now
    stored.save(update_fields=["processed_at"])
    return stored


def _checkout_paid(*, session: dict, now: dt.datetime) -> None:
    """Confirm the registration a completed Checkout paid for. Caller is inside a transaction."""
    metadata = session.get("metadata") or {}
    try:
        registration_id = int(metadata.get("registration_id") or session.get("client_reference_id"))
    except (TypeError, ValueError):
        logger.warning("Checkout session %s has no registration id", session.get("id"))
        return
    event_id = Registration.objects.filter(pk=registration_id).values_list("event_id", flat=True).first()
    if event_id is None:
        logger.warning("Checkout session %s names unknown registration %s", session.get("id"), registration_id)
        return
    event = seats.lock_event(event_id)
    registration = Registration.objects.get(pk=registration_id)
    payment = Payment.objects.filter(registration=registration, checkout_session_id=session.get("id", "")).first()
    if payment is None:  # e.g. the checkout was created by an older deploy, or by hand in the dashboard
        payment = Payment(
            registration=registration,
            provider=Payment.Provider.STRIPE,
            checkout_session_id=session.get("id", ""),
            currency=(session.get("currency") or registration.currency).upper(),
            amount=registration.amount_due,
        )
    if payment.status in (Payment.Status.PAID, Payment.Status.REFUNDED, Payment.Status.REFUND_PENDING):
        return
    paid_currency = (session.get("currency") or payment.currency).upper()
    if session.get("amount_total") is not None:
        paid = from_minor_units(int(session["amount_total"]), paid_currency)
        if paid_currency != registration.currency.upper() or paid != registration.amount_due:
            # Not what is due (a tampered or stale session): never confirm; the organizer reviews it.
            payment.last_error = (
                f"amount mismatch: paid {paid} {paid_currency}, due {registration.amount_due} {registration.currency}"
            )
            payment.save()
            logger.warning("Checkout session %s: %s", session.get("id"), payment.last_error)
            return
        payment.amount = paid
    payment.status = Payment.Status.PAID
    payment.paid_at = now
    payment.payment_intent_id = session.get("payment_intent") or ""
    payment.save()
    _seat_the_payer(event=event, registration=registration, payment=payment, now=now)
    # Paid is paid, even when the seat could not be kept (then refunded): the receipt says so.
    # Its counter lock is the transaction's last (docs/locking.md).
    receipts.receipt_issue(payment=payment, now=now)


def _seat_the_payer(*, event: Event, registration: Registration, payment: Payment, now: dt.datetime) -> None:
    """Confirm the seat the payment is for, or refund it when the seat is gone. Caller holds the event lock."""

    if registration.status == Registration.Status.PENDING_PAYMENT:
        seats.move(event, registration, Registration.Status.CONFIRMED)
    elif registration.status in (Registration.Status.EXPIRED, Registration.Status.WAITLISTED):
        # Paid after the hold ran out (out-of-order delivery, slow wallet): keep the seat if one is
        # free and nobody is waiting ahead; otherwise give the money back.
        seats.release_overdue_holds(event=event, now=now)
        others_waiting = event.waitlist_count - (registration.status == Registration.Status.WAITLISTED)
        if event.seats_held + registration.party_size <= event.capacity and others_waiting == 0:
            seats.move(event, registration, Registration.Status.CONFIRMED)
        else:
            seats.save_counters(event)
            refunds.refund_unkept_payment(payment=payment, now=now)
            return
    elif registration.status == Registration.Status.CANCELLED:
        refunds.refund_unkept_payment(payment=payment, now=now)
        return
    registration.paid_at = now
    registration.confirmed_at = registration.confirmed_at or now
    registration.hold_expires_at = None
    registration.save(update_fields=["status", "paid_at", "confirmed_at", "hold_expires_at", "updated_at"])
    seats.save_counters(event)
    outbox.notify_registration(registration=registration, kind=outbox.Kind.CONFIRMATION)


@transaction.atomic
def door_payment_record(*, registration_id: int, received_by, now: dt.datetime | None = None) -> Payment:
    """Record cash taken at the door for a pay-at-door registration. Recording twice is a no-op."""
    registration = Registration.objects.select_for_update(of=("self",)).select_related("event").get(pk=registration_id)
    existing = registration.payments.filter(provider=Payment.Provider.DOOR, status=Payment.Status.PAID).first()
    if existing is not None:
        return existing
    if registration.payment_method != Registration.PaymentMethod.DOOR:
        raise Conflict(_("This registration is not paid at the door."), code="not_door_payment")
    now = now or timezone.now()
    registration.paid_at = now
    registration.save(update_fields=["paid_at", "updated_at"])
    payment = Payment.objects.create(
        registration=registration,
        provider=Payment.Provider.DOOR,
        status=Payment.Status.PAID,
        amount=registration.amount_due,
        currency=registration.currency,
        paid_at=now,
        received_by=received_by if getattr(received_by, "is_authenticated", False) else None,
    )
    audit.record_registration(
        actor=received_by,
        action=AuditAction.DOOR_PAYMENT,
        registration=registration,
        details={"payment": payment.pk, "amount": payment.amount, "currency": payment.currency},
    )
    # Last: the counter lock is never held while another row is touched (the audit entry's
    # foreign key to the event would wait for a webhook holding that event: a deadlock).
    receipts.receipt_issue(payment=payment, now=now)
    return payment
