"""The organizer admin: scoping by membership, translation widgets, session tools, actions.

Pages are driven through the test client the way a browser would: GET the form, read every
field it renders, change a few, POST it back.
"""

import datetime as dt
import zoneinfo
from html.parser import HTMLParser

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from common.forms import TranslationsWidget
from events.models import Event, Session
from organizations.models import Category, Membership
from organizer.forms import QuestionChoicesField
from tests.factories import (
    CategoryFactory,
    EventFactory,
    MembershipFactory,
    OrganizationFactory,
    QuestionFactory,
    SessionFactory,
    UserFactory,
    VenueFactory,
)

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
ADMIN_ZONE = zoneinfo.ZoneInfo(settings.TIME_ZONE)


# --- helpers -----------------------------------------------------------------------------------


class _FormReader(HTMLParser):
    """What a browser would submit from the form with ``form_id`` (no JavaScript, no submit button)."""

    def __init__(self, form_id: str):
        super().__init__(convert_charrefs=True)
        self.form_id = form_id
        self.inside = False
        self.data: dict[str, list[str]] = {}
        self._select: tuple[str, bool] | None = None
        self._select_options: list[tuple[str, bool]] = []
        self._textarea: str | None = None
        self._text: list[str] = []

    def _add(self, name: str, value: str) -> None:
        self.data.setdefault(name, []).append(value)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.inside = attrs.get("id") == self.form_id
            return
        if not self.inside or "disabled" in attrs:
            return
        name = attrs.get("name")
        if tag == "input" and name:
            kind = attrs.get("type", "text")
            if kind in ("submit", "button", "image", "reset", "file"):
                return
            if kind in ("checkbox", "radio") and "checked" not in attrs:
                return
            self._add(name, attrs.get("value", "on" if kind in ("checkbox", "radio") else ""))
        elif tag == "select" and name:
            self._select = (name, "multiple" in attrs)
            self._select_options = []
        elif tag == "option" and self._select:
            self._select_options.append((attrs.get("value", ""), "selected" in attrs))
        elif tag == "textarea" and name:
            self._textarea, self._text = name, []

    def handle_data(self, data):
        if self._textarea is not None:
            self._text.append(data)

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False
        elif tag == "select" and self._select:
            name, multiple = self._select
            chosen = [value for value, selected in self._select_options if selected]
            if not chosen and not multiple and self._select_options:
                chosen = [self._select_options[0][0]]
            for value in chosen:
                self._add(name, value)
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            text = "".join(self._text)
            self._add(self._textarea, text[1:] if text.startswith("\n") else text)
            self._textarea = None


def read_form(response, form_id: str) -> dict:
    reader = _FormReader(form_id)
    reader.feed(response.content.decode())
    assert reader.data, f"no form #{form_id} on the page"
    return {name: values if len(values) > 1 else values[0] for name, values in reader.data.items()}


TENANCY_MODELS = ("organization", "membership", "venue", "category")


def admin_url(name: str, *args) -> str:
    app = "organizations" if name.split("_")[0] in TENANCY_MODELS else "events"
    return reverse(f"admin:{app}_{name}", args=args)


def page_text(response) -> str:
    return response.content.decode()


def berlin(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=BERLIN)


# --- fixtures ----------------------------------------------------------------------------------


@pytest.fixture
def org(db):
    return OrganizationFactory(timezone="Europe/Berlin", name={"en": "Berlin Friends"})


@pytest.fixture
def other_org(db):
    return OrganizationFactory(name={"en": "Other Society"})


@pytest.fixture
def organizer(org):
    user = UserFactory(is_staff=True)
    MembershipFactory(user=user, organization=org, role=Membership.Role.MANAGER)
    return user


@pytest.fixture
def organizer_client(client, organizer):
    client.force_login(organizer)
    return client


@pytest.fixture
def event(org):
    return EventFactory(
        organization=org,
        timezone="Europe/Berlin",
        title={"en": "Tea ceremony", "zh-hans": "茶道"},
        with_session=False,
        status=Event.Status.DRAFT,
    )


# --- scoping -----------------------------------------------------------------------------------


def test_changelist_lists_only_the_users_organizations_events(organizer_client, org, other_org):
    EventFactory(organization=org, title={"en": "Our tea ceremony"})
    EventFactory(organization=other_org, title={"en": "Their lantern walk"})

    response = organizer_client.get(admin_url("event_changelist"))

    assert response.status_code == 200
    assert response.context["cl"].result_count == 1
    assert "Our tea ceremony" in page_text(response)
    assert "Their lantern walk" not in page_text(response)
    assert "Other Society" not in page_text(response)  # not even as a filter choice


def test_other_organizations_pages_are_not_reachable(organizer_client, other_org):
    theirs = EventFactory(organization=other_org, title={"en": "Their lantern walk"})
    session = theirs.sessions.get()

    for url in (
        admin_url("event_change", theirs.pk),
        admin_url("event_delete", theirs.pk),
        admin_url("event_history", theirs.pk),
        admin_url("event_generate_sessions", theirs.pk),
        admin_url("session_change", session.pk),
        admin_url("organization_change", other_org.pk),
    ):
        response = organizer_client.get(url)
        assert response.status_code == 302, url
        assert response.url == reverse("admin:index")

    response = organizer_client.post(admin_url("event_change", theirs.pk), {"title_en": "Hijacked"})
    assert response.status_code == 302
    theirs.refresh_from_db()
    assert theirs.title == {"en": "Their lantern walk"}


def test_foreign_keys_offer_only_own_organizations_and_venues(organizer_client, org, other_org):
    VenueFactory(organization=org, name={"en": "Our hall"})
    VenueFactory(organization=other_org, name={"en": "Their hall"})

    response = organizer_client.get(admin_url("event_add"))

    form = response.context["adminform"].form
    assert list(form.fields["organization"].queryset) == [org]
    assert [venue.organization_id for venue in form.fields["venue"].queryset] == [org.pk]
    assert form.initial["timezone"] == "Europe/Berlin"  # taken from the only organization


def test_superuser_sees_every_organizations_events(client, org, other_org):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    EventFactory(organization=org, title={"en": "Our tea ceremony"})
    theirs = EventFactory(organization=other_org, title={"en": "Their lantern walk"})

    response = client.get(admin_url("event_changelist"))

    assert response.context["cl"].result_count == 2
    assert client.get(admin_url("event_change", theirs.pk)).status_code == 200


def test_volunteers_get_no_admin_access_to_events(client, org):
    volunteer = UserFactory(is_staff=True)
    MembershipFactory(user=volunteer, organization=org, role=Membership.Role.VOLUNTEER)
    event = EventFactory(organization=org)
    client.force_login(volunteer)

    assert client.get(admin_url("event_changelist")).status_code == 403
    assert client.get(admin_url("event_change", event.pk)).status_code == 403
    assert client.get(admin_url("session_calendar")).status_code == 403
    assert client.get(admin_url("event_generate_sessions", event.pk)).status_code in (302, 403)
    index = client.get(reverse("admin:index"))
    assert admin_url("event_changelist") not in page_text(index)


def test_categories_are_read_only_for_managers(organizer_client):
    category = CategoryFactory(slug="music", name={"en": "Music"})

    assert organizer_client.get(admin_url("category_changelist")).status_code == 200
    page = organizer_client.get(admin_url("category_change", category.pk))
    assert page.status_code == 200
    assert 'name="_save"' not in page_text(page)
    assert organizer_client.post(admin_url("category_change", category.pk), {"slug": "x"}).status_code == 403
    assert organizer_client.get(admin_url("category_add")).status_code == 403
    assert Category.objects.get().slug == "music"


def test_managers_add_members_by_email_but_cannot_grant_ownership(organizer_client, org):
    newcomer = UserFactory(username="mei", email="mei@example.org")

    response = organizer_client.post(
        admin_url("membership_add"), {"user": "mei@example.org", "organization": org.pk, "role": "owner"}
    )
    assert response.status_code == 200
    assert "Only an owner" in str(response.context["adminform"].form.errors["role"])

    response = organizer_client.post(
        admin_url("membership_add"), {"user": "MEI@example.org", "organization": org.pk, "role": "volunteer"}
    )
    assert response.status_code == 302
    assert Membership.objects.get(user=newcomer).role == Membership.Role.VOLUNTEER


@pytest.mark.parametrize("as_superuser", [False, True], ids=["organizer", "superuser"])
def test_every_admin_page_renders(client, organizer, org, event, as_superuser):
    session = SessionFactory(event=event)
    QuestionFactory(event=event, kind="choice", choices=[{"value": "jp", "label": {"en": "Japan", "ja": "日本"}}])
    CategoryFactory()
    membership = Membership.objects.get(user=organizer)
    client.force_login(UserFactory(is_staff=True, is_superuser=True) if as_superuser else organizer)
    urls = [
        reverse("admin:index"),
        admin_url("event_changelist") + "?q=TEA&price=free&status__exact=draft",
        admin_url("event_add"),
        admin_url("event_change", event.pk),
        admin_url("event_generate_sessions", event.pk),
        admin_url("session_changelist") + "?starts_at__year=2026",
        admin_url("session_add"),
        admin_url("session_change", session.pk),
        admin_url("session_calendar") + "?week=nonsense",
        admin_url("venue_changelist"),
        admin_url("venue_add"),
        admin_url("venue_change", event.venue_id),
        admin_url("organization_changelist"),
        admin_url("organization_change", org.pk),
        admin_url("membership_changelist"),
        admin_url("membership_add"),
        admin_url("membership_change", membership.pk),
        admin_url("category_changelist"),
    ]
    for url in urls:
        assert client.get(url).status_code == 200, url


def test_organizer_creates_an_event_with_its_first_session(organizer_client, org):
    venue = VenueFactory(organization=org)
    data = read_form(organizer_client.get(admin_url("event_add")), "event_form")
    start = berlin(2027, 1, 12, 19).astimezone(ADMIN_ZONE)
    data.update(
        {
            "kind": "course",
            "slug": "calligraphy",
            "title_en": "Calligraphy",
            "venue": str(venue.pk),
            "capacity": "12",
            "sessions-0-starts_at_0": f"{start:%Y-%m-%d}",
            "sessions-0-starts_at_1": f"{start:%H:%M:%S}",
            "sessions-0-ends_at_0": f"{start:%Y-%m-%d}",
            "sessions-0-ends_at_1": f"{start + dt.timedelta(hours=2):%H:%M:%S}",
        }
    )

    response = organizer_client.post(admin_url("event_add"), data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    event = Event.objects.get(slug="calligraphy")
    assert (event.organization, event.timezone, event.status) == (org, "Europe/Berlin", Event.Status.DRAFT)
    assert [(s.starts_at, s.sequence, s.status) for s in event.sessions.all()] == [
        (berlin(2027, 1, 12, 19), 0, Session.Status.SCHEDULED)
    ]


# --- translations ------------------------------------------------------------------------------


def test_translations_widget_renders_one_labelled_input_per_language():
    html = TranslationsWidget().render("title", {"en": "Tea", "ja": "茶会"}, attrs={"id": "id_title"})

    assert html.count("<input") == len(settings.CONTENT_LANGUAGES)
    for code in settings.CONTENT_LANGUAGES:
        assert f'name="title_{code}"' in html
        assert f'for="id_title_{code}"' in html
    assert "English" in html and "简体中文" in html and "日本語" in html
    assert 'value="茶会"' in html


def test_change_form_round_trips_translations(organizer_client, event):
    page = organizer_client.get(admin_url("event_change", event.pk))
    assert 'name="title_zh-hans"' in page_text(page)
    data = read_form(page, "event_form")
    assert data["title_en"] == "Tea ceremony"

    data.update(
        {
            "title_ja": "  お茶会 ",
            "title_zh-hans": "",
            "description_en": "Two hours,\nbring socks.",
            "spoken_languages": ["en", "ko"],
        }
    )
    response = organizer_client.post(admin_url("event_change", event.pk), data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    event.refresh_from_db()
    assert event.title == {"en": "Tea ceremony", "ja": "お茶会"}
    assert event.description == {"en": "Two hours,\nbring socks."}
    assert event.spoken_languages == ["en", "ko"]
    assert "お茶会" in event.search_text


def test_a_title_in_the_default_language_is_required(organizer_client, event):
    data = read_form(organizer_client.get(admin_url("event_change", event.pk)), "event_form")
    data.update({"default_language": "ja", "title_ja": ""})

    response = organizer_client.post(admin_url("event_change", event.pk), data)

    assert response.status_code == 200
    assert "default language" in str(response.context["adminform"].form.errors["title"])
    event.refresh_from_db()
    assert event.default_language == "en"


def test_question_choices_must_be_values_with_translated_labels():
    field = QuestionChoicesField()

    assert field.clean('[{"value": "jp", "label": {"en": "Japan", "ja": " 日本 "}}]') == [
        {"value": "jp", "label": {"en": "Japan", "ja": "日本"}}
    ]
    for bad in (
        '{"jp": "Japan"}',
        '[{"value": "jp"}]',
        '[{"value": "", "label": {"en": "x"}}]',
        '[{"value": "a", "label": {"xx": "x"}}]',
    ):
        with pytest.raises(ValidationError):
            field.clean(bad)


# --- sessions ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "rule_fields",
    [
        {"preset": "weekly", "count": "8"},
        {"preset": "custom", "rule": "FREQ=WEEKLY;BYDAY=TU;COUNT=8"},
    ],
    ids=["weekly-preset", "custom-rrule"],
)
def test_generate_sessions_keeps_the_local_time_across_dst(organizer_client, event, rule_fields):
    url = admin_url("event_generate_sessions", event.pk)
    change_page = organizer_client.get(admin_url("event_change", event.pk))
    assert url in page_text(change_page)  # the object-tools button
    data = read_form(organizer_client.get(url), "generate-sessions-form")
    data.update({"first_date": "2027-03-09", "first_time": "19:00", "duration_minutes": "90", **rule_fields})

    response = organizer_client.post(url, data, follow=True)

    assert response.redirect_chain[-1][0] == admin_url("event_change", event.pk)
    assert "8 sessions created" in page_text(response)
    sessions = list(event.sessions.order_by("starts_at"))
    local_starts = [timezone.localtime(s.starts_at, BERLIN) for s in sessions]
    assert [start.date() for start in local_starts] == [dt.date(2027, 3, 9) + dt.timedelta(weeks=n) for n in range(8)]
    assert {(start.hour, start.minute) for start in local_starts} == {(19, 0)}
    # Berlin switches to summer time on 28 March 2027: same wall clock, one hour earlier in UTC.
    assert [s.starts_at.astimezone(dt.UTC).hour for s in sessions] == [18, 18, 18, 17, 17, 17, 17, 17]
    assert {s.ends_at - s.starts_at for s in sessions} == {dt.timedelta(minutes=90)}


def test_generate_sessions_reports_overlaps_then_schedules_anyway(organizer_client, org, event):
    clashing_event = EventFactory(
        organization=org,
        venue=event.venue,
        timezone="Europe/Berlin",
        title={"en": "Choir rehearsal"},
        with_session=False,
    )
    SessionFactory(event=clashing_event, starts_at=berlin(2027, 3, 16, 19, 30), ends_at=berlin(2027, 3, 16, 21))
    url = admin_url("event_generate_sessions", event.pk)
    data = read_form(organizer_client.get(url), "generate-sessions-form")
    assert 'type="checkbox" name="allow_overlap"' not in page_text(organizer_client.get(url))
    data.update({"preset": "weekly", "count": "8", "first_date": "2027-03-09", "first_time": "19:00"})
    data["duration_minutes"] = "90"

    response = organizer_client.post(url, data)

    assert response.status_code == 200
    assert "would overlap 1 session" in page_text(response)
    assert "Choir rehearsal" in page_text(response)
    assert "2027-03-16 19:30" in page_text(response)
    assert 'type="checkbox" name="allow_overlap"' in page_text(response)
    assert event.sessions.count() == 0

    data = read_form(response, "generate-sessions-form")
    data["allow_overlap"] = "on"
    response = organizer_client.post(url, data)

    assert response.status_code == 302
    assert event.sessions.count() == 8


def test_generate_sessions_shows_rule_errors_on_the_rule_field(organizer_client, event):
    url = admin_url("event_generate_sessions", event.pk)
    data = read_form(organizer_client.get(url), "generate-sessions-form")
    data.update({"preset": "custom", "rule": "FREQ=WEEKLY", "first_date": "2027-03-09", "first_time": "19:00"})

    response = organizer_client.post(url, data)

    assert response.status_code == 200
    assert "COUNT or UNTIL" in str(response.context["form"].errors["rule"])
    assert event.sessions.count() == 0


def test_moving_a_session_bumps_its_sequence_and_warns_about_overlaps(organizer_client, org, event):
    session = SessionFactory(event=event, starts_at=berlin(2027, 3, 9, 19), ends_at=berlin(2027, 3, 9, 21))
    other = EventFactory(organization=org, venue=event.venue, title={"en": "Choir rehearsal"}, with_session=False)
    SessionFactory(event=other, starts_at=berlin(2027, 3, 10, 19), ends_at=berlin(2027, 3, 10, 21))
    data = read_form(organizer_client.get(admin_url("event_change", event.pk)), "event_form")
    assert data["sessions-0-id"] == str(session.pk)
    new_start = berlin(2027, 3, 10, 20).astimezone(ADMIN_ZONE)  # the admin types its own zone
    new_end = berlin(2027, 3, 10, 22).astimezone(ADMIN_ZONE)
    data.update(
        {
            "sessions-0-starts_at_0": f"{new_start:%Y-%m-%d}",
            "sessions-0-starts_at_1": f"{new_start:%H:%M:%S}",
            "sessions-0-ends_at_0": f"{new_end:%Y-%m-%d}",
            "sessions-0-ends_at_1": f"{new_end:%H:%M:%S}",
        }
    )

    response = organizer_client.post(admin_url("event_change", event.pk), data, follow=True)

    assert response.redirect_chain, response.context["adminform"].form.errors
    session.refresh_from_db()
    assert session.starts_at == berlin(2027, 3, 10, 20)
    assert session.status == Session.Status.MOVED
    assert session.sequence == 1
    assert "overlaps this session in the same venue" in page_text(response)
    assert "Choir rehearsal" in page_text(response)


def test_calendar_lists_the_weeks_sessions_of_own_organizations_only(organizer_client, org, other_org, event):
    SessionFactory(event=event, starts_at=berlin(2026, 11, 24, 19), ends_at=berlin(2026, 11, 24, 21))
    SessionFactory(
        event=event,
        starts_at=berlin(2026, 11, 26, 19),
        ends_at=berlin(2026, 11, 26, 21),
        status=Session.Status.CANCELLED,
    )
    SessionFactory(event=event, starts_at=berlin(2026, 12, 1, 19), ends_at=berlin(2026, 12, 1, 21))  # next week
    theirs = EventFactory(organization=other_org, title={"en": "Their lantern walk"}, with_session=False)
    SessionFactory(event=theirs, starts_at=berlin(2026, 11, 25, 19), ends_at=berlin(2026, 11, 25, 21))

    response = organizer_client.get(admin_url("session_calendar"), {"week": "2026-W48"})

    assert response.status_code == 200
    text = page_text(response)
    assert "Their lantern walk" not in text
    tuesday, thursday = response.context["columns"][1], response.context["columns"][3]
    assert tuesday["date"] == dt.date(2026, 11, 24)
    assert [entry["title"] for entry in tuesday["entries"]] == ["Tea ceremony"]
    assert tuesday["entries"][0]["time"].startswith("19:00–21:00")  # Berlin time, not the admin's
    assert thursday["entries"][0]["cancelled"]
    assert "<del>Tea ceremony</del>" in text
    assert sum(len(column["entries"]) for column in response.context["columns"]) == 2
    assert "week=2026-W47" in text and "week=2026-W49" in text
    assert admin_url("event_change", event.pk) in text
    assert admin_url("session_calendar") in page_text(organizer_client.get(admin_url("session_changelist")))


# --- actions -----------------------------------------------------------------------------------


def test_publish_action_publishes_ready_events_and_reports_refusals(organizer_client, org, event):
    SessionFactory(event=event)
    empty = EventFactory(organization=org, title={"en": "No dates yet"}, with_session=False, status=Event.Status.DRAFT)

    response = organizer_client.post(
        admin_url("event_changelist"),
        {"action": "publish_events", "_selected_action": [event.pk, empty.pk]},
        follow=True,
    )

    event.refresh_from_db()
    empty.refresh_from_db()
    assert event.status == Event.Status.PUBLISHED and event.published_at is not None
    assert empty.status == Event.Status.DRAFT
    text = page_text(response)
    assert "1 event published." in text
    assert "Add at least one session before publishing." in text


def test_cancel_action_cancels_and_locks_the_event(organizer_client, event):
    organizer_client.post(admin_url("event_changelist"), {"action": "cancel_events", "_selected_action": [event.pk]})

    event.refresh_from_db()
    assert event.status == Event.Status.CANCELLED
    page = organizer_client.get(admin_url("event_change", event.pk))
    assert page.status_code == 200
    assert 'name="_save"' not in page_text(page)  # a cancelled event is read-only


def test_session_admin_change_bumps_sequence_on_a_new_venue(organizer_client, org, event):
    session = SessionFactory(event=event, starts_at=berlin(2027, 3, 9, 19), ends_at=berlin(2027, 3, 9, 21))
    hall = VenueFactory(organization=org, name={"en": "Big hall"})
    url = admin_url("session_change", session.pk)
    data = read_form(organizer_client.get(url), "session_form")
    data.update({"venue": str(hall.pk), "title_en": "Lesson 1"})

    assert organizer_client.post(url, data).status_code == 302

    session.refresh_from_db()
    assert (session.venue, session.status, session.sequence) == (hall, Session.Status.MOVED, 1)
    assert session.starts_at == berlin(2027, 3, 9, 19)  # unchanged by the round trip through the admin's zone
    assert session.title == {"en": "Lesson 1"}

    data = read_form(organizer_client.get(url), "session_form")
    data["title_en"] = "Lesson one"
    organizer_client.post(url, data)
    session.refresh_from_db()
    assert session.sequence == 1  # a new title is not a move


@pytest.mark.parametrize("url_name", ["event_changelist", "session_changelist", "session_calendar"])
def test_list_pages_query_count_does_not_grow_with_rows(organizer_client, org, url_name, django_assert_max_num_queries):
    def make_event():
        event = EventFactory(organization=org, timezone="Europe/Berlin", category=CategoryFactory(), with_session=False)
        SessionFactory(event=event, starts_at=berlin(2026, 11, 24, 19), ends_at=berlin(2026, 11, 24, 21))

    make_event()
    url = admin_url(url_name) + ("?week=2026-W48" if url_name == "session_calendar" else "")
    with CaptureQueriesContext(connection) as one_row:
        assert organizer_client.get(url).status_code == 200
    for _ in range(4):
        make_event()
    with django_assert_max_num_queries(len(one_row.captured_queries)):
        assert organizer_client.get(url).status_code == 200


def test_admin_save_keeps_seat_counters_and_promotes_on_bigger_capacity(db, rf):
    """The change form loaded stale counters; saving it must not write them back."""
    from types import SimpleNamespace

    from django.contrib import admin as django_admin

    from registrations import services as registration_services

    event = EventFactory(capacity=1)
    stale = Event.objects.get(pk=event.pk)  # what the admin form was built from
    registration_services.registration_create(
        event_id=event.pk, name="A", email="a@x.org", language="en", consents={"privacy": True}
    )
    waiting = registration_services.registration_create(
        event_id=event.pk, name="B", email="b@x.org", language="en", consents={"privacy": True}
    )
    stale.capacity = 2
    request = rf.post("/")
    request.user = UserFactory(is_superuser=True, is_staff=True)
    form = SimpleNamespace(changed_data=["capacity"], initial={"capacity": 1}, cleaned_data={"capacity": 2})
    django_admin.site._registry[Event].save_model(request, stale, form, change=True)
    event.refresh_from_db()
    waiting.refresh_from_db()
    assert waiting.status == "confirmed"  # the new seat went to the waiting list
    assert (event.capacity, event.seats_held, event.waitlist_count) == (2, 2, 0)


def test_admin_session_move_and_cancel_notify_registrants(db, rf):
    from types import SimpleNamespace

    from django.contrib import admin as django_admin

    from notifications.models import Notification
    from tests.factories import RegistrationFactory

    event = EventFactory()
    registration = RegistrationFactory(event=event)
    session = event.sessions.get()
    request = rf.post("/")
    request.user = UserFactory(is_superuser=True, is_staff=True)
    session_admin = django_admin.site._registry[Session]
    session.starts_at += dt.timedelta(hours=1)
    session.ends_at += dt.timedelta(hours=1)
    session_admin.save_model(request, session, SimpleNamespace(changed_data=["starts_at"]), change=True)
    assert Notification.objects.filter(registration=registration, kind="changed").count() == 1
    session.status = Session.Status.CANCELLED
    session_admin.save_model(request, session, SimpleNamespace(changed_data=["status"]), change=True)
    assert Notification.objects.filter(registration=registration, kind="cancelled").count() == 1
    session.refresh_from_db()
    assert session.sequence == 2
