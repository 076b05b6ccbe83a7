"""Refunds that add up, and the refund policy, at the HTTP boundary against the Stripe stub.

A partial refund made by hand in Stripe's dashboard (its ``charge.refunded`` webhook) is recorded
as partial and leaves the registration as it is; a later cancel refunds exactly the rest. The
organizer refunds in part from the desk. An attendee's cancel gives back what the event's policy
says for the days left.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from organizations.models import Membership
from registrations.models import Payment, Refund, Registration
from tests.factories import EventFactory, MembershipFactory, SessionFactory, UserFactory
from tests.helpers import cancel_via_api, charge_refunded_event, pay_online
from tests.organizer.helpers import desk_client
from tests.registrations.test_stripe import post_webhook


def refund_requests(stub) -> list[dict]:
    return [r for r in stub.requests if r["path"] == "/v1/refunds"]


def event_starting_in(days: float, **policy):
    event = EventFactory(
        capacity=5, price=Decimal("50"), currency="CNY", payment_methods=["card"], with_session=False, **policy
    )
    SessionFactory(event=event, starts_at=timezone.now() + dt.timedelta(days=days))
    return event


@pytest.mark.django_db
def test_a_partial_dashboard_refund_is_partial_and_a_later_cancel_refunds_exactly_the_rest(
    api_client, stripe_stub, django_capture_on_commit_callbacks
):
    event = event_starting_in(10)
    body = pay_online(api_client, event, amount_total=5000)
    intent = f"pi_for_{body['session_id']}"
    # 1.00 of 50.00 refunded by hand in Stripe's dashboard.
    payload = charge_refunded_event(
        event_id="evt_dash",
        payment_intent=intent,
        amount=5000,
        amount_refunded=100,
        refunds=[{"id": "re_dashboard_1", "object": "refund", "amount": 100, "status": "succeeded"}],
    )
    assert post_webhook(api_client, payload).status_code == 200
    payment = Payment.objects.get()
    assert payment.status == Payment.Status.PAID
    assert list(payment.refunds.values_list("amount", "reason", "status", "stripe_refund_id")) == [
        (Decimal("1.00"), "stripe_dashboard", "succeeded", "re_dashboard_1")
    ]
    assert Registration.objects.get(pk=body["id"]).status == Registration.Status.CONFIRMED
    # The same webhook again (Stripe retries) records nothing more.
    assert post_webhook(api_client, payload).json()["duplicate"] is True

    with django_capture_on_commit_callbacks(execute=True):
        assert cancel_via_api(api_client, body).json()["status"] == "cancelled"
    [request] = refund_requests(stripe_stub)
    assert request["form"]["amount"] == "4900" and request["form"]["payment_intent"] == intent
    payment.refresh_from_db()
    assert payment.status == Payment.Status.REFUNDED
    assert sorted(payment.refunds.values_list("amount", flat=True)) == [Decimal("1.00"), Decimal("49.00")]

    # Stripe's webhook for our own refund lists both refunds: nothing new is recorded.
    ours = payment.refunds.get(reason="cancel")
    both = charge_refunded_event(
        event_id="evt_rest",
        payment_intent=intent,
        amount=5000,
        amount_refunded=5000,
        refunds=[
            {"id": ours.stripe_refund_id, "object": "refund", "amount": 4900, "status": "succeeded"},
            {"id": "re_dashboard_1", "object": "refund", "amount": 100, "status": "succeeded"},
        ],
    )
    assert post_webhook(api_client, both).status_code == 200
    assert payment.refunds.count() == 2


@pytest.mark.django_db
def test_a_dashboard_refund_without_the_refund_list_is_recorded_from_the_amount(api_client, stripe_stub):
    event = event_starting_in(10)
    body = pay_online(api_client, event, amount_total=5000)
    payload = charge_refunded_event(
        event_id="evt_dash2", payment_intent=f"pi_for_{body['session_id']}", amount=5000, amount_refunded=1500
    )
    assert post_webhook(api_client, payload).status_code == 200
    payment = Payment.objects.get()
    assert payment.status == Payment.Status.PAID
    assert list(payment.refunds.values_list("amount", "reason")) == [(Decimal("15.00"), "stripe_dashboard")]


@pytest.mark.django_db
def test_the_organizer_refunds_part_of_a_registration_from_the_desk(
    api_client, stripe_stub, django_capture_on_commit_callbacks
):
    event = event_starting_in(10)
    manager = UserFactory(username="treasurer")
    MembershipFactory(user=manager, organization=event.organization, role=Membership.Role.MANAGER)
    body = pay_online(api_client, event, amount_total=5000)
    desk = desk_client(manager)
    url = f"/organizer/events/{event.slug}/refunds/{body['id']}/"

    page = desk.get(url)
    assert page.status_code == 200
    assert "50 CNY" in page.content.decode()  # refundable

    with django_capture_on_commit_callbacks(execute=True):
        response = desk.post(url, {"amount": "20.00", "note": "no vegetarian dish"})
    assert response.status_code == 302
    [request] = refund_requests(stripe_stub)
    assert request["form"]["amount"] == "2000"
    registration = Registration.objects.get(pk=body["id"])
    assert registration.status == Registration.Status.CONFIRMED
    payment = Payment.objects.get()
    assert payment.status == Payment.Status.PAID
    refund = payment.refunds.get()
    assert (refund.amount, refund.reason, refund.status, refund.requested_by) == (
        Decimal("20.00"),
        "desk",
        "succeeded",
        manager,
    )
    assert "30 CNY" in desk.get(url).content.decode()  # what is left

    # More than is left: refused on the form, nothing recorded.
    response = desk.post(url, {"amount": "30.01"})
    assert response.status_code == 400
    assert Refund.objects.count() == 1
    # The rest, then nothing is refundable any more.
    with django_capture_on_commit_callbacks(execute=True):
        assert desk.post(url, {"amount": "30"}).status_code == 302
    payment.refresh_from_db()
    assert payment.status == Payment.Status.REFUNDED
    assert [r["form"]["amount"] for r in refund_requests(stripe_stub)] == ["2000", "3000"]
    # Cancelling afterwards refunds nothing more.
    with django_capture_on_commit_callbacks(execute=True):
        assert cancel_via_api(api_client, body).json()["status"] == "cancelled"
    assert len(refund_requests(stripe_stub)) == 2


POLICY = {"refund_full_days": 7, "refund_partial_percent": 50, "refund_partial_days": 2}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("days_before", "refunded"),
    [
        (7.1, "5000"),  # a week and a bit: in full
        (6.9, "2500"),  # under seven days: half
        (2.1, "2500"),
        (1.9, None),  # under two days: nothing
    ],
)
def test_the_refund_policy_applies_on_cancel(
    api_client, stripe_stub, django_capture_on_commit_callbacks, days_before, refunded
):
    event = event_starting_in(days_before, **POLICY)
    body = pay_online(api_client, event, amount_total=5000)
    token = body["manage_url"].rstrip("/").rsplit("/", 1)[1]
    # The cancel screen says what a cancel gives back now, and the policy.
    screen = api_client.get(f"/manage/{token}/cancel/?lang=en").content.decode()
    assert "Full refund if you cancel at least 7 days before the event." in screen
    assert "Then 50 % refunded until 2 days before." in screen
    if refunded:
        assert f"If you cancel now, {int(refunded) // 100} CNY is refunded" in screen
    else:
        assert "If you cancel now, nothing is refunded." in screen

    with django_capture_on_commit_callbacks(execute=True):
        assert cancel_via_api(api_client, body).json()["status"] == "cancelled"
    amounts = [r["form"]["amount"] for r in refund_requests(stripe_stub)]
    assert amounts == ([refunded] if refunded else [])
    payment = Payment.objects.get()
    assert payment.status == (Payment.Status.REFUNDED if refunded == "5000" else Payment.Status.PAID)


@pytest.mark.django_db
def test_the_organizer_cancelling_refunds_in_full_whatever_the_policy(
    api_client, stripe_stub, django_capture_on_commit_callbacks
):
    event = event_starting_in(1, **POLICY)
    manager = UserFactory(username="boss")
    MembershipFactory(user=manager, organization=event.organization, role=Membership.Role.MANAGER)
    body = pay_online(api_client, event, amount_total=5000)
    with django_capture_on_commit_callbacks(execute=True):
        response = desk_client(manager).post(f"/organizer/events/{event.slug}/registrations/{body['id']}/cancel/", {})
    assert response.status_code == 302
    assert [r["form"]["amount"] for r in refund_requests(stripe_stub)] == ["5000"]
    assert Refund.objects.get().reason == "organizer_cancel"


@pytest.mark.django_db
def test_the_public_page_shows_the_policy_before_paying(client):
    event = event_starting_in(20, **POLICY)
    html = client.get(f"/events/{event.slug}/?lang=en").content.decode()
    assert "Full refund if you cancel at least 7 days before the event." in html
    assert "After that, no refund." in html
    html = client.get(f"/events/{event.slug}/?lang=zh-hans").content.decode()
    assert "退款" in html


@pytest.mark.django_db
def test_cancelling_the_event_after_a_partial_refund_gives_back_the_rest_and_says_so(
    api_client, stripe_stub, django_capture_on_commit_callbacks
):
    event = event_starting_in(10)
    owner = UserFactory(username="owner-x")
    MembershipFactory(user=owner, organization=event.organization, role=Membership.Role.OWNER)
    body = pay_online(api_client, event, amount_total=5000)
    payload = charge_refunded_event(
        event_id="evt_dash3", payment_intent=f"pi_for_{body['session_id']}", amount=5000, amount_refunded=100
    )
    assert post_webhook(api_client, payload).status_code == 200
    desk = desk_client(owner, language="en")
    page = desk.get(f"/organizer/events/{event.slug}/cancel/").content.decode()
    assert "(49 CNY)" in page
    with django_capture_on_commit_callbacks(execute=True):
        assert desk.post(f"/organizer/events/{event.slug}/cancel/", {}).status_code == 302
    assert [r["form"]["amount"] for r in refund_requests(stripe_stub)] == ["4900"]
    assert Payment.objects.get().status == Payment.Status.REFUNDED
    assert Refund.objects.get(reason="event_cancelled").amount == Decimal("49.00")


@pytest.mark.django_db
def test_a_refund_stripe_keeps_refusing_is_an_alert_on_the_desk(
    api_client, stripe_stub, django_capture_on_commit_callbacks
):
    from registrations import selectors
    from registrations.services import refunds

    event = event_starting_in(10)
    manager = UserFactory(username="watcher")
    MembershipFactory(user=manager, organization=event.organization, role=Membership.Role.MANAGER)
    body = pay_online(api_client, event, amount_total=5000)
    stripe_stub.fail_next = 100
    with django_capture_on_commit_callbacks(execute=True):
        cancel_via_api(api_client, body)
    desk = desk_client(manager, language="en")
    assert "refund is stuck" not in desk.get("/organizer/").content.decode()
    for day in range(1, selectors.REFUND_ALERT_ATTEMPTS + 1):
        with django_capture_on_commit_callbacks(execute=True):
            refunds.refunds_sweep(now=timezone.now() + dt.timedelta(days=day))
    refund_url = f"/organizer/events/{event.slug}/refunds/{body['id']}/"
    for page in ("/organizer/", f"/organizer/events/{event.slug}/"):
        html = desk.get(page).content.decode()
        assert "1 refund is stuck" in html and refund_url in html and "50 CNY" in html
    zh = desk_client(manager, language="zh-hans").get("/organizer/").content.decode()
    assert "1 笔退款卡住了" in zh
    # Stripe answers again: the next sweep refunds it once and the alert is gone.
    stripe_stub.fail_next = 0
    with django_capture_on_commit_callbacks(execute=True):
        refunds.refunds_sweep(now=timezone.now() + dt.timedelta(days=30))
    assert Refund.objects.get().status == Refund.Status.SUCCEEDED
    assert "refund is stuck" not in desk.get("/organizer/").content.decode()
