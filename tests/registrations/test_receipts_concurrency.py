"""Receipt numbers under concurrent payments, on PostgreSQL with real threads.

Signed ``checkout.session.completed`` webhooks for registrations of several events of one
organization (so the event locks do not queue them all) arrive at once over HTTP, together with
cash recorded at the door; every payment gets a receipt and the numbers are exactly 1..N: no gap,
no repeat. A payment whose transaction fails after drawing a number leaves no gap either.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import transaction
from django.test import Client

from registrations import services
from registrations.models import Payment, Receipt, Registration
from tests.factories import EventFactory, OrganizationFactory, RegistrationFactory
from tests.registrations.test_concurrency import run_concurrently
from tests.stripe_stub import checkout_event, sign_webhook

WEBHOOK = "/api/v1/payments/stripe/webhook/"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_payments_get_receipt_numbers_without_gaps_or_repeats(settings):
    settings.STRIPE_SECRET_KEY = "sk_test_huiguan"
    settings.STRIPE_WEBHOOK_SECRET = "whsec_test_huiguan"
    organization = OrganizationFactory(slug="busy-club")
    events = [
        EventFactory(organization=organization, capacity=100, price=Decimal("30"), allow_pay_at_door=True)
        for _ in range(4)
    ]
    online, door = [], []
    for i in range(48):
        event = events[i % 4]
        if i % 3 == 2:
            door.append(RegistrationFactory(event=event, payment_method="door", amount_due=Decimal("30")))
            continue
        registration = RegistrationFactory(
            event=event, status=Registration.Status.PENDING_PAYMENT, amount_due=Decimal("30"), currency="CNY"
        )
        Payment.objects.create(
            registration=registration,
            provider=Payment.Provider.STRIPE,
            amount=Decimal("30"),
            currency="CNY",
            checkout_session_id=f"cs_busy_{i}",
        )
        online.append((registration, f"cs_busy_{i}"))

    def pay(i):
        if i < len(online):
            registration, session_id = online[i]
            payload = checkout_event(
                event_id=f"evt_busy_{i}", session_id=session_id, registration_id=registration.pk, amount_total=3000
            )
            response = Client().post(
                WEBHOOK,
                payload,
                content_type="application/json",
                HTTP_STRIPE_SIGNATURE=sign_webhook(payload, "whsec_test_huiguan"),
            )
            return response.status_code
        services.door_payment_record(registration_id=door[i - len(online)].pk, received_by=None)
        return 200

    results = run_concurrently(pay, len(online) + len(door), workers=24)
    assert results == [200] * 48
    numbers = sorted(Receipt.objects.filter(organization=organization).values_list("number", flat=True))
    assert numbers == list(range(1, 49))
    assert Receipt.objects.count() == Payment.objects.filter(status=Payment.Status.PAID).count() == 48
    assert organization.receipt_counter.last_number == 48


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_payment_rolled_back_after_drawing_a_number_leaves_no_gap():
    event = EventFactory(price=Decimal("30"), allow_pay_at_door=True)
    first, second = (
        RegistrationFactory(event=event, payment_method="door", amount_due=Decimal("30")) for _ in range(2)
    )
    with pytest.raises(RuntimeError), transaction.atomic():
        services.door_payment_record(registration_id=first.pk, received_by=None)
        raise RuntimeError("the payment's transaction fails after the receipt was drawn")
    services.door_payment_record(registration_id=second.pk, received_by=None)
    services.door_payment_record(registration_id=first.pk, received_by=None)
    assert list(Receipt.objects.order_by("number").values_list("number", "registration_id")) == [
        (1, second.pk),
        (2, first.pk),
    ]
