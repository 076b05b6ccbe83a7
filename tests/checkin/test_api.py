"""The check-in API over HTTP: who may call it, response shapes, bad input, lists and their cost."""

import datetime as dt
import hashlib
import json
import uuid
from decimal import Decimal

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from checkin.models import CheckIn
from events.models import Event
from organizations.models import Membership
from registrations.tickets import public_key_b64, ticket_code
from tests.checkin.conftest import code_of, open_session, scan, token_client
from tests.factories import (
    CheckInFactory,
    EventFactory,
    MembershipFactory,
    QuestionFactory,
    RegistrationFactory,
    SessionFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def endpoints(session, registration, checkin):
    return [
        ("post", "/api/v1/checkin/", {"code": code_of(registration), "nonce": str(uuid.uuid4())}),
        ("post", "/api/v1/checkin/batch/", {"scans": []}),
        ("get", f"/api/v1/checkin/search/?session={session.pk}&q=Mei", None),
        ("get", "/api/v1/checkin/sessions/", None),
        ("get", f"/api/v1/checkin/sessions/{session.pk}/tickets/", None),
        ("get", f"/api/v1/checkin/sessions/{session.pk}/counts/", None),
        (
            "post",
            f"/api/v1/checkin/registrations/{registration.pk}/",
            {"session": session.pk, "nonce": str(uuid.uuid4())},
        ),
        ("post", f"/api/v1/checkin/registrations/{registration.pk}/door-payment/", None),
        ("post", f"/api/v1/checkin/{checkin.pk}/revert/", None),
    ]


def call(client, method, url, body):
    return getattr(client, method)(url, body, format="json") if method == "post" else client.get(url)


# --- who may call ----------------------------------------------------------------------------------


def test_anonymous_gets_401_and_attendees_403_everywhere(session, registration):
    checkin = CheckInFactory(ticket=registration.tickets.get(), session=session)
    attendee = UserFactory()
    RegistrationFactory(event=session.event, user=attendee, email=attendee.email)
    for method, url, body in endpoints(session, registration, checkin):
        anonymous = call(APIClient(), method, url, body)
        assert anonymous.status_code == 401, url
        assert anonymous["WWW-Authenticate"].startswith("Token")
        assert anonymous.json()["error"]["code"] == "not_authenticated"
        forbidden = call(token_client(attendee), method, url, body)
        assert forbidden.status_code == 403, url
        assert forbidden.json()["error"]["code"] == "permission_denied"
    assert CheckIn.objects.count() == 1


def test_volunteer_of_another_organization_sees_nothing_of_ours(session, registration):
    checkin = CheckInFactory(ticket=registration.tickets.get(), session=session)
    stranger = UserFactory()
    other_event = EventFactory(with_session=False)
    open_session(other_event)
    MembershipFactory(user=stranger, organization=other_event.organization, role=Membership.Role.VOLUNTEER)
    client = token_client(stranger)

    response = scan(client, code_of(registration))
    assert response.status_code == 200
    assert response.json()["status"] == "wrong_event"
    assert "Mei" not in response.content.decode()
    assert scan(client, code_of(registration), session).status_code == 400  # our session: "unknown session"
    for method, url, body in endpoints(session, registration, checkin)[2:]:
        response = call(client, method, url, body)
        if url == "/api/v1/checkin/sessions/":
            assert session.pk not in [s["id"] for s in response.json()]
        else:
            assert response.status_code in (400, 404), url
    checkin.refresh_from_db()
    assert checkin.reverted_at is None


@pytest.mark.parametrize("role", [Membership.Role.VOLUNTEER, Membership.Role.MANAGER, Membership.Role.OWNER])
def test_every_role_may_scan_with_a_session_login_too(organization, session, registration, role):
    user = UserFactory()
    MembershipFactory(user=user, organization=organization, role=role)
    client = APIClient()
    client.force_login(user)
    assert scan(client, code_of(registration), session).json()["status"] == "ok"


# --- scanning --------------------------------------------------------------------------------------


def test_scan_answer_shape_and_replay_header(volunteer_client, session, registration):
    body = {"code": code_of(registration), "session": session.pk, "nonce": str(uuid.uuid4()), "device": "door-1"}
    first = volunteer_client.post("/api/v1/checkin/", body, format="json")
    assert first.status_code == 200
    data = first.json()
    assert data["status"] == "ok" and data["color"] == "green" and data["nonce"] == body["nonce"]
    assert set(data) >= {"message", "attendee", "answers", "payment_due", "party", "checkin_id", "first_scanned_at"}
    assert "email" not in first.content.decode() and "mei@example.org" not in first.content.decode()
    assert "Idempotent-Replayed" not in first

    again = volunteer_client.post("/api/v1/checkin/", body, format="json")
    assert again.json() == data
    assert again["Idempotent-Replayed"] == "true"


def test_scan_hot_path_query_count(volunteer_client, event, session, registration, django_assert_num_queries):
    from django.db import connection

    warm = RegistrationFactory(event=event)
    assert scan(volunteer_client, code_of(warm), session).json()["status"] == "ok"  # fills the role/session cache
    # ticket + registration in one query, then the INSERT in a savepoint (+ SET LOCAL on PostgreSQL)
    expected = 4 + (connection.vendor == "postgresql")
    code = code_of(registration)
    with django_assert_num_queries(expected):
        assert scan(volunteer_client, code, session).json()["status"] == "ok"


def test_scan_reads_the_cache_in_one_round_trip(volunteer_client, event, session, registration, monkeypatch):
    """Token (with the roles it carries) and session: one ``get_many``, no other cache read."""
    from django.core.cache import cache

    warm = RegistrationFactory(event=event)
    assert scan(volunteer_client, code_of(warm), session).json()["status"] == "ok"
    trips, inside, get, get_many = [], [], cache.get, cache.get_many

    def counted_get(key, *args, **kwargs):
        if not inside:  # the per-process cache's get_many asks get() per key: one trip all the same
            trips.append([key])
        return get(key, *args, **kwargs)

    def counted_get_many(keys, *args, **kwargs):
        trips.append(list(keys))
        inside.append(True)
        try:
            return get_many(keys, *args, **kwargs)
        finally:
            inside.pop()

    monkeypatch.setattr(cache, "get", counted_get)
    monkeypatch.setattr(cache, "get_many", counted_get_many)
    assert scan(volunteer_client, code_of(registration), session).json()["status"] == "ok"
    assert [sorted(key.split(":")[0] for key in trip) for trip in trips] == [["auth-token", "checkin-session"]]


def test_a_membership_change_reaches_the_next_scan_of_a_cached_token(organization, event, session, volunteer):
    """The token's cache entry carries the roles: removing or adding a membership drops it."""
    from organizations.tokens import api_token_create

    _named, key = api_token_create(holder=volunteer, name="door phone", issuer=volunteer)
    clients = [volunteer_client := token_client(volunteer), APIClient()]
    clients[1].credentials(HTTP_AUTHORIZATION=f"Token {key}")
    for client in clients:
        assert scan(client, code_of(RegistrationFactory(event=event)), session).json()["status"] == "ok"
    Membership.objects.get(user=volunteer, organization=organization).delete()
    for client in clients:
        assert scan(client, code_of(RegistrationFactory(event=event)), session).status_code == 403
    MembershipFactory(user=volunteer, organization=organization, role=Membership.Role.VOLUNTEER)
    assert scan(volunteer_client, code_of(RegistrationFactory(event=event)), session).json()["status"] == "ok"


def test_a_malformed_body_from_a_stranger_is_401_not_a_parse_error():
    response = APIClient().post("/api/v1/checkin/", "{not json", content_type="application/json")
    assert response.status_code == 401


def test_a_malformed_body_from_a_volunteer_is_a_parse_error(volunteer_client):
    response = volunteer_client.post("/api/v1/checkin/", "{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "parse_error"


def test_nonce_reused_for_another_ticket_is_409(volunteer_client, event, session, registration):
    nonce = str(uuid.uuid4())
    volunteer_client.post(
        "/api/v1/checkin/", {"code": code_of(registration), "session": session.pk, "nonce": nonce}, format="json"
    )
    other = RegistrationFactory(event=event)
    response = volunteer_client.post(
        "/api/v1/checkin/", {"code": code_of(other), "session": session.pk, "nonce": nonce}, format="json"
    )
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "nonce_reused"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        pytest.param({"code": None}, "code", id="missing-code"),
        pytest.param({"code": "x" * 10_240}, "code", id="10kb-code"),
        pytest.param({"code": "H" * 201}, "code", id="code-over-200"),
        pytest.param({"code": 12345}, "code", id="code-number"),
        pytest.param({"code": ["HG1"]}, "code", id="code-list"),
        pytest.param({"code": ""}, "code", id="code-blank"),
        pytest.param({"nonce": None}, "nonce", id="missing-nonce"),
        pytest.param({"nonce": "not-a-uuid"}, "nonce", id="nonce-not-uuid"),
        pytest.param({"nonce": 42}, "nonce", id="nonce-number"),
        pytest.param({"session": "abc"}, "session", id="session-text"),
        pytest.param({"session": "1"}, "session", id="session-numeric-string"),
        pytest.param({"session": True}, "session", id="session-bool"),
        pytest.param({"session": 1.5}, "session", id="session-float"),
        pytest.param({"session": {"id": 1}}, "session", id="session-object"),
        pytest.param({"session": 987654}, "session", id="unknown-session"),
        pytest.param({"session": "FOREIGN"}, "session", id="session-of-another-org"),
        pytest.param({"direction": "sideways"}, "direction", id="direction"),
        pytest.param({"device": "d" * 65}, "device", id="device-too-long"),
        pytest.param({"device": 7}, "device", id="device-number"),
    ],
)
def test_bad_input_is_400_with_a_field_message(volunteer_client, session, registration, change, field):
    body = {"code": code_of(registration), "session": session.pk, "nonce": str(uuid.uuid4())}
    if change.get("session") == "FOREIGN":
        change = {"session": open_session(EventFactory(with_session=False)).pk}
    body.update(change)
    body = {key: value for key, value in body.items() if value is not None}
    response = volunteer_client.post("/api/v1/checkin/", body, format="json")
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["fields"][field] and all(isinstance(m, str) and m for m in error["fields"][field])
    assert not CheckIn.objects.exists()


@pytest.mark.parametrize(
    "raw",
    [b"not json", b"[1, 2]", b'"HG1"', b"null", b'{"code": "\xff"}'],
)
def test_malformed_bodies_are_400(volunteer_client, raw):
    response = volunteer_client.generic("POST", "/api/v1/checkin/", raw, content_type="application/json")
    assert response.status_code == 400
    assert "error" in response.json()


# --- party, undo, cash -----------------------------------------------------------------------------


def test_registration_checkin_over_http(volunteer_client, event, session):
    party = RegistrationFactory(event=event, party_size=2)
    guest = party.tickets.get(position=1)
    url = f"/api/v1/checkin/registrations/{party.pk}/"
    response = volunteer_client.post(
        url, {"session": session.pk, "nonce": str(uuid.uuid4()), "tickets": [guest.pk]}, format="json"
    )
    assert response.status_code == 200
    data = response.json()
    assert (data["registration_id"], data["session"]) == (party.pk, session.pk)
    assert [(r["ticket_id"], r["status"]) for r in data["results"]] == [(guest.pk, "ok")]
    assert [m["checked_in"] for m in data["party"]] == [False, True]

    bad = volunteer_client.post(url, {"session": session.pk, "nonce": str(uuid.uuid4()), "tickets": []}, format="json")
    assert bad.status_code == 400 and "tickets" in bad.json()["error"]["fields"]
    other_event = RegistrationFactory(event=EventFactory(organization=event.organization))
    missing = volunteer_client.post(
        f"/api/v1/checkin/registrations/{other_event.pk}/",
        {"session": session.pk, "nonce": str(uuid.uuid4())},
        format="json",
    )
    assert missing.status_code == 404


def test_revert_over_http(volunteer_client, session, registration):
    checkin_id = scan(volunteer_client, code_of(registration), session).json()["checkin_id"]
    response = volunteer_client.post(f"/api/v1/checkin/{checkin_id}/revert/")
    assert response.status_code == 200
    data = response.json()
    assert data["id"] == checkin_id and data["reverted_by"] == "Ana Li" and data["reverted_at"]
    assert data["name"] == "Mei Chen"
    assert volunteer_client.post(f"/api/v1/checkin/{checkin_id}/revert/").json()["reverted_at"] == data["reverted_at"]
    assert scan(volunteer_client, code_of(registration), session).json()["status"] == "ok"
    assert volunteer_client.post("/api/v1/checkin/999999/revert/").status_code == 404


def test_door_payment_over_http(volunteer_client, event, session):
    Event.objects.filter(pk=event.pk).update(price=Decimal("40"), allow_pay_at_door=True)
    registration = RegistrationFactory(event=event, payment_method="door", amount_due=Decimal("80"), party_size=2)
    assert scan(volunteer_client, code_of(registration), session).json()["message"] == "Collect ¥80"

    url = f"/api/v1/checkin/registrations/{registration.pk}/door-payment/"
    first = volunteer_client.post(url)
    assert first.status_code == 200
    data = first.json()
    assert (data["amount"], data["currency"], data["status"], data["received_by"]) == ("80.00", "CNY", "paid", "Ana Li")
    assert volunteer_client.post(url).json() == data
    assert scan(volunteer_client, code_of(registration, 1), session).json()["color"] == "green"

    free = RegistrationFactory(event=EventFactory(organization=event.organization))
    assert volunteer_client.post(f"/api/v1/checkin/registrations/{free.pk}/door-payment/").status_code == 409


# --- batch -----------------------------------------------------------------------------------------


def test_batch_over_http(volunteer_client, session, registration):
    code = code_of(registration)
    t = timezone.now() - dt.timedelta(minutes=2)
    scans = [
        {"code": code, "session": session.pk, "nonce": str(uuid.uuid4()), "scanned_at": t.isoformat()},
        {
            "code": code,
            "session": session.pk,
            "nonce": str(uuid.uuid4()),
            "scanned_at": (t - dt.timedelta(seconds=9)).isoformat(),
        },
        {"code": "HG1.x", "nonce": str(uuid.uuid4()), "scanned_at": t.isoformat()},
    ]
    response = volunteer_client.post("/api/v1/checkin/batch/", {"scans": scans, "device": "door-2"}, format="json")
    assert response.status_code == 200
    results = response.json()["results"]
    assert [r["status"] for r in results] == ["already_checked_in", "ok", "invalid"]
    assert [r["nonce"] for r in results] == [s["nonce"] for s in scans]
    assert CheckIn.objects.filter(source="offline", device="door-2").count() == 2


@pytest.mark.parametrize(
    "body",
    [
        pytest.param({}, id="missing-scans"),
        pytest.param({"scans": "x"}, id="not-a-list"),
        pytest.param({"scans": [{"code": "x"}]}, id="missing-fields"),
        pytest.param(
            {"scans": [{"code": 5, "nonce": str(uuid.uuid4()), "scanned_at": "2026-01-01T10:00:00Z"}]}, id="code-type"
        ),
        pytest.param({"scans": [{"code": "x", "nonce": "nope", "scanned_at": "2026-01-01T10:00:00Z"}]}, id="nonce"),
        pytest.param({"scans": [{"code": "x", "nonce": str(uuid.uuid4()), "scanned_at": "yesterday"}]}, id="time"),
        pytest.param(
            {"scans": [{"code": "x", "nonce": str(uuid.uuid4()), "scanned_at": "2026-01-01T10:00:00Z"}] * 501},
            id="501-scans",
        ),
    ],
)
def test_batch_bad_input_is_400(volunteer_client, body):
    response = volunteer_client.post("/api/v1/checkin/batch/", body, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["fields"]


# --- search ----------------------------------------------------------------------------------------


def test_search_by_name_guest_or_email_never_shows_email(volunteer_client, event, session):
    QuestionFactory(event=event, key="diet", show_at_checkin=True, label={"en": "Diet"})
    mei = RegistrationFactory(event=event, name="Mei Chen", email="mei.chen@example.org", answers={"diet": "vegan"})
    guest_party = RegistrationFactory(event=event, name="Kenji", email="kenji@example.org", party_size=2)
    guest_party.tickets.filter(position=1).update(name="Meiling Wu")
    RegistrationFactory(event=event, name="Somebody Else", email="else@example.org")
    RegistrationFactory(event=EventFactory(organization=event.organization), name="Mei Other")
    scan(volunteer_client, code_of(mei), session)

    response = volunteer_client.get(f"/api/v1/checkin/search/?session={session.pk}&q=mei")
    assert response.status_code == 200
    results = response.json()["results"]
    assert [r["name"] for r in results] == ["Kenji", "Mei Chen"]
    assert "@" not in response.content.decode()
    chen = results[1]
    assert chen["answers"] == [{"key": "diet", "label": "Diet", "value": "vegan"}]
    assert chen["tickets"][0]["checked_in"] is True and chen["tickets"][0]["checkin_id"]
    assert [t["checked_in"] for t in results[0]["tickets"]] == [False, False]

    def search(q):
        response = volunteer_client.get(f"/api/v1/checkin/search/?session={session.pk}&q={q}")
        return [r["name"] for r in response.json()["results"]]

    # A whole address finds its registration; a part of one finds nobody, so the search cannot
    # be used to learn who registered with which domain or name.
    assert search("Else@Example.org") == ["Somebody Else"]
    assert search("else@exam") == search("example.org") == search("@example.org") == []


@pytest.mark.parametrize("query", ["q=m", "q=", "", "q=mei&session=abc"])
def test_search_needs_a_session_and_two_characters(volunteer_client, session, query):
    if "session" not in query:
        query = f"session={session.pk}&{query}"
    assert volunteer_client.get(f"/api/v1/checkin/search/?{query}").status_code == 400


@pytest.mark.parametrize("count", [3, 30])
def test_search_query_count_is_flat(volunteer_client, event, session, count, django_assert_num_queries):
    for i in range(count):
        registration = RegistrationFactory(event=event, name=f"Lin {i}", party_size=2)
        CheckInFactory(ticket=registration.tickets.get(position=0), session=session)
    # token, membership, session, registrations, tickets (prefetch), questions
    with django_assert_num_queries(6):
        response = volunteer_client.get(f"/api/v1/checkin/search/?session={session.pk}&q=lin")
    assert len(response.json()["results"]) == count


# --- offline ticket list ----------------------------------------------------------------------------


def test_offline_list_shape(volunteer_client, event, session):
    Event.objects.filter(pk=event.pk).update(price=Decimal("50"), allow_pay_at_door=True)
    door = RegistrationFactory(event=event, payment_method="door", amount_due=Decimal("50"), name="Door")
    cancelled = RegistrationFactory(event=event, status="cancelled", name="Gone")
    RegistrationFactory(event=EventFactory(organization=event.organization))  # another event
    scan(volunteer_client, code_of(door), session)

    response = volunteer_client.get(f"/api/v1/checkin/sessions/{session.pk}/tickets/")
    assert response.status_code == 200
    data = response.json()
    assert data["public_key"] == public_key_b64()
    assert data["session"]["id"] == session.pk and data["event"]["id"] == event.pk
    assert data["event"]["checkin_opens_minutes"] == event.checkin_opens_minutes
    rows = {row["name"]: row for row in data["tickets"]}
    assert set(rows) == {"Door", "Gone"}
    door_ticket = door.tickets.get()
    assert rows["Door"] == {
        "ticket_id": door_ticket.pk,
        "code_hash": hashlib.sha256(ticket_code(ticket_id=door_ticket.pk).encode()).hexdigest(),
        "name": "Door",
        "position": 0,
        "registration_id": door.pk,
        "party_size": 1,
        "status": "confirmed",
        "payment_due": {"amount": "50.00", "currency": "CNY"},
        "checked_in": True,
        "inside": True,
    }
    assert rows["Gone"]["status"] == "cancelled" and rows["Gone"]["checked_in"] is False
    assert ticket_code(ticket_id=door_ticket.pk) not in response.content.decode()
    assert cancelled.email not in response.content.decode()


def test_offline_list_etag_and_since(volunteer_client, event, session):
    first_reg = RegistrationFactory(event=event)
    second_reg = RegistrationFactory(event=event)
    url = f"/api/v1/checkin/sessions/{session.pk}/tickets/"

    first = volunteer_client.get(url)
    etag = first["ETag"]
    assert etag.startswith('"') and not etag.startswith("W/")
    not_modified = volunteer_client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert not_modified.status_code == 304 and not_modified["ETag"] == etag and not not_modified.content
    assert volunteer_client.get(url, HTTP_IF_NONE_MATCH=f"W/{etag}").status_code == 304

    # Nothing changed for a while; then one ticket is scanned.
    past = timezone.now() - dt.timedelta(hours=1)
    from registrations.models import Registration

    Registration.objects.filter(event=event).update(updated_at=past)
    since = (timezone.now() - dt.timedelta(minutes=10)).isoformat()
    quiet = volunteer_client.get(url, {"since": since})
    assert quiet.json()["tickets"] == []

    scan(volunteer_client, code_of(second_reg), session)
    changed = volunteer_client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200 and changed["ETag"] != etag
    delta = volunteer_client.get(url, {"since": since}).json()
    assert [t["registration_id"] for t in delta["tickets"]] == [second_reg.pk]
    assert delta["tickets"][0]["checked_in"] is True
    assert first_reg.pk not in [t["registration_id"] for t in delta["tickets"]]

    # An undo counts as a change too.
    CheckIn.objects.update(recorded_at=past)
    volunteer_client.post(f"/api/v1/checkin/{CheckIn.objects.get().pk}/revert/")
    reverted = volunteer_client.get(url, {"since": since}).json()["tickets"]
    assert [(t["registration_id"], t["checked_in"]) for t in reverted] == [(second_reg.pk, False)]

    assert volunteer_client.get(url, {"since": "last tuesday"}).status_code == 400


@pytest.mark.parametrize("count", [3, 30])
def test_offline_list_query_count_is_flat(volunteer_client, event, session, count, django_assert_num_queries):
    for _ in range(count):
        registration = RegistrationFactory(event=event, party_size=2)
        CheckInFactory(ticket=registration.tickets.get(position=1), session=session)
    # token, membership, session + event, tickets with registrations and check-in state
    with django_assert_num_queries(4):
        response = volunteer_client.get(f"/api/v1/checkin/sessions/{session.pk}/tickets/")
    assert len(response.json()["tickets"]) == 2 * count


# --- counts and sessions ----------------------------------------------------------------------------


def test_counts(volunteer_client, event, session):
    party = RegistrationFactory(event=event, party_size=3)
    solo = RegistrationFactory(event=event)
    RegistrationFactory(event=event, status="waitlisted")
    RegistrationFactory(event=event, status="cancelled")
    scan(volunteer_client, code_of(party, 0), session)
    scan(volunteer_client, code_of(party, 0), session)  # duplicate
    scan(volunteer_client, code_of(party, 1), session)
    scan(volunteer_client, code_of(party, 1), session, direction="out")
    wrong = scan(volunteer_client, code_of(solo), session).json()["checkin_id"]
    volunteer_client.post(f"/api/v1/checkin/{wrong}/revert/")

    response = volunteer_client.get(f"/api/v1/checkin/sessions/{session.pk}/counts/")
    assert response.json() == {
        "session": session.pk,
        "expected": 4,
        "checked_in": 2,
        "not_arrived": 2,
        "inside_now": 1,
        "by_direction": {"in": 2, "out": 1},
        "duplicates": 1,
        "reverted": 1,
        "offline": 0,
        "payments_due": 0,
    }


def test_sessions_for_the_picker(volunteer_client, organization, event, session, settings):
    now = timezone.now()
    SessionFactory(event=event)  # next week
    EventFactory(organization=organization, status=Event.Status.DRAFT, with_session=False)
    draft = Event.objects.get(status=Event.Status.DRAFT)
    open_session(draft)
    open_session(EventFactory(with_session=False))  # another organization
    running = SessionFactory(
        event=event, starts_at=now - dt.timedelta(hours=30), ends_at=now + dt.timedelta(hours=1)
    )  # started yesterday, still open

    response = volunteer_client.get("/api/v1/checkin/sessions/?lang=ja")
    assert response.status_code == 200
    data = response.json()
    assert {s["id"] for s in data} == {session.pk, running.pk}
    picked = next(s for s in data if s["id"] == session.pk)
    assert picked["event"]["title"] == event.title["ja"]
    assert picked["checkin_open"] is True and picked["checkin_opens_at"]

    next_week = (timezone.localtime(now) + dt.timedelta(days=7)).date().isoformat()
    assert len(volunteer_client.get(f"/api/v1/checkin/sessions/?date={next_week}").json()) == 1
    assert volunteer_client.get("/api/v1/checkin/sessions/?date=soon").status_code == 400


# --- messages in the volunteer's language ----------------------------------------------------------


@pytest.mark.parametrize(
    ("request_kwargs", "invalid", "welcome"),
    [
        ({"data": {"lang": "ja"}}, "無効なチケットです。", "ようこそ、Mei Chen さん。"),
        ({"HTTP_ACCEPT_LANGUAGE": "zh-Hans"}, "无效的门票。", "欢迎，Mei Chen！"),
        ({"HTTP_ACCEPT_LANGUAGE": "en"}, "Not a valid ticket.", "Welcome, Mei Chen."),
    ],
)
def test_messages_follow_the_volunteers_language(
    volunteer_client, session, registration, request_kwargs, invalid, welcome
):
    """The shipped catalogs (locale/, compiled at setup) answer the door in the volunteer's language."""
    query = request_kwargs.pop("data", None)
    url = "/api/v1/checkin/" + (f"?lang={query['lang']}" if query else "")
    body = {"code": "HG1.1.forged", "session": session.pk, "nonce": str(uuid.uuid4())}
    response = volunteer_client.post(url, json.dumps(body), content_type="application/json", **request_kwargs)
    assert response.json()["message"] == invalid
    ok = volunteer_client.post(
        url, {**body, "code": code_of(registration), "nonce": str(uuid.uuid4())}, format="json", **request_kwargs
    )
    assert ok.json()["message"] == welcome


def test_every_message_is_marked_for_translation():
    """All human text of the answers goes through gettext, so makemessages picks it up."""
    import ast
    import inspect

    from checkin import answers

    tree = ast.parse(inspect.getsource(answers))
    calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call) and getattr(n.func, "id", "") == "_"]
    messages = {c.args[0].value for c in calls if c.args and isinstance(c.args[0], ast.Constant)}
    assert {
        "Not a valid ticket.",
        "This ticket is for another event.",
        "Welcome, %(name)s.",
        "Collect %(amount)s",
        "Already checked in at %(time)s by %(name)s.",
        "This registration was cancelled.",
        "On the waiting list: no seat yet.",
        "Check-in opens at %(time)s.",
    } <= messages
    # No f-strings or concatenation inside _(): translators would never see those strings.
    assert all(len(c.args) == 1 and isinstance(c.args[0], ast.Constant) for c in calls)
