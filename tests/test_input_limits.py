"""Input limits at the HTTP boundary: body size (413), string lengths, list sizes, party size.

Every refusal is a 400 (or 413) in the error shape with a message on the field that was too big,
in the request's language.
"""

import json
import uuid

import pytest
from rest_framework.test import APIClient

from events.models import Question
from organizations.models import Membership
from tests.factories import (
    EventFactory,
    MembershipFactory,
    QuestionFactory,
    RegistrationFactory,
    SessionFactory,
    UserFactory,
)

JA = {"HTTP_ACCEPT_LANGUAGE": "ja"}


def fields_of(response) -> dict:
    body = response.json()
    assert set(body) == {"error"}, body
    return body["error"].get("fields", {})


# --- body size -----------------------------------------------------------------------------------


def test_an_oversized_api_body_is_413_in_the_error_shape_and_translated(api_client, db, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    event = EventFactory()
    body = json.dumps({"name": "Mei", "email": "mei@example.org", "answers": {"q": "x" * 20_000}})
    response = api_client.post(
        f"/api/v1/events/{event.slug}/registrations/", body, content_type="application/json", **JA
    )
    assert response.status_code == 413
    error = response.json()["error"]
    assert error["code"] == "too_large"
    assert "リクエストが大きすぎます" in error["message"]
    assert event.registrations.count() == 0


def test_a_body_just_under_the_limit_goes_through(api_client, db, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    event = EventFactory()
    body = json.dumps(
        {"name": "Mei", "email": "mei@example.org", "consents": {"privacy": True}, "padding": "x" * 9_000}
    )
    response = api_client.post(f"/api/v1/events/{event.slug}/registrations/", body, content_type="application/json")
    assert response.status_code == 201


def test_an_oversized_form_post_is_413_too(client, db, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    event = EventFactory()
    response = client.post(
        f"/events/{event.slug}/register/",
        f"name={'x' * 20_000}&email=a%40example.org",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 413
    assert "too large" in response.content.decode()


def test_form_fields_over_the_limit_inside_a_multipart_upload_are_413(client, db, settings):
    """Multipart bodies may carry an image, so the up-front check lets them through; Django's
    parser then finds the form fields (not files) over the limit while reading, and that is a 413 too."""
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    event = EventFactory()
    response = client.post(f"/events/{event.slug}/register/", {"name": "x" * 20_000, "email": "a@example.org"})
    assert response.status_code == 413
    assert event.registrations.count() == 0


def test_the_api_takes_json_only(api_client, db):
    event = EventFactory()
    response = api_client.post(
        f"/api/v1/events/{event.slug}/registrations/", {"name": "Mei", "email": "mei@example.org"}, format="multipart"
    )
    assert response.status_code == 415
    assert response.json()["error"]["code"] == "unsupported_media_type"


# --- registration --------------------------------------------------------------------------------


@pytest.fixture
def event(db):
    event = EventFactory(capacity=100, max_guests=3)
    QuestionFactory(event=event, key="diet", kind=Question.Kind.TEXT)
    return event


def register(client, event, **body):
    payload = {"name": "Mei", "email": "mei@example.org", "consents": {"privacy": True}, **body}
    return client.post(f"/api/v1/events/{event.slug}/registrations/", payload, format="json", **JA)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "x" * 201}, "name"),
        ({"email": "a" * 250 + "@example.org"}, "email"),
        ({"guests": ["Guest"] * 21}, "guests"),
        ({"guests": ["x" * 201]}, "guests"),
        ({"answers": {f"k{i}": "a" for i in range(101)}}, "answers"),
        ({"answers": {"diet": "x" * 1001}}, "answers"),
        ({"consents": {f"c{i}": True for i in range(21)}}, "consents"),
        ({"consents": {"x" * 51: True}}, "consents"),
    ],
    ids=["name", "email", "guest-count", "guest-name", "answer-count", "answer-size", "consent-count", "consent-key"],
)
def test_registration_limits(api_client, event, body, field):
    response = register(api_client, event, **body)
    assert response.status_code == 400
    assert field in fields_of(response)
    assert event.registrations.count() == 0


def test_an_overlong_answer_is_named_by_its_question_in_the_attendees_language(api_client, event):
    response = register(api_client, event, answers={"diet": "x" * 1001})
    [message] = fields_of(response)["answers"]["diet"]
    assert "1000" in message and "文字" in message


def test_party_size_is_bounded_by_the_events_max_guests(api_client, event):
    response = register(api_client, event, guests=["A", "B", "C", "D"])
    assert response.status_code == 400
    assert "3" in fields_of(response)["guests"][0]
    assert register(api_client, event, guests=["A", "B", "C"]).json()["party_size"] == 4


def test_the_registration_form_bounds_the_guest_list(client, event):
    response = client.post(
        f"/events/{event.slug}/register/",
        {"name": "Mei", "email": "mei@example.org", "guests": "x" * 1000, "privacy": "on"},
    )
    assert response.status_code == 200  # the form again, with the error
    assert event.registrations.count() == 0


# --- organizer and door --------------------------------------------------------------------------


def new_event(organization, **extra):
    return {
        "organization": organization.slug,
        "slug": "limits",
        "title_i18n": {"en": "Limits"},
        "capacity": 10,
        **extra,
    }


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"title_i18n": {"en": "x" * 201}}, "title_i18n"),
        ({"summary_i18n": {"en": "x" * 501}}, "summary_i18n"),
        ({"description_i18n": {"ja": "あ" * 20_001}}, "description_i18n"),
        ({"online_url": "https://example.org/" + "x" * 200}, "online_url"),
        ({"slug": "x" * 81}, "slug"),
        ({"spoken_languages": ["en"] * 21}, "spoken_languages"),
        ({"max_guests": 21}, "max_guests"),
        ({"capacity": 1_000_001}, "capacity"),
        (
            {
                "questions": [
                    {"key": "q", "kind": "choice", "label_i18n": {"en": "Q"}, "choices": [{"value": "x" * 101}]}
                ]
            },
            "questions",
        ),
        ({"questions": [{"key": f"q{i}", "label_i18n": {"en": "Q"}} for i in range(51)]}, "questions"),
    ],
    ids=[
        "title",
        "summary",
        "description",
        "online-url",
        "slug",
        "languages",
        "max-guests",
        "capacity",
        "choice-value",
        "question-count",
    ],
)
def test_organizer_event_limits(manager_client, organization, extra, field):
    response = manager_client.post("/api/v1/organizer/events/", new_event(organization, **extra), format="json", **JA)
    assert response.status_code == 400
    assert field in fields_of(response)


def test_organizer_event_limits_leave_room_for_real_content(manager_client, organization):
    response = manager_client.post(
        "/api/v1/organizer/events/",
        new_event(organization, description_i18n={"ja": "あ" * 20_000, "en": "x" * 20_000}),
        format="json",
    )
    assert response.status_code == 201


def test_announcement_limits(manager_client, organization):
    EventFactory(organization=organization, slug="tea")
    body = {"events": ["tea"], "subject_i18n": {"en": "x" * 201}, "body_i18n": {"en": "Hello"}}
    response = manager_client.post("/api/v1/organizer/announcements/", body, format="json", **JA)
    assert response.status_code == 400
    assert "subject_i18n" in fields_of(response)
    body = {"events": ["tea"] * 51, "subject_i18n": {"en": "Hi"}, "body_i18n": {"en": "Hello"}}
    assert "events" in fields_of(manager_client.post("/api/v1/organizer/announcements/", body, format="json"))


def test_feedback_comment_limit(api_client, db):
    registration = RegistrationFactory()
    response = api_client.post(
        f"/api/v1/registrations/{registration.pk}/feedback/",
        {"rating": 5, "comment": "x" * 5001},
        format="json",
        HTTP_X_MANAGE_TOKEN=registration.manage_token,
        **JA,
    )
    assert response.status_code == 400
    assert "comment" in fields_of(response)


@pytest.fixture
def volunteer(organization):
    user = UserFactory()
    MembershipFactory(user=user, organization=organization, role=Membership.Role.VOLUNTEER)
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_checkin_batch_size_limit(volunteer, organization):
    scans = [{"code": "HG1.x", "nonce": str(uuid.uuid4()), "scanned_at": "2026-01-01T10:00:00Z"}] * 501
    response = volunteer.post("/api/v1/checkin/batch/", {"scans": scans}, format="json", **JA)
    assert response.status_code == 400
    assert "scans" in fields_of(response)


@pytest.mark.parametrize(
    ("body", "field"),
    [({"code": "x" * 1001}, "code"), ({"device": "x" * 65}, "device")],
)
def test_checkin_string_limits(volunteer, organization, body, field):
    payload = {"code": "HG1.x", "nonce": str(uuid.uuid4()), **body}
    response = volunteer.post("/api/v1/checkin/", payload, format="json")
    assert response.status_code == 400
    assert field in fields_of(response)


def test_checkin_party_list_limit(volunteer, organization):
    event = EventFactory(organization=organization)
    registration = RegistrationFactory(event=event)
    body = {"session": event.sessions.first().pk, "nonce": str(uuid.uuid4()), "tickets": list(range(1, 52))}
    response = volunteer.post(f"/api/v1/checkin/registrations/{registration.pk}/", body, format="json")
    assert response.status_code == 400
    assert "tickets" in fields_of(response)


@pytest.mark.parametrize("q", ["x", "x" * 101])
def test_search_q_limits(volunteer, organization, q):
    session = SessionFactory(event=EventFactory(organization=organization, with_session=False))
    response = volunteer.get("/api/v1/checkin/search/", {"session": session.pk, "q": q}, **JA)
    assert response.status_code == 400
    assert "q" in fields_of(response)


@pytest.mark.parametrize("url", ["/api/v1/events/", "/api/v1/calendar.ics"])
def test_public_search_q_limit(api_client, db, url):
    response = api_client.get(url, {"q": "x" * 101})
    assert response.status_code == 400
    assert "q" in fields_of(response)


def test_dates_outside_2000_to_2099_are_refused(manager_client, organization):
    response = manager_client.post(
        "/api/v1/organizer/events/",
        new_event(organization, registration_opens_at="1782-11-07T17:40:09Z"),
        format="json",
    )
    assert "registration_opens_at" in fields_of(response)


def test_unknown_api_urls_answer_in_the_error_shape(api_client, db):
    response = api_client.get("/api/v1/no-such-thing/")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    page = api_client.get("/no-such-page/")
    assert page.status_code == 404 and page["Content-Type"].startswith("text/html")


def test_an_event_without_category_or_venue_serializes_them_as_null(api_client, db):
    EventFactory(slug="online", venue=None, category=None, online_url="https://meet.example.org/x")
    response = api_client.get("/api/v1/events/online/")
    assert response.status_code == 200
    assert response.json()["venue"] is None and response.json()["category"] is None


def test_a_server_error_under_api_is_in_the_error_shape(rf):
    from common.views import server_error

    response = server_error(rf.get("/api/v1/events/"))
    assert response.status_code == 500
    assert json.loads(response.content)["error"]["code"] == "server_error"
    assert server_error(rf.get("/")).status_code == 500


@pytest.mark.parametrize(
    "body",
    [
        {"name": "Mei\x00", "email": "mei@example.org"},
        {"name": "Mei", "email": "mei@example.org", "answers": {"diet": "tea\x00"}},
        {"name": "Mei", "email": "mei@example.org", "answers": {"di\x00et": "tea"}},
    ],
    ids=["field", "nested-value", "nested-key"],
)
def test_nul_characters_are_a_400_anywhere_in_a_json_body(api_client, event, body):
    """Found by the schema fuzzer on PostgreSQL, which stores NUL neither in text nor in jsonb."""
    response = api_client.post(f"/api/v1/events/{event.slug}/registrations/", body, format="json", **JA)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "parse_error"
    assert event.registrations.count() == 0


def test_nul_characters_in_translated_fields_are_refused(manager_client, organization):
    body = new_event(organization, summary_i18n={"ja": "お茶\x00"})
    response = manager_client.post("/api/v1/organizer/events/", body, format="json")
    assert response.status_code == 400


def test_json_nested_too_deeply_is_a_400(api_client, event):
    response = api_client.post(
        f"/api/v1/events/{event.slug}/registrations/", "[" * 50_000, content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "parse_error"


@pytest.mark.parametrize(
    ("body", "lang", "message"),
    [
        (b'{"name": "Mei",\n "email": }', "ja", "リクエスト本文が正しい JSON ではありません（2 行 11 列）。"),
        (b'{"name": "Mei"', "zh-hans", "请求正文不是有效的 JSON（第 1 行第 15 列）。"),
        (b'{"name": "\xff"}', "en", "The request body is not valid UTF-8."),
        (b'{"price": NaN}', "en", "The request body is not valid JSON."),
    ],
    ids=["syntax", "truncated", "not-utf8", "nan"],
)
def test_malformed_json_is_a_400_that_says_where_in_the_readers_language(api_client, event, body, lang, message):
    url = f"/api/v1/events/{event.slug}/registrations/?lang={lang}"
    response = api_client.post(url, body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"] == {"code": "parse_error", "message": message}
    assert event.registrations.count() == 0


@pytest.mark.parametrize(
    ("value", "status"),
    [
        ("2026-12-01T00:00:00-16:44", 200),  # legal ISO 8601, beyond what PostgreSQL stores: read as UTC
        ("0302-06-28T09:27:12.9-16:44", 400),  # found by the schema fuzzer on PostgreSQL
        ("9999-12-31T23:59:59-01:00", 400),
        ("2026-13-01T00:00:00Z", 400),
    ],
)
def test_date_filters_are_bounded_and_any_offset_is_safe(manager_client, value, status):
    for path, name in (("/api/v1/events/", "starts_after"), ("/api/v1/organizer/audit/", "until")):
        response = manager_client.get(path, {name: value})
        assert response.status_code == status, (path, response.content)
        if status == 400:
            assert name in response.json()["error"]["fields"]
