import datetime as dt
import uuid

import pytest
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from organizations.models import Membership
from registrations.tickets import ticket_code
from tests.factories import EventFactory, MembershipFactory, RegistrationFactory, SessionFactory, UserFactory


def code_of(registration, position: int = 0) -> str:
    return ticket_code(ticket_id=registration.tickets.get(position=position).pk)


def open_session(event, *, starts_in: dt.timedelta = dt.timedelta(minutes=30), hours: int = 2):
    """A session whose check-in window (60 minutes before the start) is open now."""
    start = timezone.now().replace(microsecond=0) + starts_in
    return SessionFactory(event=event, starts_at=start, ends_at=start + dt.timedelta(hours=hours))


def token_client(user) -> APIClient:
    client = APIClient()
    token, _ = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def scan(client, code, session=None, **extra):
    body = {"code": code, "nonce": str(uuid.uuid4()), **extra}
    if session is not None:
        body["session"] = session.pk
    return client.post("/api/v1/checkin/", body, format="json")


@pytest.fixture
def event(organization):
    return EventFactory(organization=organization, with_session=False)


@pytest.fixture
def session(event):
    return open_session(event)


@pytest.fixture
def volunteer(organization):
    user = UserFactory(first_name="Ana", last_name="Li")
    MembershipFactory(user=user, organization=organization, role=Membership.Role.VOLUNTEER)
    return user


@pytest.fixture
def volunteer_client(volunteer):
    return token_client(volunteer)


@pytest.fixture
def registration(event):
    return RegistrationFactory(event=event, name="Mei Chen", email="mei@example.org")
