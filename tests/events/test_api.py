import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from events.models import Event, Session
from organizations.models import Membership
from tests.factories import (
    CategoryFactory,
    EventFactory,
    MembershipFactory,
    QuestionFactory,
    SessionFactory,
    UserFactory,
    VenueFactory,
)

LIST = "/api/v1/events/"


def slugs(response):
    return [item["slug"] for item in response.json()["results"]]


# --- public list -------------------------------------------------------------------------------


def test_list_shows_only_published_upcoming_events_soonest_first(api_client, organization):
    later = EventFactory(organization=organization, with_session=False)
    SessionFactory(event=later, starts_at=timezone.now() + dt.timedelta(days=20))
    sooner = EventFactory(organization=organization)
    EventFactory(organization=organization, status=Event.Status.DRAFT)
    EventFactory(organization=organization, status=Event.Status.CANCELLED)
    past = EventFactory(organization=organization, with_session=False)
    SessionFactory(event=past, starts_at=timezone.now() - dt.timedelta(days=3))

    response = api_client.get(LIST)
    assert response.status_code == 200
    assert slugs(response) == [sooner.slug, later.slug]
    assert set(slugs(api_client.get(LIST, {"past": "true"}))) == {sooner.slug, later.slug, past.slug}


def test_running_course_is_listed_until_its_last_session(api_client, organization):
    course = EventFactory(organization=organization, kind=Event.Kind.COURSE, with_session=False)
    SessionFactory(event=course, starts_at=timezone.now() - dt.timedelta(days=7))
    SessionFactory(event=course, starts_at=timezone.now() + dt.timedelta(days=7))
    item = api_client.get(LIST).json()["results"][0]
    assert item["slug"] == course.slug and item["session_count"] == 2


def test_language_is_picked_by_query_then_accept_language_with_fallback(api_client, organization):
    EventFactory(
        organization=organization,
        default_language="zh-hans",
        title={"en": "Lantern evening", "zh-hans": "中秋灯会"},
        summary={"zh-hans": "赏月"},
    )
    item = api_client.get(LIST, HTTP_ACCEPT_LANGUAGE="ja-JP,ja;q=0.9").json()["results"][0]
    assert item["title"] == "中秋灯会"  # no Japanese: the event's default language
    assert item["title_i18n"] == {"en": "Lantern evening", "zh-hans": "中秋灯会"}
    item = api_client.get(LIST, HTTP_ACCEPT_LANGUAGE="en-US").json()["results"][0]
    assert item["title"] == "Lantern evening" and item["summary"] == "赏月"
    item = api_client.get(LIST, {"lang": "en"}, HTTP_ACCEPT_LANGUAGE="zh-CN").json()["results"][0]
    assert item["title"] == "Lantern evening"
    assert api_client.get(LIST, HTTP_ACCEPT_LANGUAGE="zh-CN").json()["results"][0]["title"] == "中秋灯会"


def test_filters(api_client, organization):
    tea_cat = CategoryFactory(slug="culture")
    venue = VenueFactory(organization=organization)
    tea = EventFactory(
        organization=organization,
        title={"en": "Tea ceremony", "ja": "茶道"},
        category=tea_cat,
        spoken_languages=["ja", "en"],
        price=Decimal("80"),
        venue=venue,
    )
    course = EventFactory(
        organization=organization,
        kind=Event.Kind.COURSE,
        title={"en": "Calligraphy", "zh-hans": "书法"},
        spoken_languages=["zh-hans"],
    )
    far = EventFactory(organization=organization, with_session=False, title={"en": "Lanterns"})
    SessionFactory(event=far, starts_at=timezone.now() + dt.timedelta(days=60))
    other_org = EventFactory()

    assert slugs(api_client.get(LIST, {"kind": "course"})) == [course.slug]
    assert slugs(api_client.get(LIST, {"category": "culture"})) == [tea.slug]
    assert slugs(api_client.get(LIST, {"language": "ja"})) == [tea.slug]
    assert slugs(api_client.get(LIST, {"free": "false"})) == [tea.slug]
    assert tea.slug not in slugs(api_client.get(LIST, {"free": "true"}))
    assert slugs(api_client.get(LIST, {"venue": venue.pk})) == [tea.slug]
    assert slugs(api_client.get(LIST, {"q": "茶道"})) == [tea.slug]
    assert slugs(api_client.get(LIST, {"q": "CALLI"})) == [course.slug]
    assert slugs(api_client.get(LIST, {"organization": other_org.organization.slug})) == [other_org.slug]
    after = (timezone.now() + dt.timedelta(days=30)).isoformat()
    assert slugs(api_client.get(LIST, {"starts_after": after})) == [far.slug]
    assert far.slug not in slugs(api_client.get(LIST, {"starts_before": after}))
    assert slugs(api_client.get(LIST, {"ordering": "-starts_at"}))[0] == far.slug


def test_ordering_keeps_a_stable_order_across_pages(api_client, organization):
    """Ties under ``ordering=`` fall back to soonest first, then id, so no event is on two pages
    or none; ``ordering=,`` (no field) keeps the default order instead of clearing it."""
    now = timezone.now()
    created = []
    for days in (9, 7, 5, 3, 1):  # created latest-first, so id order is the reverse of date order
        event = EventFactory(organization=organization, price=Decimal("0"), with_session=False)
        SessionFactory(event=event, starts_at=now + dt.timedelta(days=days))
        created.append(event.slug)
    soonest_first = created[::-1]

    for ordering in ("price", "-price", "capacity", ","):
        pages = [
            slugs(api_client.get(LIST, {"ordering": ordering, "page_size": 2, "page": page})) for page in (1, 2, 3)
        ]
        assert sum(pages, []) == soonest_first, ordering


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"kind": "party"}, "kind"),
        ({"category": "nope"}, "category"),
        ({"starts_after": "tomorrow"}, "starts_after"),
        ({"starts_after": "2027-02-01T00:00:00Z", "starts_before": "2027-01-01T00:00:00Z"}, "starts_before"),
        ({"language": "klingon"}, "language"),
        ({"free": "maybe"}, "free"),
        ({"venue": "abc"}, "venue"),
        ({"ordering": "password"}, "ordering"),
        ({"q": "x" * 101}, "q"),
    ],
)
def test_bad_filter_values_are_400_with_field_messages(api_client, organization, params, field):
    EventFactory(organization=organization)
    response = api_client.get(LIST, params)
    assert response.status_code == 400
    body = response.json()["error"]
    assert body["code"] == "invalid" and field in body["fields"]


@pytest.mark.parametrize("count", [5, 100])
def test_list_query_count_is_flat(api_client, db, django_assert_num_queries, count):
    for _ in range(count):
        QuestionFactory(event=EventFactory(category=CategoryFactory(slug="culture")))
    with django_assert_num_queries(2):  # count + page
        response = api_client.get(LIST, {"page_size": 100})
    assert len(response.json()["results"]) == count


def test_detail_and_sessions(api_client, organization):
    event = EventFactory(organization=organization, kind=Event.Kind.COURSE)
    SessionFactory(event=event, starts_at=timezone.now() + dt.timedelta(days=14))
    QuestionFactory(
        event=event,
        key="nationality",
        kind="choice",
        required=True,
        choices=[{"value": "jp", "label": {"en": "Japan", "ja": "日本"}}],
    )
    with CaptureQueriesContext(connection) as queries:
        body = api_client.get(f"{LIST}{event.slug}/", {"lang": "ja"}).json()
    assert len(queries) <= 5
    assert body["title"].startswith("イベント")
    assert len(body["sessions"]) == 2 and body["sessions"][0]["venue"]["name"]
    assert body["questions"][0]["choices"] == [{"value": "jp", "label": "日本"}]
    assert [s["id"] for s in api_client.get(f"{LIST}{event.slug}/sessions/").json()] == list(
        event.sessions.values_list("id", flat=True)
    )


def test_unknown_or_draft_slug_is_404(api_client, organization):
    draft = EventFactory(organization=organization, status=Event.Status.DRAFT)
    for url in (f"{LIST}nope/", f"{LIST}{draft.slug}/", f"{LIST}{draft.slug}/sessions/"):
        response = api_client.get(url)
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"


def test_schema_and_docs(api_client, db):
    assert api_client.get("/api/schema/").status_code == 200
    assert api_client.get("/api/docs/").status_code == 200


# --- organizer API -----------------------------------------------------------------------------

ORG = "/api/v1/organizer/events/"


def event_payload(organization, **overrides):
    payload = {
        "organization": organization.slug,
        "kind": "course",
        "slug": "calligraphy-winter",
        "default_language": "zh-hans",
        "title_i18n": {"zh-hans": "冬季书法班", "en": "Winter calligraphy", "ja": "冬の書道教室"},
        "summary_i18n": {"en": "Brush, ink and patience."},
        "spoken_languages": ["zh-hans", "en"],
        "capacity": 12,
        "price": "0",
        "questions": [
            {
                "key": "level",
                "kind": "choice",
                "label_i18n": {"en": "Level"},
                "required": True,
                "choices": [{"value": "new", "label": {"en": "Beginner", "zh-hans": "初学"}}],
            },
        ],
    }
    payload.update(overrides)
    return payload


def test_organizer_creates_generates_publishes_and_cancels(manager_client, organization, api_client):
    venue = VenueFactory(organization=organization)
    response = manager_client.post(ORG, event_payload(organization, venue=venue.pk), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "draft" and body["title_i18n"]["ja"] == "冬の書道教室"
    assert body["questions"][0]["key"] == "level"
    url = f"{ORG}calligraphy-winter/"

    assert manager_client.post(f"{url}publish/").status_code == 409  # no sessions yet
    response = manager_client.post(
        f"{url}sessions/generate/",
        {"rule": "FREQ=WEEKLY;BYDAY=TU;COUNT=8", "first_start": "2027-01-05T19:00", "duration_minutes": 120},
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert len(response.json()) == 8
    assert response.json()[0]["starts_at"].startswith("2027-01-05T19:00:00+08:00")

    response = manager_client.post(f"{url}publish/")
    assert response.status_code == 200 and response.json()["status"] == "published"
    assert api_client.get(f"{LIST}calligraphy-winter/").status_code == 200

    response = manager_client.patch(url, {"capacity": 20, "title_i18n": {"zh-hans": "书法"}}, format="json")
    assert response.status_code == 200 and response.json()["capacity"] == 20
    assert response.json()["title_i18n"] == {"zh-hans": "书法"}

    response = manager_client.post(f"{url}cancel/")
    assert response.json()["status"] == "cancelled"
    assert api_client.get(f"{LIST}calligraphy-winter/").status_code == 404
    assert manager_client.patch(url, {"capacity": 1}, format="json").status_code == 409


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"capacity": -1}, "capacity"),
        ({"title_i18n": {"en": "Only English"}}, "title_i18n"),  # default language is zh-hans
        ({"title_i18n": {"xx": "?", "zh-hans": "好"}}, "title_i18n"),
        ({"spoken_languages": ["en", "elvish"]}, "spoken_languages"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
        (
            {"registration_opens_at": "2027-01-02T00:00:00Z", "registration_closes_at": "2027-01-01T00:00:00Z"},
            "registration_closes_at",
        ),
        ({"currency": "yuan"}, "currency"),
        ({"price": "-5"}, "price"),
        ({"kind": "party"}, "kind"),
        ({"default_language": "fr"}, "default_language"),
        ({"questions": [{"key": "q", "kind": "choice", "label_i18n": {"en": "Q"}}]}, "questions"),
        ({"capacity": "many"}, "capacity"),
        ({"slug": "not a slug!"}, "slug"),
    ],
)
def test_organizer_bad_input_is_400_per_field(manager_client, organization, overrides, field):
    response = manager_client.post(ORG, event_payload(organization, **overrides), format="json")
    assert response.status_code == 400, response.json()
    assert field in response.json()["error"]["fields"]
    assert not Event.objects.exists()


def test_generate_with_malformed_rule_is_400(manager_client, organization):
    event = EventFactory(organization=organization, with_session=False, status=Event.Status.DRAFT)
    for payload in (
        {"rule": "FREQ=WEEKLY;BYDAY=TU", "first_start": "2027-01-05T19:00", "duration_minutes": 60},
        {"rule": "FREQ=NEVER;COUNT=2", "first_start": "2027-01-05T19:00", "duration_minutes": 60},
        {"rule": "FREQ=DAILY;COUNT=2", "first_start": "soon", "duration_minutes": 60},
        {"rule": "FREQ=DAILY;COUNT=2", "first_start": "2027-01-05T19:00", "duration_minutes": 0},
    ):
        response = manager_client.post(f"{ORG}{event.slug}/sessions/generate/", payload, format="json")
        assert response.status_code == 400, payload
        assert response.json()["error"]["fields"]
    assert not event.sessions.exists()


def test_session_overlap_is_409_unless_allowed(manager_client, organization):
    venue = VenueFactory(organization=organization)
    taken = EventFactory(organization=organization, venue=venue)
    session = taken.sessions.get()
    event = EventFactory(organization=organization, venue=venue, with_session=False)
    payload = {"starts_at": session.starts_at.isoformat(), "ends_at": session.ends_at.isoformat()}
    response = manager_client.post(f"{ORG}{event.slug}/sessions/", payload, format="json")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "session_overlap"
    assert response.json()["error"]["conflicts"][0]["session"] == session.pk
    response = manager_client.post(f"{ORG}{event.slug}/sessions/", {**payload, "allow_overlap": True}, format="json")
    assert response.status_code == 201


def test_session_move_and_cancel(manager_client, organization):
    event = EventFactory(organization=organization)
    session = event.sessions.get()
    url = f"/api/v1/organizer/sessions/{session.pk}/"
    new_start = session.starts_at + dt.timedelta(days=1)
    response = manager_client.patch(
        url,
        {"starts_at": new_start.isoformat(), "ends_at": (new_start + dt.timedelta(hours=1)).isoformat()},
        format="json",
    )
    assert response.status_code == 200
    assert response.json()["sequence"] == 1 and response.json()["status"] == "moved"
    response = manager_client.patch(url, {"ends_at": session.starts_at.isoformat()}, format="json")
    assert response.status_code == 400 and "ends_at" in response.json()["error"]["fields"]
    response = manager_client.post(f"{url}cancel/")
    assert response.json()["status"] == "cancelled"
    assert Session.objects.get(pk=session.pk).sequence == 2


def test_organizer_boundaries(api_client, organization):
    mine = EventFactory(organization=organization)
    theirs = EventFactory()
    manager = MembershipFactory(organization=organization).user
    volunteer = MembershipFactory(organization=organization, role=Membership.Role.VOLUNTEER).user

    assert api_client.get(ORG).status_code == 401
    assert api_client.post(f"{ORG}{mine.slug}/cancel/").status_code == 401

    api_client.force_authenticate(manager)
    assert slugs(api_client.get(ORG)) == [mine.slug]
    assert api_client.get(f"{ORG}{theirs.slug}/").status_code == 404
    assert api_client.post(f"{ORG}{theirs.slug}/cancel/").status_code == 404
    theirs_session = theirs.sessions.get()
    assert api_client.post(f"/api/v1/organizer/sessions/{theirs_session.pk}/cancel/").status_code == 404
    response = api_client.post(ORG, event_payload(theirs.organization), format="json")
    assert response.status_code == 403
    foreign_venue = VenueFactory(organization=theirs.organization)
    response = api_client.post(ORG, event_payload(organization, venue=foreign_venue.pk), format="json")
    assert response.status_code == 400 and "venue" in response.json()["error"]["fields"]

    api_client.force_authenticate(volunteer)  # volunteers scan; organizer endpoints are closed to them
    assert api_client.get(ORG).status_code == 403
    assert api_client.post(ORG, event_payload(organization), format="json").status_code == 403
    theirs.refresh_from_db()
    assert theirs.status == Event.Status.PUBLISHED


def test_token_authentication(api_client, manager, organization):
    from rest_framework.authtoken.models import Token

    EventFactory(organization=organization)
    token = Token.objects.create(user=manager)
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert api_client.get(ORG).status_code == 200
    api_client.credentials(HTTP_AUTHORIZATION="Token wrong")
    assert api_client.get(ORG).status_code == 401


def test_organizer_venues(manager_client, organization):
    response = manager_client.post(
        "/api/v1/organizer/venues/",
        {
            "organization": organization.slug,
            "name_i18n": {"en": "Tea room", "zh-hans": "茶室"},
            "latitude": "39.9",
            "longitude": "116.4",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    other = UserFactory()
    manager_client.force_authenticate(other)
    response = manager_client.post(
        "/api/v1/organizer/venues/", {"organization": organization.slug, "name_i18n": {"en": "X"}}, format="json"
    )
    assert response.status_code == 403


def test_api_error_messages_follow_the_language(api_client, db):
    response = api_client.get(f"{LIST}nope/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.json()["error"]["message"]


def test_organizer_sets_door_and_payment_options(manager_client, organization):
    payload = event_payload(
        organization,
        max_guests=2,
        payment_methods=["alipay", "wechat_pay"],
        allow_pay_at_door=True,
        payment_hold_minutes=20,
        checkin_opens_minutes=30,
        reminder_hours=48,
    )
    body = manager_client.post(ORG, payload, format="json").json()
    assert (body["max_guests"], body["payment_methods"], body["allow_pay_at_door"]) == (
        2,
        ["alipay", "wechat_pay"],
        True,
    )
    assert (body["payment_hold_minutes"], body["checkin_opens_minutes"], body["reminder_hours"]) == (20, 30, 48)
    bad = manager_client.post(
        ORG, event_payload(organization, slug="x2", payment_methods=["bitcoin"], max_guests=99), format="json"
    )
    assert bad.status_code == 400 and {"payment_methods", "max_guests"} <= set(bad.json()["error"]["fields"])


def test_a_slug_in_use_is_400_on_the_slug_field_not_a_server_error(manager_client, organization):
    """Found by the schema fuzzer: the unique index used to surface as a 500."""
    EventFactory(slug="taken")
    response = manager_client.post(ORG, event_payload(organization, slug="taken"), format="json")
    assert response.status_code == 400
    assert "slug" in response.json()["error"]["fields"]
    mine = manager_client.post(ORG, event_payload(organization, slug="mine"), format="json")
    assert mine.status_code == 201
    response = manager_client.patch(f"{ORG}mine/", {"slug": "taken"}, format="json", HTTP_ACCEPT_LANGUAGE="ja")
    assert response.status_code == 400
    assert "slug" in response.json()["error"]["message"] + str(response.json()["error"]["fields"])


@pytest.mark.parametrize(("field", "value"), [("latitude", "-90.5"), ("latitude", "873.7"), ("longitude", "180.1")])
def test_venue_coordinates_out_of_range_are_400_not_a_server_error(manager_client, organization, field, value):
    """Found by the schema fuzzer: the database's range check used to surface as a 500."""
    body = {"organization": organization.slug, "name_i18n": {"en": "Hall"}, field: value}
    response = manager_client.post("/api/v1/organizer/venues/", body, format="json", HTTP_ACCEPT_LANGUAGE="ja")
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]
