import datetime as dt
import zoneinfo
from decimal import Decimal
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from checkin.models import CheckIn
from checkin.selectors import open_sessions
from demo.management.commands.demo_data import Calendar, demo_events
from events.models import Event, Question, Session
from events.services import Slot, localize, parse_recurrence, session_overlaps
from notifications.models import Feedback
from organizations.models import Category, Membership, Organization, Venue
from registrations.models import Registration
from reports.selectors.courses import course_summary

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
    assert {event.slug for event in past} == {"chaoyang-language-exchange-cafe", "chaoyang-paper-cutting-course"}
    today = events.get(slug="chaoyang-newcomers-welcome-afternoon")
    upcoming = events.published().exclude(pk__in=[event.pk for event in past]).exclude(pk=today.pk)
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


@pytest.mark.django_db(transaction=True)  # the confirmations go out on commit, as in `make run`
def test_demo_output_is_short_and_ends_with_urls_and_logins(settings, mailoutbox):
    settings.SITE_URL = "http://127.0.0.1:9101"
    output = run_demo_data()

    lines = output.strip().splitlines()
    assert len(lines) < 40  # not the raw MIME of every demo email
    assert "Content-Type:" not in output and "MIME-Version" not in output
    assert "emails to demo residents (not sent" in output
    assert mailoutbox == []  # counted, not sent (nor printed)
    urls = [line.split()[-1] for line in lines[lines.index("Open:") + 1 :]]
    assert "http://127.0.0.1:9101/scan/" in urls and "http://127.0.0.1:9101/organizer/reports/" in urls
    assert all(url.startswith("http://127.0.0.1:9101/") for url in urls)
    assert "volunteer" in output and "huiguan-demo" in output


@pytest.mark.django_db
def test_demo_has_a_session_open_for_checkin_now_with_people_in_and_to_come(client):

    run_demo_data()
    today = Event.objects.get(slug="chaoyang-newcomers-welcome-afternoon")
    [session] = open_sessions(event=today, at=timezone.now())
    registrations = Registration.objects.filter(event=today, status="confirmed")
    assert registrations.count() >= 12
    assert registrations.filter(party_size=3).exists()  # a party
    inside = CheckIn.objects.filter(session=session, direction="in", reverted_at__isnull=True, is_duplicate=False)
    assert 3 <= inside.values("registration").distinct().count() < registrations.count()
    owing = [registration for registration in registrations if registration.owes_at_door]
    assert owing and not any(r.pk in set(inside.values_list("registration_id", flat=True)) for r in owing)

    # The scanner lists it for the volunteer.
    assert client.login(username="volunteer", password="huiguan-demo")
    sessions = client.get(reverse("checkin:sessions")).json()
    assert session.pk in [row["id"] for row in sessions]


@pytest.mark.django_db
def test_demo_history_fills_the_reports_and_certificates():

    run_demo_data()
    cafe = Event.objects.get(slug="chaoyang-language-exchange-cafe")
    assert cafe.registrations.count() >= 10
    assert CheckIn.objects.filter(registration__event=cafe).count() >= 8
    assert Feedback.objects.filter(registration__event=cafe).count() >= 5

    course = Event.objects.get(slug="chaoyang-paper-cutting-course")
    assert course.kind == "course" and course.sessions.filter(ends_at__lt=timezone.now()).count() == 6
    summary = course_summary(event=course, sessions=list(course.sessions.all()), now=timezone.now())
    assert 0 < summary["completed"] < summary["participants"]  # certificates, and people short of one
    assert Feedback.objects.filter(registration__event=course).exists()


@pytest.mark.django_db
def test_every_demo_event_has_a_generated_cover_image():

    run_demo_data()
    for event in Event.objects.filter(organization__slug="chaoyang-international"):
        assert event.image, event.slug
        with Image.open(event.image.path) as image:
            assert image.size == (1200, 630) and image.format == "JPEG"
        assert all(event.title.get(code) and event.summary.get(code) for code in LANGUAGES)


@pytest.mark.django_db
def test_dumpling_evening_has_standard_and_student_types_and_the_demo10_code():
    run_demo_data()

    event = Event.objects.get(slug="chaoyang-dumpling-making-evening")
    types = {t.name["en"]: t for t in event.ticket_types.all()}
    assert set(types) == {"Standard", "Student"}
    assert types["Standard"].price == 120 and types["Student"].price == 80
    assert all(types["Student"].door_note.get(code) for code in LANGUAGES)
    code = event.promo_codes.get(code="DEMO10")
    assert (code.discount, code.value) == ("percent", 10)
    # The residents the demo registers came with both types, and some with the code.
    registrations = event.registrations.all()
    assert {line.ticket_type_id for r in registrations for line in r.lines.all()} == {t.pk for t in types.values()}
    with_code = registrations.filter(promo_code=code).first()
    assert with_code is not None
    assert with_code.amount_due == sum(line.unit_price for line in with_code.lines.all()) * Decimal("0.9")
