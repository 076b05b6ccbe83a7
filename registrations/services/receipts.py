"""Receipts numbered per organization without gaps, and fapiao requests.

A receipt is issued in the transaction that records the payment (the webhook's confirm, the
door's "payment received"), so a payment rolled back takes its number with it: no gaps. The
number comes from the organization's ``ReceiptCounter`` row, locked (SELECT ... FOR UPDATE)
for the rest of that transaction, so two payments never draw the same number: no repeats.
The counter is always the last lock taken (after the event, the registration or the payment),
so it adds no lock-order cycle; it is held only until the payment commits, with no network call.
"Last" includes PostgreSQL's foreign-key checks, deferred to COMMIT by Django: they are run
before the counter is locked (``SET CONSTRAINTS ALL IMMEDIATE``), found by the concurrency test
(a door payment's audit entry waited at COMMIT for a webhook's event lock while holding the counter).
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit import services as audit
from audit.models import AuditAction
from common.exceptions import Conflict
from registrations import fapiao, selectors
from registrations.models import FapiaoRequest, Payment, Receipt, ReceiptCounter, Registration


def receipt_number_next(*, organization_id: int) -> int:
    """Lock the organization's counter row (created on first use) and draw the next number.
    Caller is inside the payment's transaction; the lock is held until it commits."""
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        raise RuntimeError("receipt_number_next must run inside transaction.atomic")
    if connection.vendor == "postgresql":
        # Django's foreign keys are checked at COMMIT (deferred): that check takes a share lock on
        # each parent row (the event of an audit entry), which a webhook may hold while it waits
        # for this counter: a deadlock. Checking them now takes those locks before the counter's.
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    # ON CONFLICT DO NOTHING: two first payments of an organization create one counter.
    ReceiptCounter.objects.bulk_create([ReceiptCounter(organization_id=organization_id)], ignore_conflicts=True)
    counter = ReceiptCounter.objects.select_for_update().get(organization_id=organization_id)
    counter.last_number += 1
    counter.save(update_fields=["last_number"])
    return counter.last_number


def receipt_issue(*, payment: Payment, now: dt.datetime | None = None) -> Receipt:
    """The payment's receipt, issued once (a second call returns it). Takes the counter lock
    (``receipt_number_next``) last, inside the caller's transaction."""
    existing = Receipt.objects.filter(payment=payment).first()
    if existing is not None:
        return existing
    registration = Registration.objects.select_related("event__organization").get(pk=payment.registration_id)
    organization = registration.event.organization
    number = receipt_number_next(organization_id=organization.pk)
    return Receipt.objects.create(
        organization=organization,
        number=number,
        payment=payment,
        registration=registration,
        issued_at=now or timezone.now(),
        language=registration.language,
        payer_name=registration.name,
        payer_email=registration.email,
        lines=selectors.receipt_lines(registration),
        total=payment.amount,
        currency=payment.currency,
        method=payment.provider,
    )


@transaction.atomic
def fapiao_request_save(*, registration_id: int, company_name: str, taxpayer_id: str) -> FapiaoRequest:
    """Ask for a fapiao (or correct the request) until the organizer has issued it."""
    company_name, taxpayer_id = fapiao.fapiao_clean(company_name=company_name, taxpayer_id=taxpayer_id)
    registration = Registration.objects.select_for_update().get(pk=registration_id)
    if registration.amount_due <= 0:
        raise Conflict(_("There is nothing to invoice for this registration."), code="nothing_to_invoice")
    request = FapiaoRequest.objects.filter(registration=registration).first()
    if request is not None and request.issued_at is not None:
        raise Conflict(_("The fapiao has already been issued."), code="fapiao_issued")
    if request is None:
        request = FapiaoRequest(registration=registration)
    request.company_name, request.taxpayer_id = company_name, taxpayer_id
    request.save()
    return request


@transaction.atomic
def fapiao_mark_issued(*, request_id: int, actor, now: dt.datetime | None = None) -> FapiaoRequest:
    """The organizer issued it outside (their tax software): ticked off, in the audit log. Twice is a no-op."""
    request = (
        FapiaoRequest.objects.select_for_update(of=("self",)).select_related("registration__event").get(pk=request_id)
    )
    if request.issued_at is None:
        request.issued_at = now or timezone.now()
        request.save(update_fields=["issued_at"])
        audit.record_registration(
            actor=actor, action=AuditAction.FAPIAO_ISSUED, registration=request.registration, details={}
        )
    return request
