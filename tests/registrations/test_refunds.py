"""Refunds always finish, and the webhook confirms only what was paid in full.

At the HTTP boundary against the Stripe stub: the broker down at cancel time (a broker URL on a
closed port), Stripe refusing refunds for a while, a tampered amount, signed bodies we cannot read.
"""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from django.utils import timezone

from registrations import selectors
from registrations.models import Payment, Refund, Registration, StripeEvent
from registrations.services import payments
from tests.factories import EventFactory
from tests.notifications.test_integration import celery_broker
from tests.registrations.test_stripe import post_webhook, register, start_checkout
from tests.stripe_stub import checkout_event


@pytest.fixture
def paid_event(db):
    return EventFactory(capacity=1, price=Decimal("80"), currency="CNY", payment_methods=["card"])


def pay(api_client, event, event_id="evt_paid"):
    body = register(api_client, event)
    session_id = start_checkout(api_client, body).json()["checkout_session_id"]
    response = post_webhook(
        api_client, checkout_event(event_id=event_id, session_id=session_id, registration_id=body["id"])
    )
    assert response.status_code == 200
    return body


def cancel(api_client, body):
    token = body["manage_url"].rstrip("/").rsplit("/", 1)[1]
    return api_client.delete(f"/api/v1/registrations/{body['id']}/", HTTP_X_MANAGE_TOKEN=token)


def refund_requests(stub) -> list[dict]:
    return [r for r in stub.requests if r["path"] == "/v1/refunds"]


def sweep_later(days: int = 1) -> int:
    """The sweeper as beat would run it ``days`` from now (past any back-off before that)."""
    return payments.refunds_sweep(now=timezone.now() + timezone.timedelta(days=days))


@pytest.mark.django_db(transaction=True)
def test_cancel_while_the_broker_is_down_commits_and_the_sweeper_refunds_once(api_client, paid_event, stripe_stub):
    body = pay(api_client, paid_event)
    with celery_broker("redis://127.0.0.1:1/0"):  # nothing listens on port 1
        response = cancel(api_client, body)
    assert response.status_code == 200 and response.json()["status"] == "cancelled"
    payment = Payment.objects.get()
    assert payment.status == Payment.Status.REFUND_PENDING
    # The refund is a row before anything was queued.
    assert list(Refund.objects.values_list("amount", "status")) == [(Decimal("80"), "pending")]
    assert refund_requests(stripe_stub) == []

    # Within the grace period the sweeper leaves it to the queue; after it, the refund runs (eagerly).
    assert payments.refunds_sweep() == 0
    assert sweep_later() == 1
    payment.refresh_from_db()
    assert payment.status == Payment.Status.REFUNDED
    assert sweep_later(2) == 0
    assert len(refund_requests(stripe_stub)) == 1


@pytest.mark.django_db
def test_stripe_refusing_refunds_for_a_while_ends_refunded_once(
    api_client, paid_event, stripe_stub, django_capture_on_commit_callbacks
):
    body = pay(api_client, paid_event)
    stripe_stub.fail_next = 3
    with django_capture_on_commit_callbacks(execute=True):
        assert cancel(api_client, body).status_code == 200
    payment, refund = Payment.objects.get(), Refund.objects.get()
    assert payment.status == Payment.Status.REFUND_PENDING and "refund failed" in refund.last_error
    for day in (1, 2):
        with django_capture_on_commit_callbacks(execute=True):
            assert sweep_later(day) == 1
    payment.refresh_from_db()
    refund.refresh_from_db()
    assert payment.status == Payment.Status.REFUND_PENDING and refund.attempts == 2
    with django_capture_on_commit_callbacks(execute=True):
        assert sweep_later(3) == 1
    payment.refresh_from_db()
    refund.refresh_from_db()
    assert payment.status == Payment.Status.REFUNDED and refund.stripe_refund_id
    # One refund at Stripe: every try carried the same idempotency key.
    keys = {r["headers"]["Idempotency-Key"] for r in refund_requests(stripe_stub)}
    assert keys == {f"huiguan-refund-r{refund.pk}"}
    assert list(selectors.refunds_stuck()) == []


@pytest.mark.django_db
def test_a_refund_refused_many_times_is_listed_for_the_organizer(
    api_client, paid_event, stripe_stub, django_capture_on_commit_callbacks
):
    body = pay(api_client, paid_event)
    stripe_stub.fail_next = 100
    with django_capture_on_commit_callbacks(execute=True):
        cancel(api_client, body)
    for day in range(1, selectors.REFUND_ALERT_ATTEMPTS + 1):
        with django_capture_on_commit_callbacks(execute=True):
            assert sweep_later(day) == 1
    payment, refund = Payment.objects.get(), Refund.objects.get()
    assert payment.status == Payment.Status.REFUND_PENDING
    assert list(selectors.refunds_stuck(organization=paid_event.organization)) == [refund]
    # Back-off: the next try is hours away, not minutes.
    last_sweep = timezone.now() + timezone.timedelta(days=selectors.REFUND_ALERT_ATTEMPTS)
    assert refund.next_attempt_at - last_sweep > timezone.timedelta(hours=1)


@pytest.mark.django_db
def test_a_checkout_for_less_than_is_due_never_confirms(api_client, paid_event, stripe_stub):
    body = register(api_client, paid_event)
    session_id = start_checkout(api_client, body).json()["checkout_session_id"]
    for event_id, amount, currency in (("evt_low", 100, "cny"), ("evt_usd", 8000, "usd")):
        payload = checkout_event(
            event_id=event_id, session_id=session_id, registration_id=body["id"], amount_total=amount, currency=currency
        )
        assert post_webhook(api_client, payload).status_code == 200
        registration = Registration.objects.get(pk=body["id"])
        assert registration.status == Registration.Status.PENDING_PAYMENT and registration.paid_at is None
        payment = Payment.objects.get()
        assert payment.status == Payment.Status.PENDING and "amount mismatch" in payment.last_error


MALFORMED = [
    b"[]",
    b'"evt"',
    json.dumps({"type": "checkout.session.completed", "data": {"object": {}}}).encode(),
    json.dumps({"id": "e" * 300, "type": "charge.refunded", "data": {"object": {}}}).encode(),
    json.dumps({"id": "evt_x", "type": "checkout.session.completed", "data": []}).encode(),
    json.dumps(
        {"id": "evt_y", "type": "checkout.session.completed", "data": {"object": {"amount_total": "eighty"}}}
    ).encode(),
    json.dumps({"id": 12, "type": "charge.refunded", "data": {"object": {}}}).encode(),
]


@pytest.mark.django_db
@pytest.mark.parametrize("payload", MALFORMED)
def test_signed_bodies_we_cannot_read_are_400_and_change_nothing(api_client, paid_event, stripe_stub, payload):
    body = pay(api_client, paid_event)
    before = (StripeEvent.objects.count(), list(Payment.objects.values_list("status", "amount")))
    response = post_webhook(api_client, payload)
    assert response.status_code == 400, response.content
    assert response.json()["error"]["code"] == "invalid_event"
    assert (StripeEvent.objects.count(), list(Payment.objects.values_list("status", "amount"))) == before
    assert Registration.objects.get(pk=body["id"]).status == Registration.Status.CONFIRMED
    assert Payment.objects.get().amount == Decimal("80")
