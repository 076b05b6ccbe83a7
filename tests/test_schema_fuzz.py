"""Schemathesis against our own OpenAPI schema, in process (WSGI, no network).

Every operation of ``/api/schema/`` gets a bounded, derandomized set of generated requests
(examples, boundary/coverage cases and fuzzed ones, valid and invalid), sent with the
credentials its path needs: a manager's token for organizer and report endpoints, a volunteer's
token at the door, a real registration's manage token for the attendee's endpoints, nothing for
the public ones. Path parameters are often the real ids and slugs of a small world built first,
so the requests reach the code behind the 404s; so do the rows named in bodies (organization,
venue, events, session). One pytest test per operation, each with a fresh world in its own
rolled-back transaction, so a PUT that renames the event does not starve the next operation.

Checks: no response is a 5xx, every status code is documented, every body and content type
matches the schema. CI runs this on SQLite and PostgreSQL; FUZZ_MAX_EXAMPLES scales it.
"""

from __future__ import annotations

import datetime as dt
import os
from collections import Counter, defaultdict

import pytest
import schemathesis
from django.test.client import ClientHandler
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from rest_framework.authtoken.models import Token

from events.models import Question
from organizations.models import Membership
from tests.factories import (
    CheckInFactory,
    EventFactory,
    MembershipFactory,
    OrganizationFactory,
    QuestionFactory,
    RegistrationFactory,
    SessionFactory,
    UserFactory,
    VenueFactory,
)

STATUSES: dict[str, Counter] = defaultdict(Counter)
MAX_EXAMPLES = int(os.environ.get("FUZZ_MAX_EXAMPLES", "20"))
SEED = int(os.environ.get("FUZZ_SEED", "7"))


class World:
    """The rows the fuzzer's requests point at, and who may call what."""

    def __init__(self):
        self.organization = OrganizationFactory(slug="fuzz-org")
        manager, volunteer = UserFactory(username="fuzz-manager"), UserFactory(username="fuzz-volunteer")
        MembershipFactory(user=manager, organization=self.organization, role=Membership.Role.MANAGER)
        MembershipFactory(user=volunteer, organization=self.organization, role=Membership.Role.VOLUNTEER)
        self.manager_token = Token.objects.create(user=manager).key
        self.volunteer_token = Token.objects.create(user=volunteer).key

        self.venue = VenueFactory(organization=self.organization)
        self.event = EventFactory(
            organization=self.organization, venue=self.venue, slug="fuzz-event", capacity=500, max_guests=3
        )
        QuestionFactory(event=self.event, key="diet", kind=Question.Kind.TEXT)
        QuestionFactory(
            event=self.event,
            key="level",
            kind=Question.Kind.CHOICE,
            choices=[{"value": "new", "label": {"en": "New"}}, {"value": "fluent", "label": {"en": "Fluent"}}],
        )
        # A course that is running now, so check-in windows are open and reports have data.
        now = timezone.now().replace(microsecond=0)
        self.course = EventFactory(
            organization=self.organization,
            venue=self.venue,
            slug="fuzz-course",
            kind="course",
            capacity=500,
            with_session=False,
        )
        self.session = SessionFactory(event=self.course, starts_at=now - dt.timedelta(minutes=30))
        SessionFactory(event=self.course, starts_at=now + dt.timedelta(days=7))
        self.registration = RegistrationFactory(event=self.course, name="Fuzz Attendee")
        ticket = self.registration.tickets.get(position=0)
        self.checkin = CheckInFactory(ticket=ticket, session=self.session)
        self.token = self.registration.manage_token
        from registrations.models import CalendarFeed

        self.feed_token = CalendarFeed.objects.create(email=self.registration.email).token
        from tests.helpers import notice_in  # board: a draft and a published notice

        self.notice = notice_in(self.organization, status="draft")
        notice_in(self.organization)

    def path_values(self, path: str) -> dict:
        """Real values for the path parameters of ``path``."""
        ids = {
            "/api/v1/checkin/{id}/revert/": self.checkin.pk,
            "/api/v1/organizer/venues/{id}/": self.venue.pk,
        }
        if path.startswith("/api/v1/organizer/notices/{id}"):  # board
            identifier = self.notice.pk
        elif "/sessions/{id}" in path:
            identifier = self.session.pk
        elif "/registrations/{id}" in path:
            identifier = self.registration.pk
        else:
            identifier = ids.get(path, self.registration.pk)
        slug = self.organization.slug if "/organizations/" in path else self.course.slug
        return {
            "id": identifier,
            "slug": slug,
            "registration_id": self.registration.pk,
            "token": self.feed_token,
        }

    def headers_for(self, path: str) -> dict:
        if path.startswith(("/api/v1/organizer/", "/api/v1/reports/")):
            return {"Authorization": f"Token {self.manager_token}"}
        if path.startswith("/api/v1/checkin/"):
            return {"Authorization": f"Token {self.volunteer_token}"}
        if path.startswith("/api/v1/registrations/"):
            return {"X-Manage-Token": self.token}
        return {}


CURRENT: dict[str, World] = {}


@pytest.fixture
def world(db, settings):
    settings.ALLOWED_HOSTS = ["localhost"]
    settings.STRIPE_WEBHOOK_SECRET = "whsec_fuzz"  # configured: a bad signature is a 400, not a 503
    CURRENT["world"] = World()
    yield CURRENT["world"]
    CURRENT.clear()


class WsgiApp:
    """WSGI in front of Django's test handler, which keeps the test's database connection (and its
    transaction) open across requests where the stock WSGIHandler would close it."""

    def __init__(self):
        self.handler = ClientHandler(enforce_csrf_checks=True)

    def __call__(self, environ, start_response):
        response = self.handler(environ)
        cookies = [("Set-Cookie", cookie.output(header="").strip()) for cookie in response.cookies.values()]
        start_response(f"{response.status_code} {response.reason_phrase}", [*response.items(), *cookies])
        return response


def _load_schema():
    """The schema as /api/schema/ serves it, fetched once at collection. (Not through
    schemathesis.pytest.from_fixture: its lazy mode needs pytest internals that pytest 9.2 dropped.)"""
    from django.test.utils import override_settings

    config = schemathesis.Config.from_dict(
        {
            "seed": SEED,
            "generation": {"deterministic": True, "max-examples": MAX_EXAMPLES},
            "phases": {"stateful": {"enabled": False}},
            # Not checked: that every schema-valid request is accepted (a slug that exists, a title in
            # the event's default language: business rules no schema can say), and that every
            # schema-invalid one is refused (unknown query parameters are ignored, as HTTP APIs do).
            "checks": {"positive_data_acceptance": {"enabled": False}, "negative_data_rejection": {"enabled": False}},
        }
    )
    with override_settings(ALLOWED_HOSTS=["localhost"]):
        return schemathesis.openapi.from_wsgi("/api/schema/?format=json", WsgiApp(), config=config)


schema = _load_schema()


def real_path_parameters(world, path: str, path_parameters: dict) -> dict:
    real = world.path_values(path)
    return {**path_parameters, **{name: real[name] for name in path_parameters if name in real}}


# Body fields that name other rows, and the world's real ones.
BODY_REFERENCES = {
    "organization": lambda world: world.organization.slug,
    "venue": lambda world: world.venue.pk,
    "events": lambda world: [world.course.slug],
    "session": lambda world: world.session.pk,
}


def real_body(world, body: dict) -> dict:
    return {**body, **{name: BODY_REFERENCES[name](world) for name in body if name in BODY_REFERENCES}}


@schema.hook
def flatmap_path_parameters(context, path_parameters):
    """Half of the generated cases point at the world's real rows (looked up when drawn: ids differ per test)."""
    if not path_parameters:
        return st.just(path_parameters)
    path = context.operation.path

    def fill(use_real):
        if not use_real or "world" not in CURRENT:
            return path_parameters
        return real_path_parameters(CURRENT["world"], path, path_parameters)

    return st.booleans().map(fill)


@schema.hook
def flatmap_body(context, body):
    if not isinstance(body, dict) or not set(body) & set(BODY_REFERENCES):
        return st.just(body)

    def fill(use_real):
        if not use_real or "world" not in CURRENT:
            return body
        return real_body(CURRENT["world"], body)

    return st.booleans().map(fill)


# Cases of schemathesis' coverage phase (boundary values, missing fields) do not go through the
# hooks above, so most of them stopped at a 404 for a made-up id before reaching the code behind
# it (e.g. 516 of 542 calls of PUT /organizer/events/{slug}/). Every other case of each operation
# is pointed at the real rows here as well.
CASES_SEEN: Counter = Counter()


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_api_conforms_to_its_schema(case, world):
    CASES_SEEN[case.operation.label] += 1
    if CASES_SEEN[case.operation.label] % 2 == 0:
        if case.path_parameters:
            case.path_parameters = real_path_parameters(world, case.operation.path, case.path_parameters)
        if isinstance(case.body, dict):
            case.body = real_body(world, case.body)
    response = case.call_and_validate(headers=world.headers_for(case.operation.path))
    STATUSES[case.operation.label][response.status_code] += 1


def teardown_module(module):
    if os.environ.get("FUZZ_REPORT"):
        for label, counts in sorted(STATUSES.items()):
            print(f"{label:70} {dict(sorted(counts.items()))}")


def test_every_error_answer_is_documented_in_the_error_shape():
    """The schema the fuzzer reads: each 4xx/5xx of each operation points at the Error component."""
    raw = schema.raw_schema
    error = {"$ref": "#/components/schemas/Error"}
    assert set(raw["components"]["schemas"]["Error"]["properties"]) == {"error"}
    for path, item in raw["paths"].items():
        for method, operation in item.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            responses = operation["responses"]
            for code, response in responses.items():
                if code >= "400":
                    assert response["content"]["application/json"]["schema"] == error, (method, path, code)
            if "{" in path:
                assert "404" in responses, (method, path)
            if "requestBody" in operation:
                assert {"400", "413", "415"} <= set(responses), (method, path)
            if operation.get("security") and {} not in operation["security"]:
                assert {"401", "403"} <= set(responses), (method, path)
