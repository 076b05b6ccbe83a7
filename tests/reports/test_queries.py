"""Report queries are aggregated in the database: the same number of queries for 10 or 100 people."""

from decimal import Decimal

import pytest
from django.test import Client

from notifications.models import Feedback
from organizations.models import Membership
from registrations.models import Payment
from tests.factories import RegistrationFactory
from tests.reports.conftest import check_in

pytestmark = pytest.mark.django_db

# Each count includes the event (or organization) lookup; the pages add the session and user rows.
# The course pages also read the attendance matrix. The API's numbers include one query for the
# role check (organizations.permissions.IsOrganizer); a first API request also looks its token up
# and reads the scanning roles cached with it (organizations.auth), a later one finds both cached.
EVENT_REPORT_QUERIES = 17
COURSE_REPORT_QUERIES = 16
ATTENDANCE_QUERIES = 5
ATTENDANCE_CSV_QUERIES = 5  # + the audit log entry (exports read personal data)
ORGANIZATION_QUERIES = 9
EVENT_PAGE_QUERIES = 16
COURSE_PAGE_QUERIES = 17


def grow(event, sessions, count: int) -> None:
    """``count`` more confirmed parties of two, each checked in at every session, with feedback and cash."""
    for n in range(count):
        registration = RegistrationFactory(
            event=event,
            email=f"extra{n}@example.org",
            party_size=2,
            language=("en", "ja", "zh-hans")[n % 3],
            answers={"nationality": ("jp", "de", "cn")[n % 3], "photos": n % 2 == 0},
        )
        for session in sessions:
            check_in(registration, session, session.starts_at)
            check_in(registration, session, session.starts_at, position=1)
        Feedback.objects.create(registration=registration, rating=1 + n % 5, comment=f"c{n}", language="en")
        Payment.objects.create(
            registration=registration, provider="door", status="paid", amount=Decimal("10"), currency="CNY"
        )


def consume(response):
    assert response.status_code == 200
    if response.streaming:
        b"".join(response.streaming_content)


@pytest.mark.parametrize("extra", [0, 40])
def test_event_report(tea, owner_client, django_assert_num_queries, extra):
    grow(tea.event, [tea.session], extra)
    with django_assert_num_queries(EVENT_REPORT_QUERIES):
        consume(owner_client.get("/api/v1/reports/events/tea-evening/"))
    client = Client()
    client.force_login(owner_of(tea))
    with django_assert_num_queries(EVENT_PAGE_QUERIES):
        consume(client.get("/organizer/reports/events/tea-evening/"))


def owner_of(fixture):
    return Membership.objects.filter(organization=fixture.event.organization, role="owner").get().user


@pytest.mark.parametrize("extra", [0, 40])
def test_course_report_attendance_and_csv(course, owner_client, django_assert_num_queries, extra):
    grow(course.event, course.sessions[:4], extra)
    base = "/api/v1/reports/events/chinese-beginners/"
    with django_assert_num_queries(COURSE_REPORT_QUERIES):
        consume(owner_client.get(base))
    with django_assert_num_queries(ATTENDANCE_QUERIES):
        consume(owner_client.get(base + "attendance/?page_size=100"))
    with django_assert_num_queries(ATTENDANCE_CSV_QUERIES):
        consume(owner_client.get(base + "attendance.csv"))
    client = Client()
    client.force_login(owner_of(course))
    with django_assert_num_queries(COURSE_PAGE_QUERIES):
        consume(client.get("/organizer/reports/events/chinese-beginners/"))


@pytest.mark.parametrize("extra", [0, 40])
def test_organization_report(year, owner_client, django_assert_num_queries, extra):
    grow(year.feb, list(year.feb.sessions.all()), extra)
    with django_assert_num_queries(ORGANIZATION_QUERIES):
        consume(owner_client.get("/api/v1/reports/organizations/neighbours/?from=2026-01-01&to=2026-03-31"))
