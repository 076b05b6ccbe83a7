"""Stripe at the HTTP boundary: the real `stripe` client talks to a local stub; webhooks are signed
the way Stripe signs them. Nothing of ours is mocked."""

import datetime as dt
import json
from decimal import Decimal

import pytest
from django.utils import timezone

from organizer import services as organizer_services
from registrations import services
from registrations.models import Payment, Registration, StripeEvent
from tests.factories import EventFactory
from tests.stripe_stub import checkout_event, sign_webhook

WEBHOOK = "/api/v1/payments/stripe/webhook/"


@pytest.fixture
def paid_event(db):
    return EventFactory(
        capacity=1, price=Decimal("80"), currency="CNY", payment_methods=["card", "alipay", "wechat_pay"]
    )


def register(api_client, event, email="pay@example.org", **extra):
    data = {"name": "Payer", "email": email, "language": "zh-hans", "consents": {"privacy": True}, **extra}
    response = api_client.post(f"/api/v1/events/{event.slug}/registrations/", data, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


def post_webhook(api_client, payload: bytes, secret="whsec_test_huiguan", signature=None):
    headers = {"HTTP_STRIPE_SIGNATURE": signature or sign_webhook(payload, secret)}
    return api_client.post(WEBHOOK, payload, content_type="application/json", **headers)


def start_checkout(api_client, body):
    path = body["payment_url"].split("://", 1)[1].split("/", 1)[1]
    return api_client.post("/" + path)


def test_paid_registration_holds_seat_and_opens_checkout(api_client, paid_event, stripe_stub):
    body = register(api_client, paid_event)
    assert body["status"] == "pending_payment" and body["payment_url"]
    assert body["ticket_url"] is None and body["amount_due"] == "80.00"
    response = start_checkout(api_client, body)
    assert response.status_code == 200, response.json()
    assert response.json()["checkout_url"].startswith("https://checkout.stripe.com/")
    [request] = stub_requests = stripe_stub.requests
    form = request["form"]
    assert request["path"] == "/v1/checkout/sessions"
    assert form["line_items[0][price_data][unit_amount]"] == "8000"
    assert form["line_items[0][price_data][currency]"] == "cny"
    assert form["metadata[registration_id]"] == str(body["id"])
    assert {form[f"payment_method_types[{i}]"] for i in range(3)} == {"card", "alipay", "wechat_pay"}
    assert form["payment_method_options[wechat_pay][client]"] == "web"
    assert form["locale"] == "zh"
    assert request["headers"]["Idempotency-Key"].startswith("huiguan-checkout-")
    # Opening the payment link again reuses the open checkout instead of creating another.
    assert start_checkout(api_client, body).json()["checkout_url"] == response.json()["checkout_url"]
    assert len(stub_requests) == 1
    # The browser variant redirects.
    path = body["payment_url"].split("://", 1)[1].split("/", 1)[1]
    assert api_client.get("/" + path)["Location"].startswith("https://checkout.stripe.com/")


def test_completed_checkout_webhook_confirms_once(api_client, paid_event, stripe_stub):
    body = register(api_client, paid_event)
    session_id = start_checkout(api_client, body).json()["checkout_session_id"]
    payload = checkout_event(event_id="evt_1", session_id=session_id, registration_id=body["id"])

    response = post_webhook(api_client, payload)
    assert response.status_code == 200 and response.json() == {"received": True, "duplicate": False}
    registration = Registration.objects.get(pk=body["id"])
    assert registration.status == Registration.Status.CONFIRMED and registration.paid_at
    payment = Payment.objects.get()
    assert (payment.status, payment.amount, payment.payment_intent_id) == (
        "paid",
        Decimal("80"),
        f"pi_for_{session_id}",
    )

    replay = post_webhook(api_client, payload)
    assert replay.status_code == 200 and replay.json()["duplicate"] is True
    assert StripeEvent.objects.count() == 1 and Payment.objects.count() == 1


@pytest.mark.parametrize(
    "signature",
    [None, "", "t=1,v1=deadbeef", "garbage", "t=1700000000,v1=" + "0" * 64],
)
def test_forged_or_unsigned_webhooks_are_400_and_change_nothing(api_client, paid_event, stripe_stub, signature):
    body = register(api_client, paid_event)
    payload = checkout_event(event_id="evt_forged", session_id="cs_x", registration_id=body["id"])
    headers = {} if signature is None else {"HTTP_STRIPE_SIGNATURE": signature}
    response = api_client.post(WEBHOOK, payload, content_type="application/json", **headers)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_signature"
    assert Registration.objects.get().status == Registration.Status.PENDING_PAYMENT
    assert not StripeEvent.objects.exists()


def test_webhook_signed_with_another_secret_or_stale_is_refused(api_client, paid_event, stripe_stub):
    body = register(api_client, paid_event)
    payload = checkout_event(event_id="evt_2", session_id="cs_x", registration_id=body["id"])
    assert post_webhook(api_client, payload, secret="whsec_someone_else").status_code == 400
    stale = sign_webhook(payload, "whsec_test_huiguan", timestamp=1_000_000_000)
    assert post_webhook(api_client, payload, signature=stale).status_code == 400
    tampered = payload.replace(b'"paid"', b'"PAID"')
    assert post_webhook(api_client, tampered, signature=sign_webhook(payload, "whsec_test_huiguan")).status_code == 400
    assert not StripeEvent.objects.exists()


def test_unknown_event_types_are_stored_and_ignored(api_client, paid_event, stripe_stub):
    payload = json.dumps(
        {"id": "evt_u", "object": "event", "type": "customer.created", "data": {"object": {}}}
    ).encode()
    response = post_webhook(api_client, payload)
    assert response.status_code == 200
    assert StripeEvent.objects.get().type == "customer.created"


def test_async_methods_confirm_on_async_success_not_on_unpaid_completion(api_client, paid_event, stripe_stub):
    body = register(api_client, paid_event)
    session_id = start_checkout(api_client, body).json()["checkout_session_id"]
    unpaid = checkout_event(
        event_id="evt_a", session_id=session_id, registration_id=body["id"], payment_status="unpaid"
    )
    post_webhook(api_client, unpaid)
    assert Registration.objects.get().status == Registration.Status.PENDING_PAYMENT
    succeeded = checkout_event(
        event_id="evt_b",
        session_id=session_id,
        registration_id=body["id"],
        kind="checkout.session.async_payment_succeeded",
    )
    post_webhook(api_client, succeeded)
    assert Registration.objects.get().status == Registration.Status.CONFIRMED


def test_out_of_order_expired_after_completed_keeps_the_payment(api_client, paid_event, stripe_stub):
    body = register(api_client, paid_event)
    session_id = start_checkout(api_client, body).json()["checkout_session_id"]
    post_webhook(api_client, checkout_event(event_id="evt_c", session_id=session_id, registration_id=body["id"]))
    post_webhook(
        api_client,
        checkout_event(
            event_id="evt_d",
            session_id=session_id,
            registration_id=body["id"],
            kind="checkout.session.expired",
            payment_status="unpaid",
        ),
    )
    assert Payment.objects.get().status == Payment.Status.PAID
    assert Registration.objects.get().status == Registration.Status.CONFIRMED


def expire(registration_id):
    later = timezone.now() + dt.timedelta(hours=2)
    assert services.registration_expire_hold(registration_id=registration_id, now=later)


def test_payment_after_hold_expired_keeps_a_free_seat(api_client, paid_event, stripe_stub):
    body = register(api_client, paid_event)
    expire(body["id"])
    post_webhook(api_client, checkout_event(event_id="evt_e", session_id="cs_late", registration_id=body["id"]))
    assert Registration.objects.get().status == Registration.Status.CONFIRMED


def test_payment_after_seat_was_given_away_is_refunded(
    api_client, paid_event, stripe_stub, django_capture_on_commit_callbacks
):
    body = register(api_client, paid_event)
    expire(body["id"])
    register(api_client, paid_event, email="next@example.org")  # takes the only seat
    with django_capture_on_commit_callbacks(execute=True):
        post_webhook(api_client, checkout_event(event_id="evt_f", session_id="cs_late", registration_id=body["id"]))
    assert Registration.objects.get(pk=body["id"]).status == Registration.Status.EXPIRED
    payment = Payment.objects.get(registration_id=body["id"])
    assert payment.status == Payment.Status.REFUNDED
    assert payment.refunds.get().stripe_refund_id.startswith("re_test_")
    assert stripe_stub.paths()[-1] == "/v1/refunds"


def test_cancelling_a_paid_registration_refunds_it(
    api_client, paid_event, stripe_stub, django_capture_on_commit_callbacks
):
    body = register(api_client, paid_event)
    session_id = start_checkout(api_client, body).json()["checkout_session_id"]
    post_webhook(api_client, checkout_event(event_id="evt_g", session_id=session_id, registration_id=body["id"]))
    token = body["manage_url"].rstrip("/").rsplit("/", 1)[1]
    with django_capture_on_commit_callbacks(execute=True):
        response = api_client.delete(f"/api/v1/registrations/{body['id']}/", HTTP_X_MANAGE_TOKEN=token)
    assert response.json()["status"] == "cancelled"
    payment = Payment.objects.get()
    assert payment.status == Payment.Status.REFUNDED and payment.refunded_at
    refund = stripe_stub.requests[-1]
    assert refund["path"] == "/v1/refunds" and refund["form"]["payment_intent"] == f"pi_for_{session_id}"
    assert refund["headers"]["Idempotency-Key"] == f"huiguan-refund-r{payment.refunds.get().pk}"
    assert refund["form"]["amount"] == "8000"
    # The refund webhook that follows is harmless.
    refunded = json.dumps(
        {
            "id": "evt_r",
            "object": "event",
            "type": "charge.refunded",
            "data": {"object": {"payment_intent": f"pi_for_{session_id}"}},
        }
    ).encode()
    assert post_webhook(api_client, refunded).status_code == 200
    assert payment.refunds.count() == 1


def test_stripe_outage_gives_a_clear_502_and_keeps_the_hold(api_client, paid_event, stripe_stub):
    body = register(api_client, paid_event)
    stripe_stub.fail_next = 5
    response = start_checkout(api_client, body)
    assert response.status_code == 502
    assert response.json()["error"]["code"] == "payment_provider_error"
    assert Registration.objects.get().status == Registration.Status.PENDING_PAYMENT
    stripe_stub.fail_next = 0
    assert start_checkout(api_client, body).status_code == 200


def test_webhook_without_configuration_is_503(api_client, settings, db):
    settings.STRIPE_WEBHOOK_SECRET = ""
    response = api_client.post(WEBHOOK, b"{}", content_type="application/json", HTTP_STRIPE_SIGNATURE="t=1,v1=x")
    assert response.status_code == 503


def test_cancelling_the_event_refunds_every_online_payment(
    api_client, paid_event, stripe_stub, django_capture_on_commit_callbacks
):
    from tests.factories import MembershipFactory

    body = register(api_client, paid_event)
    session_id = start_checkout(api_client, body).json()["checkout_session_id"]
    post_webhook(api_client, checkout_event(event_id="evt_x", session_id=session_id, registration_id=body["id"]))
    organizer = MembershipFactory(organization=paid_event.organization).user
    with django_capture_on_commit_callbacks(execute=True):
        organizer_services.event_cancel(user=organizer, event=paid_event)
    payment = Payment.objects.get()
    assert payment.status == Payment.Status.REFUNDED
    assert stripe_stub.requests[-1]["path"] == "/v1/refunds"
