"""Rate limits: registration per address and per email, check-in per volunteer; 429 + Retry-After."""

import uuid

import pytest

from organizations.models import Membership
from tests.factories import EventFactory, MembershipFactory, RegistrationFactory


@pytest.fixture
def limits(settings):
    def set_rates(**rates):
        settings.THROTTLE_RATES = {**dict.fromkeys(settings.THROTTLE_RATES), **rates}

    return set_rates


def register(client, event, email, **headers):
    return client.post(
        f"/api/v1/events/{event.slug}/registrations/",
        {"name": "Someone", "email": email, "language": "en", "consents": {"privacy": True}},
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


def test_a_forged_x_forwarded_for_does_not_dodge_the_limit_per_address(api_client, client, limits, db):
    """With no proxy in front (NUM_PROXIES=0, the default), X-Forwarded-For is only the client's say-so."""
    limits(register_ip="2/min", login_ip="2/hour")
    event = EventFactory(capacity=50)
    codes = [
        register(api_client, event, f"x{i}@example.org", HTTP_X_FORWARDED_FOR=f"10.9.9.{i}").status_code
        for i in range(3)
    ]
    assert codes == [201, 201, 429]
    logins = [
        client.post("/scan/login/", {"username": f"u{i}", "password": "x"}, HTTP_X_FORWARDED_FOR=f"10.8.8.{i}")
        for i in range(3)
    ]
    assert [response.status_code for response in logins] == [200, 200, 429]


def test_behind_a_proxy_the_address_it_saw_counts(api_client, limits, settings, db):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    limits(register_ip="1/min")
    event = EventFactory(capacity=50)
    # The proxy appends the address it saw; whatever comes before it is the client's own say-so.
    assert register(api_client, event, "a@example.org", HTTP_X_FORWARDED_FOR="1.1.1.1, 203.0.113.5").status_code == 201
    assert register(api_client, event, "b@example.org", HTTP_X_FORWARDED_FOR="2.2.2.2, 203.0.113.5").status_code == 429
    assert register(api_client, event, "c@example.org", HTTP_X_FORWARDED_FOR="203.0.113.6").status_code == 201


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
    assert json.loads(out.stdout) == {
        "register_ip": "30/min",
        "register_email": "10/hour",
        "checkin": "1200/min",
        "login_ip": "30/hour",
        "login_username": "10/hour",
        "login_device": "10/hour",
        "voice_ip": "10/hour",
        "voice_email": "5/hour",
    }


# --- the HTML forms: registration page, admin login, scanner login ------------------------------


def page_register(client, event, email, **extra):
    data = {"name": "Li Na", "email": email, "privacy": "on"}
    return client.post(f"/events/{event.slug}/register/", data, **extra)


def test_the_registration_page_shares_the_apis_limit_per_address(client, api_client, limits, db):
    from registrations.models import Registration

    limits(register_ip="3/min")
    event = EventFactory(capacity=50)
    assert register(api_client, event, "api@example.org").status_code == 201
    codes = [page_register(client, event, f"page{i}@example.org").status_code for i in range(3)]
    assert codes == [302, 302, 429]  # the API's attempt counted against the same address
    assert Registration.objects.filter(event=event).count() == 3
    assert register(api_client, event, "late@example.org").status_code == 429
    refused = page_register(client, event, "zh@example.org", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
    assert "尝试次数过多" in refused.content.decode()
    assert Registration.objects.filter(event=event).count() == 3
    # Another address still gets through.
    assert page_register(client, event, "other@example.org", REMOTE_ADDR="10.1.2.3").status_code == 302


def test_the_registration_page_limits_attempts_per_email(client, limits, db):
    limits(register_email="2/hour")
    event = EventFactory(capacity=50)
    assert page_register(client, event, "target@example.org", REMOTE_ADDR="10.0.0.1").status_code == 302
    assert page_register(client, event, "Target@example.org", REMOTE_ADDR="10.0.0.2").status_code == 200  # already
    response = page_register(client, event, "target@example.org", REMOTE_ADDR="10.0.0.3")
    assert response.status_code == 429 and "Too many attempts" in response.content.decode()


@pytest.fixture
def staff(db):
    from tests.factories import UserFactory

    return UserFactory(username="mia", is_staff=True)


@pytest.mark.parametrize("url", ["/admin/login/", "/scan/login/"])
def test_failed_logins_per_username_whatever_the_address(client, limits, staff, url):
    limits(login_username="3/hour")
    bad = {"username": "MIA", "password": "wrong"}
    codes = [client.post(url, bad, REMOTE_ADDR=f"10.0.0.{i}").status_code for i in range(3)]
    assert codes == [200, 200, 200]
    refused = client.post(url, {"username": "mia", "password": "pw-for-tests-1"}, REMOTE_ADDR="10.0.0.9")
    assert refused.status_code == 429  # even the right password: guessing must not learn it
    assert 3000 < int(refused["Retry-After"]) <= 3600
    assert "_auth_user_id" not in client.session
    assert "Too many attempts. Please try again in 60 minutes." in refused.content.decode()
    # Another username from the same addresses is not held up.
    assert client.post(url, {"username": "someone", "password": "x"}, REMOTE_ADDR="10.0.0.1").status_code == 200


@pytest.mark.parametrize("url", ["/admin/login/", "/scan/login/"])
def test_failed_logins_per_address(client, limits, staff, url):
    limits(login_ip="2/min")
    for name in ("a", "b"):
        assert client.post(url, {"username": name, "password": "x"}).status_code == 200
    refused = client.post(url, {"username": "mia", "password": "pw-for-tests-1"}, HTTP_ACCEPT_LANGUAGE="ja")
    assert refused.status_code == 429 and 0 < int(refused["Retry-After"]) <= 60
    assert "試行回数が多すぎます" in refused.content.decode()
    assert (
        client.post(url, {"username": "mia", "password": "pw-for-tests-1"}, REMOTE_ADDR="10.7.7.7").status_code == 302
    )


def test_a_successful_login_clears_the_usernames_failures(client, limits, staff):
    limits(login_username="2/hour")
    assert client.post("/scan/login/", {"username": "mia", "password": "wrong"}).status_code == 200
    assert client.post("/scan/login/", {"username": "mia", "password": "pw-for-tests-1"}).status_code == 302
    client.logout()
    assert client.post("/scan/login/", {"username": "mia", "password": "wrong"}).status_code == 200
    assert client.post("/scan/login/", {"username": "mia", "password": "pw-for-tests-1"}).status_code == 302


def test_logins_are_not_limited_when_the_rates_are_off(client, staff):
    for _ in range(20):
        assert client.post("/admin/login/", {"username": "mia", "password": "wrong"}).status_code == 200


# --- device cookies: a known username cannot be locked out of its owner's own phone ----------------


def sign_out(client) -> None:
    """Log out as a browser does: the session goes, other cookies stay (Client.logout drops them all)."""
    from common.throttling import DEVICE_COOKIE

    device = client.cookies.get(DEVICE_COOKIE)
    client.logout()
    if device is not None:
        client.cookies[DEVICE_COOKIE] = device.value


def test_a_browser_that_logged_in_before_is_not_locked_out_by_someone_elses_guesses(client, limits, staff):
    from django.test import Client

    limits(login_username="3/hour", login_ip="3/hour")
    right = {"username": "mia", "password": "pw-for-tests-1"}
    assert client.post("/scan/login/", right).status_code == 302  # Mia's phone, last week
    sign_out(client)

    attacker = Client()
    for i in range(3):
        assert attacker.post("/scan/login/", {"username": "mia", "password": f"guess{i}"}).status_code == 200
    assert attacker.post("/scan/login/", right).status_code == 429
    assert Client().post("/admin/login/", right, REMOTE_ADDR="10.9.9.9").status_code == 429  # any new browser

    # Mia's phone (same address as the attacker: the venue's Wi-Fi) still gets in.
    assert client.post("/scan/login/", right).status_code == 302
    assert client.session["_auth_user_id"] == str(staff.pk)


def test_failures_from_a_trusted_browser_have_their_own_limit(client, limits, staff):
    limits(login_device="2/hour")
    right = {"username": "mia", "password": "pw-for-tests-1"}
    assert client.post("/admin/login/", right).status_code == 302
    sign_out(client)
    for _ in range(2):
        assert client.post("/admin/login/", {"username": "mia", "password": "wrong"}).status_code == 200
    refused = client.post("/admin/login/", right)
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 3000


def test_the_device_cookie_is_bound_to_the_username_and_signed(client, limits, staff):
    from django.test import Client

    from common.throttling import DEVICE_COOKIE
    from tests.factories import UserFactory

    UserFactory(username="ken", is_staff=True)
    limits(login_username="1/hour")
    response = client.post("/scan/login/", {"username": "ken", "password": "pw-for-tests-1"})
    cookie = response.cookies[DEVICE_COOKIE]
    assert cookie["httponly"] and cookie["samesite"] == "Lax" and int(cookie["max-age"]) > 30 * 24 * 3600
    assert "ken" not in cookie.value  # a digest of the username, not the username
    sign_out(client)

    # It vouches for Ken once the world is locked out of his username...
    assert Client().post("/scan/login/", {"username": "ken", "password": "guess"}).status_code == 200
    assert Client().post("/scan/login/", {"username": "ken", "password": "pw-for-tests-1"}).status_code == 429
    assert client.post("/scan/login/", {"username": "ken", "password": "pw-for-tests-1"}).status_code == 302
    sign_out(client)
    # ...but not for Mia...
    assert Client().post("/scan/login/", {"username": "mia", "password": "wrong"}).status_code == 200
    assert client.post("/scan/login/", {"username": "mia", "password": "pw-for-tests-1"}).status_code == 429
    # ...and an edited cookie vouches for no one.
    for forged in (cookie.value[:-2] + "xx", "e30:1tQ:bogus", ""):
        other = Client()
        other.cookies[DEVICE_COOKIE] = forged
        assert other.post("/scan/login/", {"username": "mia", "password": "pw-for-tests-1"}).status_code == 429


def test_the_device_cookie_is_secure_when_session_cookies_are(client, settings, staff):
    from common.throttling import DEVICE_COOKIE

    settings.SESSION_COOKIE_SECURE = True
    response = client.post("/admin/login/", {"username": "mia", "password": "pw-for-tests-1"}, secure=True)
    assert response.status_code == 302 and response.cookies[DEVICE_COOKIE]["secure"]


# --- how the limits are counted: a sliding window, every limit of a request in one call ----------


def at(monkeypatch, seconds: float) -> None:
    """Freeze the throttles' clock at ``seconds`` after the epoch (windows are aligned to it)."""
    monkeypatch.setattr("common.throttling.time.time", lambda: seconds)


def test_a_window_boundary_does_not_open_the_whole_limit_again(api_client, limits, monkeypatch, db):
    """A fixed window would let 4 more through one second after 4 at the end of the last minute;
    the sliding estimate still weighs the previous minute's 4 (4 × 59/60 + 0 < 4: one more only)."""
    limits(register_ip="4/min")
    event = EventFactory(capacity=50)
    minute = 60 * 29_000_000
    at(monkeypatch, minute + 50)
    assert [register(api_client, event, f"w{i}@example.org").status_code for i in range(5)] == [201] * 4 + [429]
    at(monkeypatch, minute + 61)
    assert [register(api_client, event, f"n{i}@example.org").status_code for i in range(2)] == [201, 429]
    refused = register(api_client, event, "later@example.org")
    # Until the estimate is under 4 again: 4 × (1 − f) + 1 ≤ 3, f ≥ 1/2, i.e. 29 s from now.
    assert int(refused["Retry-After"]) == 29
    at(monkeypatch, minute + 60 + 31)
    assert register(api_client, event, "after@example.org").status_code == 201


def test_a_refused_attempt_counts_against_no_limit(api_client, limits, monkeypatch, db):
    limits(register_ip="2/min", register_email="3/hour")
    event = EventFactory(capacity=50)
    at(monkeypatch, 3600 * 480_000 + 5)
    assert [register(api_client, event, f"r{i}@example.org").status_code for i in range(2)] == [201, 201]
    # Refused by the address's limit: the email's count does not move.
    assert [register(api_client, event, "same@example.org").status_code for _ in range(5)] == [429] * 5
    register(api_client, event, "same@example.org", REMOTE_ADDR="10.1.1.1")
    register(api_client, event, "same@example.org", REMOTE_ADDR="10.1.1.2")
    register(api_client, event, "same@example.org", REMOTE_ADDR="10.1.1.3")
    assert register(api_client, event, "same@example.org", REMOTE_ADDR="10.1.1.4").status_code == 429


def test_on_redis_every_limit_of_a_request_is_one_call(api_client, limits, settings, monkeypatch, db):
    """Registration has two limits (address, email); each request asks Redis once for both, and the
    counts are in Redis, where every process sees them."""
    import redis

    from tests.helpers import use_live_redis_cache

    prefix = use_live_redis_cache(settings)
    limits(register_ip="3/min", register_email="10/hour")
    event = EventFactory(capacity=50)
    sent: list[tuple] = []
    execute = redis.Redis.execute_command

    def counted(self, *args, **options):
        sent.append(args)
        return execute(self, *args, **options)

    monkeypatch.setattr(redis.Redis, "execute_command", counted)
    register(api_client, event, "first@example.org")  # loads the script (EVALSHA, then EVAL once)
    sent.clear()
    codes = [register(api_client, event, f"e{i}@example.org").status_code for i in range(3)]
    assert codes == [201, 201, 429]
    throttle_calls = [args for args in sent if any("throttle_" in str(arg) for arg in args)]
    assert [args[0] for args in throttle_calls] == ["EVALSHA"] * 3
    assert all(len([a for a in args if "throttle_" in str(a)]) == 4 for args in throttle_calls)  # 2 limits × 2 windows
    server = redis.Redis(db=int(settings.CACHES["default"]["LOCATION"].rsplit("/", 1)[1]))
    keys = server.keys(f"{prefix}:*throttle_register_ip*")
    assert len(keys) == 1 and int(server.get(keys[0])) == 3


def test_a_scan_on_redis_is_one_call_for_its_limit_token_and_session(limits, settings, monkeypatch, db):
    """The door's hot path: the per-token limit, the token's cache entry (user and roles) and the
    session's, in one EVALSHA once the entries are cached; the limit still comes after the login."""
    import redis
    from django.utils import timezone
    from rest_framework.test import APIClient

    from registrations.tickets import ticket_code
    from tests.checkin.conftest import token_client
    from tests.factories import SessionFactory
    from tests.helpers import use_live_redis_cache

    use_live_redis_cache(settings)
    limits(checkin="3/min")
    event = EventFactory(with_session=False)
    session = SessionFactory(event=event, starts_at=timezone.now())
    volunteer = MembershipFactory(organization=event.organization, role=Membership.Role.VOLUNTEER).user
    door = token_client(volunteer)

    def scan(client):
        ticket = RegistrationFactory(event=event).tickets.get()
        body = {"code": ticket_code(ticket_id=ticket.pk), "session": session.pk, "nonce": str(uuid.uuid4())}
        return client.post("/api/v1/checkin/", body, format="json")

    assert scan(door).status_code == 200  # fills the token and session entries, loads the script
    sent: list[tuple] = []
    execute = redis.Redis.execute_command
    monkeypatch.setattr(redis.Redis, "execute_command", lambda self, *a, **k: sent.append(a) or execute(self, *a, **k))
    assert [scan(door).status_code for _ in range(3)] == [200, 200, 429]
    assert [args[0] for args in sent] == ["EVALSHA"] * 3
    assert all(
        any("auth-token" in str(arg) for arg in args) and any("checkin-session" in str(arg) for arg in args)
        for args in sent
    )
    stranger = APIClient()
    stranger.credentials(HTTP_AUTHORIZATION="Token " + "0" * 40)
    assert [scan(stranger).status_code for _ in range(4)] == [401] * 4  # counted, but refused as a stranger first
