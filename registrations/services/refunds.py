"""Refunds as durable rows that always finish, and add up.

Every refund is a ``Refund`` row written in the transaction that decides it (a cancel, the
organizer's refund page, a cancelled event), before anything is queued; the task is published
after commit and a broker outage is only logged. The beat sweeper re-queues every pending row
whose ``next_attempt_at`` has come, backing off after each try; after
``selectors.REFUND_ALERT_ATTEMPTS`` tries the row is listed on the desk (``refunds_stuck``).
Stripe dedupes every try of one row by its idempotency key, so Redis or Stripe being down never
loses or doubles a refund.

Refunds add up: what is refundable on a payment is its amount minus every refund not failed,
including one made by hand in Stripe's dashboard (recorded from ``charge.refunded``).

Locks: the payment row (``lock_payment``), then its refund rows; under an event lock when a
cancel decides the refund (event → payment). No network call while holding any of them.
"""

from __future__ import annotations

import datetime as dt
import logging
from decimal import Decimal
from functools import partial

import stripe
from celery import shared_task
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from kombu.exceptions import OperationalError as BrokerError

from audit import services as audit
from audit.models import AuditAction
from common.exceptions import Conflict
from events.models import Event
from events.refund_policy import FULL, event_first_start, refund_percent
from notifications import outbox
from registrations import selectors
from registrations.models import Payment, Refund, Registration
from registrations.services.stripe_api import from_minor_units, quantize, stripe_client, to_minor_units

logger = logging.getLogger(__name__)

# The sweeper leaves a fresh refund to the queue for this long, then retries with back-off.
REFUND_GRACE = dt.timedelta(minutes=5)
REFUND_BACKOFF_MAX = dt.timedelta(hours=6)


def refund_backoff(attempts: int) -> dt.timedelta:
    return min(REFUND_GRACE * (2**attempts), REFUND_BACKOFF_MAX)


def lock_payment(payment_id: int) -> Payment:
    """The payment row, locked (SELECT ... FOR UPDATE). Refuses to run outside a transaction."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("lock_payment must run inside transaction.atomic")
    return Payment.objects.select_for_update(of=("self",)).select_related("registration__event").get(pk=payment_id)


refunded_total = selectors.payment_refunded_total
refundable = selectors.payment_refundable


def payment_sync_status(payment: Payment, *, now: dt.datetime | None = None) -> None:
    """The payment's status from its refunds: refund_pending while one is on its way, refunded
    once they add up to the amount, paid otherwise (partly refunded or not)."""
    if payment.status not in (Payment.Status.PAID, Payment.Status.REFUND_PENDING, Payment.Status.REFUNDED):
        return
    refunds = list(payment.refunds.all())
    succeeded = sum((r.amount for r in refunds if r.status == Refund.Status.SUCCEEDED), Decimal(0))
    if any(r.status == Refund.Status.PENDING for r in refunds):
        status = Payment.Status.REFUND_PENDING
    elif succeeded >= payment.amount and refunds:
        status = Payment.Status.REFUNDED
    else:
        status = Payment.Status.PAID
    if status != payment.status:
        payment.status = status
        if status == Payment.Status.REFUNDED:
            payment.refunded_at = now or timezone.now()
        payment.save(update_fields=["status", "refunded_at"])


def refund_request(
    *,
    payment: Payment,
    amount: Decimal,
    reason: str,
    actor=None,
    note: str = "",
    now: dt.datetime | None = None,
) -> Refund | None:
    """Record a refund of ``amount`` (at most what is refundable) and queue it after commit.

    Caller holds the payment's row lock (``lock_payment``). Nothing left to refund: None."""
    now = now or timezone.now()
    amount = min(quantize(amount, payment.currency), refundable(payment))
    if amount <= 0:
        return None
    refund = Refund.objects.create(
        payment=payment,
        amount=amount,
        reason=reason,
        note=note[:500],
        requested_by=actor if getattr(actor, "is_authenticated", False) else None,
        next_attempt_at=now + REFUND_GRACE,
    )
    payment_sync_status(payment, now=now)
    transaction.on_commit(partial(refund_publish, refund.pk), robust=True)
    return refund


def refund_publish(refund_id: int) -> bool:
    """Publish the refund task after commit. The row is already there, so a broker outage is
    logged and left to the sweeper; it never turns the committed change into a 500."""
    try:
        refund_run_task.apply_async(kwargs={"refund_id": refund_id}, retry_policy=outbox.PUBLISH_RETRY_POLICY)
    except (BrokerError, OSError) as exc:
        logger.warning("Broker unavailable, refund %s left for the sweeper: %s", refund_id, exc)
        return False
    return True


def _stripe_payments(registration: Registration):
    return selectors.refundable_payments(registration=registration).values_list("pk", flat=True)


def refund_share(*, payment: Payment, percent: Decimal, reason: str, actor=None, now: dt.datetime) -> Refund | None:
    """Bring what is refunded on the payment up to ``percent`` of it (a dashboard refund already
    made counts). Caller holds the payment lock."""
    target = quantize(payment.amount * percent / FULL, payment.currency)
    return refund_request(payment=payment, amount=target - refunded_total(payment), reason=reason, actor=actor, now=now)


def refund_after_cancel(*, registration: Registration, event: Event, now: dt.datetime, actor=None) -> list[Refund]:
    """Refund what was paid online by the event's refund policy (the attendee cancels) or in full
    (the organizer cancels for them); nothing once the event has started. Caller holds the event lock."""
    first_start = event_first_start(event)
    if first_start is not None and first_start <= now:
        return []
    if actor is None:
        percent, reason = refund_percent(event=event, first_start=first_start, now=now), Refund.Reason.CANCEL
    else:
        percent, reason = FULL, Refund.Reason.ORGANIZER_CANCEL
    refunds = []
    for pk in _stripe_payments(registration):
        refund = refund_share(payment=lock_payment(pk), percent=percent, reason=reason, actor=actor, now=now)
        if refund is not None:
            refunds.append(refund)
    return refunds


def refund_unkept_payment(*, payment: Payment, now: dt.datetime) -> Refund | None:
    """Paid for a seat that could not be kept (cancelled or gone meanwhile): all of it back."""
    return refund_share(payment=lock_payment(payment.pk), percent=FULL, reason=Refund.Reason.NO_SEAT, now=now)


def refund_event_payments(*, event: Event) -> int:
    """The organizer cancelled the event: refund the rest of every online payment. Caller holds the event lock."""
    now = timezone.now()
    pks = Payment.objects.filter(
        registration__event=event,
        provider=Payment.Provider.STRIPE,
        status__in=(Payment.Status.PAID, Payment.Status.REFUND_PENDING),
    ).values_list("pk", flat=True)
    queued = 0
    for pk in list(pks):
        if refund_share(payment=lock_payment(pk), percent=FULL, reason=Refund.Reason.EVENT_CANCELLED, now=now):
            queued += 1
    return queued


@transaction.atomic
def registration_refund(
    *, registration_id: int, amount: Decimal, actor, note: str = "", now: dt.datetime | None = None
) -> list[Refund]:
    """The organizer refunds ``amount`` of a registration from the desk (in full or in part); the
    registration stays as it is. Spread over its online payments, oldest first. Locks each payment
    row in turn; more than is refundable is refused."""
    now = now or timezone.now()
    registration = Registration.objects.select_related("event").get(pk=registration_id)
    payments = [lock_payment(pk) for pk in _stripe_payments(registration).order_by("pk")]
    available = sum((refundable(p) for p in payments), Decimal(0))
    if amount <= 0 or amount > available:
        raise Conflict(
            _("You can refund at most %(amount)s %(currency)s.")
            % {"amount": available, "currency": registration.currency},
            code="refund_too_much",
        )
    refunds, left = [], amount
    for payment in payments:
        part = min(left, refundable(payment))
        refund = refund_request(
            payment=payment, amount=part, reason=Refund.Reason.DESK, actor=actor, note=note, now=now
        )
        if refund is not None:
            refunds.append(refund)
            left -= refund.amount
    audit.record_registration(
        actor=actor,
        action=AuditAction.REGISTRATION_REFUND,
        registration=registration,
        details={"refunds": [r.pk for r in refunds], "amount": amount, "currency": registration.currency},
    )
    return refunds


def refunds_sweep(*, now: dt.datetime | None = None) -> int:
    """Re-queue refunds the queue never ran or Stripe refused (beat). Each one is claimed under its
    row lock by moving next_attempt_at on with back-off, so two sweepers never queue it twice."""
    now = now or timezone.now()
    due = list(
        Refund.objects.filter(status=Refund.Status.PENDING, next_attempt_at__lte=now).values_list("pk", flat=True)[:200]
    )
    queued = 0
    for pk in due:
        with transaction.atomic():
            refund = (
                Refund.objects.select_for_update()
                .filter(pk=pk, status=Refund.Status.PENDING, next_attempt_at__lte=now)
                .first()
            )
            if refund is None:
                continue
            refund.attempts += 1
            refund.next_attempt_at = now + refund_backoff(refund.attempts)
            refund.save(update_fields=["attempts", "next_attempt_at"])
            transaction.on_commit(partial(refund_publish, pk), robust=True)
            queued += 1
    return queued


def refund_run(*, refund_id: int) -> Refund:
    """Ask Stripe for one refund. Idempotent: Stripe dedupes by the row's key, we by status."""
    refund = Refund.objects.select_related("payment").get(pk=refund_id)
    if refund.status != Refund.Status.PENDING:
        return refund
    payment = refund.payment
    if not payment.payment_intent_id:
        Refund.objects.filter(pk=refund_id).update(last_error="no payment intent to refund")
        return refund
    try:
        answer = stripe_client().v1.refunds.create(
            params={
                "payment_intent": payment.payment_intent_id,
                "amount": to_minor_units(refund.amount, payment.currency),
                "metadata": {"registration_id": str(payment.registration_id), "huiguan_refund": str(refund.pk)},
            },
            options={"idempotency_key": refund.key},
        )
    except stripe.StripeError as exc:
        # Left pending: the sweeper tries again after its back-off (same idempotency key).
        Refund.objects.filter(pk=refund_id).update(last_error=f"refund failed: {exc}"[:1000])
        logger.warning("Refund %s failed, left for the sweeper: %s", refund_id, exc)
        return refund
    with transaction.atomic():
        payment = lock_payment(payment.pk)
        refund = Refund.objects.select_for_update().get(pk=refund_id)
        if refund.status != Refund.Status.PENDING:  # the webhook settled it meanwhile
            return refund
        refund.stripe_refund_id = answer.id
        if answer.status in ("succeeded", "pending"):
            refund.status = Refund.Status.SUCCEEDED
            refund.refunded_at = timezone.now()
            refund.last_error = ""
        elif answer.status in ("failed", "canceled"):
            refund.status = Refund.Status.FAILED
            refund.last_error = f"refund status {answer.status}"
        else:
            refund.last_error = f"refund status {answer.status}"
        try:
            with transaction.atomic():
                refund.save()
        except IntegrityError:  # recorded already from the webhook under this Stripe id
            Refund.objects.filter(pk=refund_id).update(
                status=Refund.Status.FAILED, last_error="duplicate of webhook row"
            )
        payment_sync_status(payment)
    return refund


def charge_refunded(*, charge: dict, now: dt.datetime) -> None:
    """Stripe says a charge was refunded (by us, or by hand in its dashboard, perhaps in part).

    Our own refunds are recognised by their Stripe id or metadata; any other refund is recorded
    as a ``stripe_dashboard`` row for its amount, so a partial one stays partial and the rest
    stays refundable. The registration is left as it is. Caller is inside a transaction."""
    pk = Payment.objects.filter(payment_intent_id=charge.get("payment_intent") or "-").values_list("pk", flat=True)
    pk = pk.first()
    if pk is None:
        return
    payment = lock_payment(pk)
    currency = (charge.get("currency") or payment.currency).upper()
    if currency != payment.currency.upper():
        logger.warning("charge.refunded for payment %s in %s, paid in %s: ignored", pk, currency, payment.currency)
        return
    rows = list(payment.refunds.all())
    by_stripe_id = {r.stripe_refund_id: r for r in rows if r.stripe_refund_id}
    by_pk = {str(r.pk): r for r in rows}
    items = ((charge.get("refunds") or {}).get("data")) if isinstance(charge.get("refunds"), dict) else None
    if items:
        for item in items:
            if item.get("status") not in ("succeeded", "pending"):
                continue
            ours = by_stripe_id.get(item["id"])
            if ours is None:
                candidate = by_pk.get(str((item.get("metadata") or {}).get("huiguan_refund", "")))
                if candidate is not None and not candidate.stripe_refund_id:
                    ours = candidate
                    ours.stripe_refund_id = item["id"]
            if ours is not None:
                if ours.status == Refund.Status.PENDING:
                    ours.status, ours.refunded_at = Refund.Status.SUCCEEDED, now
                ours.save()
                continue
            amount = from_minor_units(int(item.get("amount") or 0), currency)
            if amount > 0:
                Refund.objects.create(
                    payment=payment,
                    amount=amount,
                    reason=Refund.Reason.STRIPE_DASHBOARD,
                    status=Refund.Status.SUCCEEDED,
                    stripe_refund_id=item["id"],
                    refunded_at=now,
                )
    elif charge.get("amount_refunded") is not None:
        # No refund list in the event (newer API versions): what Stripe refunded beyond ours.
        extra = from_minor_units(int(charge["amount_refunded"]), currency) - refunded_total(payment)
        if extra > 0:
            Refund.objects.create(
                payment=payment,
                amount=min(extra, payment.amount),
                reason=Refund.Reason.STRIPE_DASHBOARD,
                status=Refund.Status.SUCCEEDED,
                refunded_at=now,
            )
    payment_sync_status(payment, now=now)


# --- tasks (names kept from registrations/tasks.py: messages already queued still run) --------------


@shared_task(
    bind=True,
    autoretry_for=(stripe.APIConnectionError, stripe.RateLimitError),
    retry_backoff=True,
    max_retries=5,
    name="registrations.tasks.refund_run",
)
def refund_run_task(self, *, refund_id: int) -> None:
    refund_run(refund_id=refund_id)


@shared_task(name="registrations.tasks.refund_payment")
def refund_payment(*, payment_id: int) -> None:
    """Messages queued before refunds were rows: run the payment's pending refunds."""
    for refund_id in Refund.objects.filter(payment_id=payment_id, status=Refund.Status.PENDING).values_list(
        "pk", flat=True
    ):
        refund_run(refund_id=refund_id)


@shared_task(name="registrations.tasks.refunds_sweep")
def refunds_sweep_task() -> int:
    return refunds_sweep()
