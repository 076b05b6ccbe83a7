"""Reports are for owners and managers of the event's organization; everyone else is refused."""

import pytest
from django.test import Client
from rest_framework.test import APIClient

from organizations.models import Membership
from tests.factories import MembershipFactory, OrganizationFactory, UserFactory
from tests.reports.conftest import token_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def urls(tea, course):
    return [
        "/api/v1/reports/events/tea-evening/",
        "/api/v1/reports/events/tea-evening/attendance/",
        "/api/v1/reports/events/tea-evening/sessions.csv",
        "/api/v1/reports/events/tea-evening/attendance.csv",
        f"/api/v1/reports/events/chinese-beginners/certificates/{course.p1.pk}.pdf",
        "/api/v1/reports/organizations/neighbours/",
        "/api/v1/reports/organizations/neighbours/months.csv",
    ]


def test_anonymous_is_refused(urls):
    for url in urls:
        assert APIClient().get(url).status_code == 401, url


def test_organizer_of_another_organization_gets_404(urls):
    stranger = UserFactory()
    MembershipFactory(user=stranger, organization=OrganizationFactory(), role=Membership.Role.OWNER)
    client = token_client(stranger)
    for url in urls:
        assert client.get(url).status_code == 404, url


def test_volunteer_of_the_same_organization_is_refused(org, urls):
    # Volunteers organize nothing: 403 before any slug is looked up, so nothing can be probed.
    volunteer = UserFactory()
    MembershipFactory(user=volunteer, organization=org, role=Membership.Role.VOLUNTEER)
    client = token_client(volunteer)
    for url in urls:
        assert client.get(url).status_code == 403, url


def test_manager_with_a_token_and_owner_with_a_session_may_read(org, owner, urls):
    manager = UserFactory()
    MembershipFactory(user=manager, organization=org, role=Membership.Role.MANAGER)
    session_client = Client()
    session_client.force_login(owner)
    for client in (token_client(manager), session_client):
        for url in urls:
            assert client.get(url).status_code == 200, url


def test_superuser_may_read_everything(urls):
    admin = UserFactory(is_superuser=True, is_staff=True)
    client = token_client(admin)
    for url in urls:
        assert client.get(url).status_code == 200, url


def test_unknown_tables_are_404(tea, owner_client):
    assert owner_client.get("/api/v1/reports/events/tea-evening/secrets.csv").status_code == 404
    assert owner_client.get("/api/v1/reports/organizations/neighbours/secrets.csv").status_code == 404


def test_report_pages_need_login_and_are_scoped(tea, owner):
    page = "/organizer/reports/events/tea-evening/"
    response = Client().get(page)
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")
    stranger = UserFactory()
    MembershipFactory(user=stranger, organization=OrganizationFactory(), role=Membership.Role.MANAGER)
    client = Client()
    client.force_login(stranger)
    assert client.get(page).status_code == 404
    assert client.get("/organizer/reports/organizations/neighbours/").status_code == 404
    client.force_login(owner)
    assert client.get(page).status_code == 200
