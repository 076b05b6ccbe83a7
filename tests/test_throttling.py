"""Rate limits: registration per address and per email, check-in per volunteer; 429 + Retry-After."""

import uuid

import pytest

from events.models import Membership
from tests.factories import EventFactory, MembershipFactory, RegistrationFactory


@pytest.fixture
def limits(settings):
    def set_rates(**rates):
        settings.THROTTLE_RATES = {**dict.fromkeys(settings.THROTTLE_RATES), **rates}

    return set_rates


def register(client, event, email, **headers):
    return client.post(
        f"/api/v1/events/{event.slug}/registrations/",
        {"name": "Someone", "email": email, "language": "en"},
        format="json",
        **headers,
    )


def test_registrations_per_address(api_client, limits, db):
    limits(register_ip="3/min")
    event = EventFactory(capacity=50)
    codes = [register(api_client, event, f"p{i}@example.org").status_code for i in range(4)]
    assert codes == [201, 201, 201, 429]
    refused = register(api_client, event, "p9@example.org")
    assert refused.json()["error"]["code"] == "throttled"
    assert int(refused["Retry-After"]) > 0
    # Another address is not affected.
    assert register(api_client, event, "other@example.org", REMOTE_ADDR="10.9.8.7").status_code == 201


def test_attempts_per_email_whatever_the_address(api_client, limits, db):
    limits(register_email="2/hour")
    event = EventFactory(capacity=50)
    assert register(api_client, event, "Target@example.org", REMOTE_ADDR="10.0.0.1").status_code == 201
    assert register(api_client, event, "target@example.org", REMOTE_ADDR="10.0.0.2").status_code == 409
    assert register(api_client, event, "target@example.org ", REMOTE_ADDR="10.0.0.3").status_code == 429


def test_checkin_per_volunteer(api_client, limits, db):
    from django.utils import timezone

    from registrations.tickets import ticket_code
    from tests.factories import SessionFactory

    limits(checkin="2/min")
    event = EventFactory(with_session=False)
    session = SessionFactory(event=event, starts_at=timezone.now())
    volunteer = MembershipFactory(organization=event.organization, role=Membership.Role.VOLUNTEER).user
    api_client.force_authenticate(volunteer)
    codes = []
    for _ in range(3):
        ticket = RegistrationFactory(event=event).tickets.get()
        body = {"code": ticket_code(ticket_id=ticket.pk), "session": session.pk, "nonce": str(uuid.uuid4())}
        codes.append(api_client.post("/api/v1/checkin/", body, format="json").status_code)
    assert codes == [200, 200, 429]


def test_limits_are_on_by_default_outside_tests(tmp_path):
    """Only the test settings switch the limits off; a deployment gets them without configuring."""
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path

    code = (
        "import django, json; django.setup(); "
        "from django.conf import settings; print(json.dumps(settings.THROTTLE_RATES))"
    )
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "DJANGO_SETTINGS_MODULE": "backend.settings",
        "DEBUG": "1",
        "HUIGUAN_VAR_DIR": str(tmp_path),
    }
    root = Path(__file__).resolve().parent.parent
    out = subprocess.run([sys.executable, "-c", code], cwd=root, env=env, capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == {"register_ip": "30/min", "register_email": "10/hour", "checkin": "1200/min"}
