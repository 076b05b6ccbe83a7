"""Small, idempotent tasks; arguments are primary keys only."""

from __future__ import annotations

import logging

import stripe
from celery import shared_task

from registrations import services

logger = logging.getLogger(__name__)


@shared_task(
    bind=True, autoretry_for=(stripe.APIConnectionError, stripe.RateLimitError), retry_backoff=True, max_retries=5
)
def refund_payment(self, *, payment_id: int) -> None:
    services.payment_refund(payment_id=payment_id)


@shared_task
def expire_payment_holds() -> int:
    """Beat: expire unpaid holds past their time; each expiry promotes the waiting list."""
    return sum(services.registration_expire_hold(registration_id=pk) for pk in services.overdue_hold_ids())


@shared_task(ignore_result=True)
def anonymise_old_registrations() -> int:
    """Beat (daily): anonymise registrations of events that ended over ANONYMISE_AFTER_DAYS days ago."""
    return services.registrations_anonymise_due()
