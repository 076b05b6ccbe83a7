import datetime as dt
import zoneinfo
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from demo.management.commands.demo_data import Calendar, demo_events
from events.models import Event, Question, Session
from events.services import Slot, localize, parse_recurrence, session_overlaps
from organizations.models import Category, Membership, Organization, Venue

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
LANGUAGES = ("en", "zh-hans", "ja")


def run_demo_data(**options) -> str:
    out = StringIO()
    call_command("demo_data", stdout=out, **options)
    return out.getvalue()


def row_counts() -> dict[str, int]:
    models = (get_user_model(), Organization, Membership, Venue, Category, Event, Session, Question)
    return {model.__name__: model.objects.count() for model in models}


@pytest.mark.django_db
def test_demo_data_loads_a_multilingual_organization_with_events():
    output = run_demo_data()

    organization = Organization.objects.get(slug="chaoyang-international")
    assert organization.timezone == "Asia/Shanghai"
    assert all(organization.name.get(code) for code in LANGUAGES)
    assert Venue.objects.filter(organization=organization).count() == 2
    for venue in Venue.objects.filter(organization=organization):
        assert all(venue.name.get(code) and venue.accessibility_notes.get(code) for code in LANGUAGES)
        assert 39 < venue.latitude < 41 and 116 < venue.longitude < 117  # Beijing
    assert set(Category.objects.values_list("slug", flat=True)) >= {
        "culture",
        "course",
        "language",
        "festival",
        "public-service",
    }

    events = Event.objects.filter(organization=organization)
    assert events.count() >= 7
    assert events.published().count() >= 6
    assert events.filter(status=Event.Status.DRAFT).count() == 1
    for event in events:
        for field in ("title", "summary", "description"):
            assert all(getattr(event, field).get(code) for code in LANGUAGES), (event.slug, field)
        assert event.sessions.exists()
    assert events.published().filter(price__gt=0).exists()
    assert events.get(slug="chaoyang-tea-ceremony-workshop").price == 80
    assert events.get(slug="chaoyang-mid-autumn-lantern-evening").capacity == 120
    assert "organizer" in output and "huiguan-demo" in output


@pytest.mark.django_db
def test_calligraphy_course_has_eight_tuesday_evenings_in_shanghai_time():
    run_demo_data()

    course = Event.objects.get(recurrence_rule="FREQ=WEEKLY;BYDAY=TU;COUNT=8")
    assert course.kind == Event.Kind.COURSE
    starts = [session.starts_at.astimezone(SHANGHAI) for session in course.sessions.all()]
    ends = [session.ends_at.astimezone(SHANGHAI) for session in course.sessions.all()]
    assert len(starts) == 8
    assert all(start.weekday() == 1 and start.time() == dt.time(19, 0) for start in starts)
    assert all(end.time() == dt.time(21, 0) for end in ends)
    assert all(later - earlier == dt.timedelta(weeks=1) for earlier, later in zip(starts, starts[1:], strict=False))
    assert course.registration_closes_at == course.sessions.first().starts_at


@pytest.mark.django_db
def test_demo_schedule_is_current_and_has_no_room_clashes():
    run_demo_data()
    now = timezone.now()
    events = Event.objects.filter(organization__slug="chaoyang-international")

    past = [event for event in events.published() if event.sessions.filter(ends_at__gte=now).count() == 0]
    assert len(past) == 1
    upcoming = events.published().exclude(pk=past[0].pk)
    for event in upcoming:
        first = event.sessions.first().starts_at
        assert now < first < now + dt.timedelta(weeks=6)
        assert event.registration_opens_at <= now < event.registration_closes_at == first

    sessions = Session.objects.filter(event__in=events).select_related("event")
    for session in sessions:
        slot = Slot(session.starts_at, session.ends_at, session.effective_venue_id)
        assert session_overlaps(slots=[slot], exclude_ids=[session.pk]) == []


@pytest.mark.parametrize("days_ahead", range(7))
def test_demo_schedule_never_overlaps_whatever_the_weekday(days_ahead):
    """The command runs on any day: check the room plan for each weekday without the database."""
    today = dt.date(2025, 3, 3) + dt.timedelta(days=days_ahead)
    slots = []
    for spec in demo_events(Calendar(today)):
        starts = parse_recurrence(rule=spec.rule, first_start=spec.first_start) if spec.rule else [spec.first_start]
        for start in starts:
            slots.append(
                (spec.venue, localize(start, "Asia/Shanghai"), localize(start + spec.duration, "Asia/Shanghai"))
            )
    for index, (venue, start, end) in enumerate(slots):
        for other_venue, other_start, other_end in slots[index + 1 :]:
            assert venue is None or venue != other_venue or end <= other_start or other_end <= start


@pytest.mark.django_db
def test_registration_questions():
    run_demo_data()

    nationality = Question.objects.filter(key="nationality").first()
    assert nationality.kind == Question.Kind.CHOICE and nationality.required and not nationality.show_at_checkin
    assert all(choice["label"].get(code) for choice in nationality.choices for code in LANGUAGES)

    wheelchair = Question.objects.filter(key="wheelchair_seat").first()
    assert wheelchair.kind == Question.Kind.CHECKBOX and wheelchair.show_at_checkin

    dietary = Question.objects.get(event__slug="chaoyang-dumpling-making-evening", key="dietary_needs")
    assert dietary.kind == Question.Kind.TEXT
    assert dietary.event.price == 120


@pytest.mark.django_db
def test_running_twice_creates_nothing_new():
    run_demo_data()
    before = row_counts()

    output = run_demo_data()

    assert row_counts() == before
    assert "already exists" in output


@pytest.mark.django_db
def test_demo_accounts_and_admin_login(client):
    run_demo_data()
    organization = Organization.objects.get(slug="chaoyang-international")
    roles = dict(Membership.objects.filter(organization=organization).values_list("user__username", "role"))
    assert roles == {"organizer": "owner", "manager": "manager", "volunteer": "volunteer"}

    assert client.login(username="organizer", password="huiguan-demo")
    assert client.get(reverse("admin:index")).status_code == 200

    client.logout()
    assert client.login(username="volunteer", password="huiguan-demo")
    assert client.get(reverse("admin:index")).status_code == 302  # not staff: back to the login page


@pytest.mark.django_db
def test_password_option_applies_to_new_accounts_only(client):
    run_demo_data(password="first-secret")
    run_demo_data(password="second-secret")

    assert client.login(username="manager", password="first-secret")
    assert not client.login(username="manager", password="second-secret")


@pytest.mark.django_db
def test_demo_has_registrations_and_a_waiting_list():
    from registrations.models import Registration
    from registrations.services import event_recount

    call_command("demo_data", stdout=StringIO())
    tea = Event.objects.get(slug__contains="tea")
    statuses = set(Registration.objects.filter(event=tea).values_list("status", flat=True))
    assert {"confirmed", "waitlisted"} <= statuses  # the small paid workshop is full
    assert Registration.objects.filter(event__status="published").count() > 30
    for event in Event.objects.all():
        counters = (event.seats_held, event.waitlist_count)
        assert counters == (lambda e: (e.seats_held, e.waitlist_count))(event_recount(event_id=event.pk))
