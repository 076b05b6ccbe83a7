""" "Confirm your email to keep the seat": the hold, the emailed link, expiry, the per-domain cap."""

from __future__ import annotations

import datetime as dt
import re
import uuid

import pytest
from django.core import mail
from django.utils import timezone

from checkin import services as checkin_services
from registrations import confirm_links, services
from registrations.models import Registration
from registrations.services import email_holds
from registrations.services.register import expire_payment_holds
from registrations.tickets import ticket_code
from tests.factories import EventFactory, MembershipFactory, UserFactory
from tests.registrations.conftest import url

S = Registration.Status
pytestmark = pytest.mark.django_db


def register(event, email, *, now=None, **kwargs):
    return services.registration_create(
        event_id=event.pk,
        name=kwargs.pop("name", "Lin"),
        email=email,
        language=kwargs.pop("language", "en"),
        consents={"privacy": True},
        now=now,
        **kwargs,
    )


def seats(event) -> int:
    event.refresh_from_db()
    return event.seats_held


def confirm_link(address: str) -> str:
    (message,) = [
        m for m in mail.outbox if address in m.to and m.extra_headers.get("X-Huiguan-Notification") == "email_confirm"
    ]
    return re.search(r"https?://\S+/confirm/\S+/", message.body).group(0)


def path(link: str) -> str:
    return "/" + link.split("://", 1)[1].split("/", 1)[1]


@pytest.fixture
def held_event(db):
    return EventFactory(capacity=2, email_confirm_minutes=30)


def test_off_by_default_the_seat_is_confirmed_at_once():
    event = EventFactory(capacity=2)
    assert event.email_confirm_minutes == 0 and event.open_holds_per_domain == 0
    assert register(event, "a@example.org").status == S.CONFIRMED


def test_a_new_registration_holds_its_seat_until_the_link_is_opened(
    held_event, client, django_capture_on_commit_callbacks
):
    now = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        registration = register(held_event, "a@example.org", now=now)
    assert registration.status == S.PENDING_EMAIL
    assert registration.hold_expires_at == now + dt.timedelta(minutes=30)
    assert seats(held_event) == 1  # the seat is taken while held: nobody else gets it meanwhile
    assert [m.extra_headers["X-Huiguan-Notification"] for m in mail.outbox] == ["email_confirm"]
    (message,) = mail.outbox
    assert "Confirm your email to keep your seat" in message.subject
    link = confirm_link("a@example.org")

    with django_capture_on_commit_callbacks(execute=True):
        response = client.get(path(link))
    assert response.status_code == 302
    assert response["Location"].startswith(f"/manage/{registration.manage_token}/")
    registration.refresh_from_db()
    assert registration.status == S.CONFIRMED and registration.email_confirmed_at is not None
    assert registration.hold_expires_at is None and registration.confirmed_at is not None
    assert seats(held_event) == 1  # the same seat, counted once
    assert [m.extra_headers["X-Huiguan-Notification"] for m in mail.outbox] == ["email_confirm", "confirmation"]

    # The link again: nothing changes, nothing is sent.
    with django_capture_on_commit_callbacks(execute=True):
        assert client.get(path(link)).status_code == 302
    assert len(mail.outbox) == 2 and seats(held_event) == 1


def test_the_api_says_pending_email_and_shows_no_ticket_and_no_confirm_link(api_client, held_event):
    response = api_client.post(
        url(held_event), {"name": "Li", "email": "li@example.org", "consents": {"privacy": True}}, format="json"
    )
    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "pending_email" and body["hold_expires_at"]
    assert body["tickets"] == []
    assert "/confirm/" not in str(body)  # only the mailbox gets it


def test_a_held_ticket_does_not_get_in_at_the_door(held_event):
    registration = register(held_event, "a@example.org")
    volunteer = UserFactory()
    MembershipFactory(user=volunteer, organization=held_event.organization, role="volunteer")
    session = held_event.sessions.get()
    session.starts_at = timezone.now() - dt.timedelta(minutes=5)
    session.save()
    code = ticket_code(ticket_id=registration.tickets.all()[0].pk)
    result = checkin_services.checkin_perform(user=volunteer, code=code, session_id=session.pk, nonce=uuid.uuid4())
    assert result.status == "unpaid"
    assert "Email not confirmed" in str(result.body)


def test_an_unopened_link_releases_the_seat_to_the_waiting_list(held_event, client, django_capture_on_commit_callbacks):
    now = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        first = register(held_event, "a@example.org", now=now, guests=[])
        register(held_event, "b@example.org", now=now)
        third = register(held_event, "c@example.org", now=now)
    assert third.status == S.WAITLISTED and seats(held_event) == 2
    link = confirm_link("a@example.org")
    mail.outbox.clear()

    later = now + dt.timedelta(minutes=31)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.registration_expire_hold(registration_id=first.pk, now=later) is True
    first.refresh_from_db()
    third.refresh_from_db()
    assert first.status == S.EXPIRED
    # b's hold ran out too (same age); c moved up and is held in turn, told by a promotion notice
    assert third.status == S.PENDING_EMAIL and third.promoted_at == later
    kinds = sorted((m.to[0], m.extra_headers["X-Huiguan-Notification"]) for m in mail.outbox)
    assert kinds == [
        ("a@example.org", "hold_expired"),
        ("b@example.org", "hold_expired"),
        ("c@example.org", "email_confirm"),
    ]
    expired_mail = next(m for m in mail.outbox if m.to == ["a@example.org"])
    assert "link to confirm your email address was not opened" in expired_mail.body
    assert "A seat at" in next(m for m in mail.outbox if m.to == ["c@example.org"]).body

    # The old link now says so on the manage page; the seat is not given back.
    response = client.get(path(link), follow=True)
    assert "was not opened in time" in response.content.decode()
    first.refresh_from_db()
    assert first.status == S.EXPIRED and seats(held_event) == 1


def test_the_beat_task_expires_email_holds(held_event):
    registration = register(held_event, "a@example.org", now=timezone.now() - dt.timedelta(minutes=40))
    assert registration.status == S.PENDING_EMAIL
    assert expire_payment_holds() == 1
    registration.refresh_from_db()
    assert registration.status == S.EXPIRED and seats(held_event) == 0


def test_an_overdue_hold_is_released_when_the_link_comes_late(held_event):
    registration = register(held_event, "a@example.org", now=timezone.now() - dt.timedelta(minutes=31))
    assert services.registration_confirm_email(registration_id=registration.pk).status == S.EXPIRED
    registration.refresh_from_db()
    assert registration.status == S.EXPIRED and registration.email_confirmed_at is None
    assert seats(held_event) == 0


def test_on_a_paid_event_the_link_leads_to_the_payment_hold(settings, django_capture_on_commit_callbacks):
    settings.STRIPE_SECRET_KEY = "sk_test_stub"
    event = EventFactory(capacity=5, price="50.00", email_confirm_minutes=15, payment_hold_minutes=30)
    now = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        registration = register(event, "a@example.org", now=now)
    assert registration.status == S.PENDING_EMAIL
    with django_capture_on_commit_callbacks(execute=True):
        services.registration_confirm_email(registration_id=registration.pk, now=now + dt.timedelta(minutes=5))
    registration.refresh_from_db()
    assert registration.status == S.PENDING_PAYMENT
    assert registration.hold_expires_at == now + dt.timedelta(minutes=35)
    assert [m.extra_headers["X-Huiguan-Notification"] for m in mail.outbox] == ["email_confirm", "payment_due"]
    assert seats(event) == 1


def test_a_waitlisted_registration_can_confirm_early_and_is_then_confirmed_on_promotion(held_event):
    now = timezone.now()
    a = register(held_event, "a@example.org", now=now, guests=[])
    register(held_event, "b@example.org", now=now)
    c = register(held_event, "c@example.org", now=now)
    services.registration_confirm_email(registration_id=c.pk, now=now)  # a link from its own email, opened early
    c.refresh_from_db()
    assert c.status == S.WAITLISTED and c.email_confirmed_at is not None
    services.registration_cancel(registration_id=a.pk, now=now)
    c.refresh_from_db()
    assert c.status == S.CONFIRMED  # the address is proven: no second hold


def test_forged_or_outdated_links_are_refused(held_event, client):
    registration = register(held_event, "a@example.org")
    assert client.get("/confirm/not-a-token/").status_code == 404
    token = confirm_links.confirm_token(registration=registration)
    assert client.get(f"/confirm/{token[:-2]}xx/").status_code == 404
    for_another_address = confirm_links.confirm_token(
        registration=Registration(pk=registration.pk, email="x@example.org")
    )
    assert client.get(f"/confirm/{for_another_address}/").status_code == 404  # the address must match
    Registration.objects.filter(pk=registration.pk).update(email="anon-1@anonymised.invalid")
    assert confirm_links.registration_id_from_token(token) is None  # erased address: the link is dead


# --- per-domain cap ----------------------------------------------------------------------------------


def test_open_holds_per_domain_caps_one_domain_not_others(api_client):
    event = EventFactory(capacity=50, email_confirm_minutes=30, open_holds_per_domain=2)
    for n in (1, 2):
        assert register(event, f"bot{n}@squat.example").status == S.PENDING_EMAIL
    response = api_client.post(
        url(event), {"name": "Bot", "email": "bot3@SQUAT.example", "consents": {"privacy": True}}, format="json"
    )
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "domain_hold_limit"
    assert "squat.example" in response.json()["error"]["message"]
    assert register(event, "someone@example.org").status == S.PENDING_EMAIL  # another domain is fine
    # Once a hold turns into a confirmed seat, the domain has room again.
    first = Registration.objects.get(email="bot1@squat.example")
    services.registration_confirm_email(registration_id=first.pk)
    assert register(event, "bot3@squat.example").status == S.PENDING_EMAIL
    assert seats(event) == 4


def test_the_cap_counts_payment_holds_too(settings):
    settings.STRIPE_SECRET_KEY = "sk_test_stub"
    event = EventFactory(capacity=3, price="20.00", open_holds_per_domain=1)
    assert register(event, "a@squat.example").status == S.PENDING_PAYMENT
    with pytest.raises(email_holds.TooManyHoldsForDomain):
        register(event, "b@squat.example")
    assert register(event, "c@example.org").status == S.PENDING_PAYMENT


def test_the_cap_never_blocks_the_waiting_list_nor_a_promotion(settings):
    settings.STRIPE_SECRET_KEY = "sk_test_stub"
    now = timezone.now()
    event = EventFactory(capacity=1, price="20.00", open_holds_per_domain=1, payment_hold_minutes=30)
    a = register(event, "a@squat.example", now=now)
    assert a.status == S.PENDING_PAYMENT
    b = register(event, "b@squat.example", now=now)
    assert b.status == S.WAITLISTED  # a place in the queue is no hold
    services.registration_expire_hold(registration_id=a.pk, now=now + dt.timedelta(minutes=31))
    b.refresh_from_db()
    assert b.status == S.PENDING_PAYMENT  # promoted into a hold although the domain had one a moment ago
