"""Personal data through the API and the services: consent, minimal QR codes, download, erasure, retention."""

import datetime as dt
import hashlib
import io
import json
import re
from decimal import Decimal

import pytest
from celery.schedules import crontab
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core import mail
from django.utils import timezone

from backend.celery import app as celery_app
from common.models import IdempotencyKey
from events.models import Question
from notifications import outbox
from notifications.models import Feedback, Notification
from privacy import services as privacy_services
from privacy.services import anonymise_old_registrations, erased_email
from registrations import consent
from registrations.models import CalendarFeed, Payment, Registration, StripeEvent
from tests.factories import (
    CheckInFactory,
    EventFactory,
    QuestionFactory,
    RegistrationFactory,
    SessionFactory,
    UserFactory,
)
from tests.qr import decode_qr
from tests.registrations.conftest import path_of, token_of, url
from tests.registrations.test_stripe import post_webhook, start_checkout
from tests.stripe_stub import checkout_event

pytestmark = pytest.mark.django_db

S = Registration.Status
NAME, EMAIL = "Sakura Tanaka", "sakura.tanaka@example.jp"


@pytest.fixture
def event(db):
    event = EventFactory(slug="tea", capacity=2, max_guests=1)
    QuestionFactory(event=event, key="diet", kind=Question.Kind.TEXT, label={"en": "Diet", "ja": "食事"})
    return event


def payload(**overrides):
    data = {
        "name": NAME,
        "email": EMAIL,
        "language": "ja",
        "answers": {"diet": "no shellfish"},
        "consents": {"privacy": True},
        "guests": ["Ken Tanaka"],
    }
    data.update(overrides)
    return data


def register(api_client, event, **overrides) -> dict:
    response = api_client.post(url(event), payload(**overrides), format="json")
    assert response.status_code == 201, response.json()
    return response.json()


# --- consent --------------------------------------------------------------------------------------


def test_consent_text_endpoint_gives_the_version_and_every_language(api_client):
    response = api_client.get("/api/v1/privacy/consent/", {"lang": "ja"})

    assert response.status_code == 200
    body = response.json()
    assert body["key"] == "privacy" and body["version"] == consent.PRIVACY_CONSENT_VERSION
    assert body["language"] == "ja"
    assert "主催者" in body["label"] and "365" in body["details"]
    assert set(body["translations"]) == {"en", "zh-hans", "ja"}
    assert body["translations"]["en"]["label"].startswith("I agree that the organizer stores")
    assert "主办方" in body["translations"]["zh-hans"]["label"]
    assert "匿名" in body["translations"]["zh-hans"]["details"]


def test_consent_wording_is_pinned_to_its_version(settings):
    """Changing the consent text in any language needs a new PRIVACY_CONSENT_VERSION (and then a new pin here)."""
    settings.ANONYMISE_AFTER_DAYS = 365
    texts = [consent.privacy_consent_text(language=code) for code in ("en", "zh-hans", "ja")]
    fingerprint = hashlib.sha256(
        json.dumps([(t["label"], t["details"]) for t in texts], ensure_ascii=False).encode()
    ).hexdigest()[:16]
    assert (consent.PRIVACY_CONSENT_VERSION, fingerprint) == ("2026-11-23", PINNED_FINGERPRINT)


PINNED_FINGERPRINT = "7615bd7e1844c14f"


def test_registration_stores_the_consent_text_version_language_and_time(api_client, event):
    before = timezone.now()
    body = register(api_client, event, consent_version=consent.PRIVACY_CONSENT_VERSION)

    record = Registration.objects.get(pk=body["id"]).consents["privacy"]
    assert record["agreed"] is True
    assert record["version"] == consent.PRIVACY_CONSENT_VERSION and record["language"] == "ja"
    assert dt.datetime.fromisoformat(record["agreed_at"]) >= before
    shown = consent.privacy_consent_text(language="ja")
    assert record["text"] == f"{shown['label']} {shown['details']}"
    assert body["consents"] == {"privacy": record}


@pytest.mark.parametrize(
    ("consents", "extra", "problem"),
    [
        ({}, {}, "privacy"),
        ({"privacy": False}, {}, "privacy"),
        ({"privacy": True, "marketing": True}, {}, "marketing"),
        ({"privacy": True}, {"consent_version": "2001-01-01"}, "version"),
    ],
)
def test_registration_without_current_privacy_consent_is_400(api_client, event, consents, extra, problem):
    response = api_client.post(url(event), {**payload(consents=consents), **extra}, format="json")

    assert response.status_code == 400
    assert problem in response.json()["error"]["fields"]["consents"]
    assert not Registration.objects.exists()


def test_missing_consent_message_is_translated(api_client, event):
    response = api_client.post(url(event) + "?lang=zh-hans", payload(consents={}), format="json")
    assert response.json()["error"]["fields"]["consents"]["privacy"] == ["请同意后继续。"]


# --- data minimisation ----------------------------------------------------------------------------


def test_the_qr_code_holds_no_personal_data(api_client, event):
    body = register(api_client, event)
    tickets = body["tickets"]
    assert len(tickets) == 2

    for ticket in tickets:
        png = api_client.get(path_of(ticket["png_url"]))
        [text] = decode_qr(png.content)
        assert text == ticket["code"]
        # Version, ticket id, signature: nothing else.
        assert re.fullmatch(r"HG1\.[0-9]+\.[A-Za-z0-9_-]{86}", text)
        for personal in ("Sakura", "Tanaka", "sakura", "tanaka", "Ken", "example.jp", "shellfish", token_of(body)):
            assert personal not in text
        svg = api_client.get(path_of(ticket["svg_url"])).content.decode()
        assert "Sakura" not in svg and "example.jp" not in svg


# --- download ------------------------------------------------------------------------------------


def test_download_holds_everything_about_this_registration_and_nothing_else(api_client, event, settings):
    body = register(api_client, event)
    registration = Registration.objects.get(pk=body["id"])
    volunteer = UserFactory(username="door-volunteer", first_name="Vera")
    CheckInFactory(
        ticket=registration.tickets.get(position=0),
        registration=registration,
        session=event.sessions.get(),
        scanned_by=volunteer,
    )
    Payment.objects.create(
        registration=registration,
        provider="stripe",
        status="paid",
        amount=Decimal("80"),
        currency="CNY",
        checkout_session_id="cs_secret",
        checkout_url="https://checkout.stripe.com/c/pay/cs_secret",
        payment_intent_id="pi_secret",
    )
    Feedback.objects.create(registration=registration, rating=5, comment="とても良かった", language="ja")
    # The same address at another event: not in this registration's file (the token proves only this one).
    other = RegistrationFactory(email=EMAIL, name="Someone using the same address")

    response = api_client.get(f"/api/v1/registrations/{registration.pk}/data/", HTTP_X_MANAGE_TOKEN=token_of(body))

    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"
    assert "attachment" in response["Content-Disposition"]
    data = response.json()
    assert data["format"] == "huiguan-personal-data/1"
    assert data["registration"]["name"] == NAME and data["registration"]["email"] == EMAIL
    assert data["registration"]["party_size"] == 2
    assert data["event"]["slug"] == "tea"
    assert data["answers"] == [{"question": "食事", "key": "diet", "answer": "no shellfish"}]
    assert data["consents"]["privacy"]["version"] == consent.PRIVACY_CONSENT_VERSION
    assert [t["name"] for t in data["tickets"]] == [NAME, "Ken Tanaka"]
    assert all(t["code"].startswith("HG1.") for t in data["tickets"])
    [checkin] = data["checkins"]
    assert checkin["direction"] == "in" and checkin["ticket_position"] == 0
    [payment] = data["payments"]
    assert payment == {**payment, "provider": "stripe", "status": "paid", "amount": "80.00", "currency": "CNY"}
    assert [note["kind"] for note in data["emails"]] == ["confirmation"]
    assert data["emails"][0]["to"] == EMAIL
    assert data["feedback"]["comment"] == "とても良かった" and data["feedback"]["rating"] == 5
    text = json.dumps(data, ensure_ascii=False)
    for absent in ("cs_secret", "pi_secret", "door-volunteer", "Vera", other.name, other.manage_token):
        assert absent not in text


def test_download_needs_the_token_of_that_registration(api_client, event):
    body = register(api_client, event)
    other = RegistrationFactory()
    path = f"/api/v1/registrations/{body['id']}/data/"

    assert api_client.get(path).status_code == 404
    assert api_client.get(path, {"token": other.manage_token}).status_code == 404
    assert api_client.delete(path, HTTP_X_MANAGE_TOKEN=other.manage_token).status_code == 404
    assert Registration.objects.get(pk=body["id"]).anonymised_at is None


# --- erasure on request -------------------------------------------------------------------------


def test_erasure_cancels_promotes_the_waiting_list_and_erases(api_client, event, django_capture_on_commit_callbacks):
    body = register(api_client, event)
    waiting = register(api_client, event, name="Wait Ing", email="waiting@example.org", guests=[])
    assert waiting["status"] == "waitlisted"
    registration = Registration.objects.get(pk=body["id"])
    Feedback.objects.create(registration=registration, rating=4, comment="Ask for Sakura", language="ja")
    CalendarFeed.objects.create(email=EMAIL)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        response = api_client.delete(f"/api/v1/registrations/{body['id']}/data/", HTTP_X_MANAGE_TOKEN=token_of(body))

    assert response.status_code == 200
    assert response.json()["status"] == "cancelled" and response.json()["name"] == ""
    registration.refresh_from_db()
    assert registration.status == S.CANCELLED and registration.cancelled_at
    assert registration.anonymised_at and registration.anonymised_reason == "request"
    assert (registration.name, registration.email) == ("", erased_email(registration.pk))
    assert registration.answers == {} and registration.consents == {} and registration.user is None
    assert list(registration.tickets.values_list("name", flat=True)) == ["", ""]
    assert registration.party_size == 2  # what the reports count stays
    notes = Notification.objects.filter(registration=registration)
    assert notes.exists() and set(notes.values_list("recipient", flat=True)) == {erased_email(registration.pk)}
    assert not notes.filter(status__in=["pending", "sending"]).exists()
    assert Feedback.objects.get(registration=registration).comment == ""
    assert Feedback.objects.get(registration=registration).rating == 4
    assert not CalendarFeed.objects.filter(email=EMAIL).exists()
    # The seat went to the waiting list, who were told; nothing went to the erased address.
    promoted = Registration.objects.get(pk=waiting["id"])
    assert promoted.status == S.CONFIRMED
    assert [m.to for m in mail.outbox] == [["waiting@example.org"]]
    event.refresh_from_db()
    assert (event.seats_held, event.waitlist_count) == (1, 0)

    # Idempotent: asking again changes nothing and answers the same.
    again = api_client.delete(f"/api/v1/registrations/{body['id']}/data/", HTTP_X_MANAGE_TOKEN=token_of(body))
    assert again.status_code == 200 and again.json() == response.json()
    assert Registration.objects.get(pk=body["id"]).anonymised_at == registration.anonymised_at


def test_erasure_keeps_the_calendar_feed_another_registration_of_the_address_uses(api_client, event):
    body = register(api_client, event)
    RegistrationFactory(email=EMAIL)
    CalendarFeed.objects.create(email=EMAIL)

    privacy_services.registration_erase(registration_id=body["id"])

    assert CalendarFeed.objects.filter(email=EMAIL).exists()


def test_erasure_scrubs_copies_elsewhere(api_client, event):
    response = api_client.post(url(event), payload(), format="json", HTTP_IDEMPOTENCY_KEY="k1")
    body = response.json()
    registration = Registration.objects.get(pk=body["id"])
    ticket = registration.tickets.get(position=0)
    scan = CheckInFactory(
        ticket=ticket,
        registration=registration,
        session=event.sessions.get(),
        response={"status": "ok", "message": f"Welcome, {NAME}.", "attendee": {"name": NAME}, "answers": [1]},
    )
    LogEntry.objects.create(
        user=UserFactory(),
        content_type=ContentType.objects.get_for_model(Registration),
        object_id=str(registration.pk),
        object_repr=str(registration),
        action_flag=CHANGE,
    )
    assert NAME in json.dumps(IdempotencyKey.objects.get(key="k1").response_body)

    privacy_services.registration_erase(registration_id=registration.pk)

    scan.refresh_from_db()
    assert scan.response == {"status": "ok", "message": ""}
    assert NAME not in json.dumps(IdempotencyKey.objects.get(key="k1").response_body)
    assert EMAIL not in LogEntry.objects.get().object_repr
    replay = api_client.post(url(event), payload(), format="json", HTTP_IDEMPOTENCY_KEY="k1")
    assert NAME not in json.dumps(replay.json())


def test_erasure_of_a_paid_registration_refunds_and_scrubs_the_webhooks(
    api_client, stripe_stub, django_capture_on_commit_callbacks
):
    paid = EventFactory(capacity=5, price=Decimal("80"), currency="CNY")
    body = register(api_client, paid, guests=[], answers={})
    session_id = start_checkout(api_client, body).json()["checkout_session_id"]
    webhook = json.loads(checkout_event(event_id="evt_paid", session_id=session_id, registration_id=body["id"]))
    webhook["data"]["object"]["customer_details"] = {"email": EMAIL, "name": NAME}
    post_webhook(api_client, json.dumps(webhook).encode())
    assert Registration.objects.get(pk=body["id"]).status == S.CONFIRMED

    with django_capture_on_commit_callbacks(execute=True):
        api_client.delete(f"/api/v1/registrations/{body['id']}/data/", HTTP_X_MANAGE_TOKEN=token_of(body))

    payment = Payment.objects.get()
    assert payment.status == Payment.Status.REFUNDED and payment.amount == Decimal("80")
    assert stripe_stub.requests[-1]["path"] == "/v1/refunds"
    stored = StripeEvent.objects.get(event_id="evt_paid")
    assert stored.payload == {"erased": True}


def test_erasing_a_registration_of_an_event_that_is_over_keeps_its_status():
    registration = RegistrationFactory(event=ended_event(3))

    erased = privacy_services.registration_erase(registration_id=registration.pk)

    assert erased.status == S.CONFIRMED and erased.anonymised_at and erased.name == ""


def test_erased_registration_has_no_calendar_feed(api_client, event):
    body = register(api_client, event)
    privacy_services.registration_erase(registration_id=body["id"])

    path = f"/api/v1/registrations/{body['id']}/calendar-feed/"
    assert api_client.post(path, HTTP_X_MANAGE_TOKEN=token_of(body)).status_code == 404
    assert not CalendarFeed.objects.exists()


# --- retention ------------------------------------------------------------------------------------


def ended_event(days_ago: int):
    event = EventFactory(with_session=False)
    end = timezone.now() - dt.timedelta(days=days_ago)
    SessionFactory(event=event, starts_at=end - dt.timedelta(hours=2), ends_at=end)
    return event


def test_beat_task_anonymises_only_events_past_the_retention_period(settings):
    settings.ANONYMISE_AFTER_DAYS = 30
    old = ended_event(40)
    recent = ended_event(20)
    upcoming = EventFactory()
    old_rows = [RegistrationFactory(event=old, status=status) for status in (S.CONFIRMED, S.CANCELLED, S.WAITLISTED)]
    recent_row = RegistrationFactory(event=recent)
    upcoming_row = RegistrationFactory(event=upcoming)

    assert anonymise_old_registrations.delay().get() == 3
    for row in old_rows:
        fresh = Registration.objects.get(pk=row.pk)
        assert fresh.anonymised_at and fresh.anonymised_reason == "retention" and fresh.status == row.status
        assert fresh.name == "" and fresh.email == erased_email(row.pk)
    for row in (recent_row, upcoming_row):
        assert Registration.objects.get(pk=row.pk).anonymised_at is None

    assert anonymise_old_registrations.delay().get() == 0  # idempotent


def test_anonymising_walks_in_batches(settings):
    event = ended_event(400)
    rows = [RegistrationFactory(event=event) for _ in range(5)]

    assert privacy_services.registrations_anonymise_due(batch=2) == 5
    assert not Registration.objects.filter(pk__in=[r.pk for r in rows], anonymised_at__isnull=True).exists()


def test_the_task_runs_daily_from_the_beat_schedule():
    entry = celery_app.conf.beat_schedule["anonymise-old-registrations"]
    assert entry["task"] == "registrations.tasks.anonymise_old_registrations"
    assert isinstance(entry["schedule"], crontab) and entry["schedule"].hour == {3}  # once a day, at night
    assert anonymise_old_registrations.name == entry["task"]


def test_organizer_cannot_anonymise_an_event_still_to_come():
    from common.exceptions import Conflict

    event = EventFactory()
    RegistrationFactory(event=event)
    with pytest.raises(Conflict):
        privacy_services.event_registrations_anonymise(event=event)
    assert not Registration.objects.filter(anonymised_at__isnull=False).exists()


def test_management_command_anonymises_for_setups_without_beat():
    from django.core.management import call_command

    old = RegistrationFactory(event=ended_event(400))
    out = io.StringIO()

    call_command("registrations_anonymise", stdout=out)

    assert "registrations anonymised: 1 (events ended over 365 days ago)" in out.getvalue()
    assert Registration.objects.get(pk=old.pk).anonymised_at is not None


def test_nothing_is_sent_to_an_anonymised_registration_even_when_an_admin_retries(
    api_client, event, django_capture_on_commit_callbacks
):

    body = register(api_client, event)
    privacy_services.registration_erase(registration_id=body["id"])
    note = Notification.objects.get(registration_id=body["id"], kind="confirmation")
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        assert outbox.notification_retry(notification_id=note.pk)

    note.refresh_from_db()
    assert note.status == Notification.Status.SKIPPED and mail.outbox == []


def test_no_feedback_comment_can_be_added_after_anonymisation():
    from common.exceptions import InvalidInput
    from notifications import services as notifications  # feedback_submit

    registration = RegistrationFactory(event=ended_event(400))
    privacy_services.registration_anonymise(registration_id=registration.pk, reason="retention")
    registration.refresh_from_db()

    with pytest.raises(InvalidInput):
        notifications.feedback_submit(registration=registration, rating=5, comment="It was me, Sakura")
    assert not Feedback.objects.exists()


# --- the manage token is the attendee's alone ----------------------------------------------------


def test_an_organizer_reading_a_registration_never_gets_the_attendees_private_links(api_client, event):
    """The token opens what is the attendee's alone (download, erasure, feedback, the feed email):
    an organizer may read and cancel the registration, but must not be handed its key."""
    from rest_framework.test import APIClient

    from tests.factories import MembershipFactory

    body = register(api_client, event)
    token = token_of(body)
    organizer = APIClient()
    organizer.force_authenticate(MembershipFactory(organization=event.organization).user)
    seen = organizer.get(f"/api/v1/registrations/{body['id']}/")
    assert seen.status_code == 200 and seen.json()["name"] == NAME
    assert token not in seen.content.decode()
    assert seen.json()["manage_url"] is None and seen.json()["ticket_url"] is None
    assert seen.json()["calendar_url"] is None
    assert [(t["png_url"], t["svg_url"]) for t in seen.json()["tickets"]] == [(None, None), (None, None)]
    cancelled = organizer.delete(f"/api/v1/registrations/{body['id']}/")
    assert cancelled.status_code == 200 and token not in cancelled.content.decode()

    # The attendee, with the token, still gets every link.
    own = api_client.get(f"/api/v1/registrations/{body['id']}/", HTTP_X_MANAGE_TOKEN=token).json()
    assert token_of(own) == token


def test_a_signed_in_attendee_gets_the_links_of_her_own_registration(api_client, event):
    user = UserFactory(email="mei@example.org")
    api_client.force_authenticate(user)
    body = register(api_client, event, email="mei@example.org")
    own = api_client.get(f"/api/v1/registrations/{body['id']}/").json()
    assert own["manage_url"] == body["manage_url"] and own["ticket_url"]
