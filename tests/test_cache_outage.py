"""Redis (the cache) down: registrations and door scans still work; nothing answers 500.

Found by ``bench/fault.py``: with Django's own Redis cache backend, every check-in (cached API
token) and every registration (rate-limit counters) answered 500 for as long as Redis was down.
The cache here points at a port nothing listens on, which is what a stopped Redis looks like.
"""

from __future__ import annotations

import socket
import uuid

import pytest
from django.core.cache import cache
from redis.exceptions import ConnectionError as RedisConnectionError
from rest_framework.authtoken.models import Token

from checkin.models import CheckIn
from organizations.models import Membership
from registrations.models import Registration
from tests.checkin.conftest import open_session, token_client
from tests.factories import EventFactory, MembershipFactory, RegistrationFactory, UserFactory
from tests.helpers import use_live_redis_cache
from tests.notifications.conftest import free_port as closed_port  # a free port: nothing listens there


@pytest.fixture(autouse=True)
def _cache_not_marked_down():
    """The backend leaves Redis alone for a moment after a failure (per process): start each test afresh."""
    from common.cache import ResilientRedisCache
    from common.throttling import _fallback

    ResilientRedisCache._down_until = 0.0
    _fallback.clear()
    yield
    ResilientRedisCache._down_until = 0.0
    _fallback.clear()


def redis_cache(backend: str, port: int) -> dict:
    return {
        "default": {
            "BACKEND": backend,
            "LOCATION": f"redis://127.0.0.1:{port}/0",
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }


@pytest.fixture
def cache_down(settings):
    settings.CACHES = redis_cache("common.cache.ResilientRedisCache", closed_port())
    settings.THROTTLE_RATES = {"register_ip": "100/min", "register_email": "10/hour", "checkin": "100/min"}


def test_django_redis_cache_fails_requests_when_redis_is_down(settings):
    """What happened before: the stock backend raises, and the request dies with it."""
    settings.CACHES = redis_cache("django.core.cache.backends.redis.RedisCache", closed_port())
    with pytest.raises(RedisConnectionError):
        cache.get("auth-token:x")


def test_resilient_cache_misses_and_drops_writes(cache_down):
    cache.set("k", 1)
    assert cache.get("k") is None
    assert cache.get("k", "fallback") == "fallback"
    assert cache.add("k", 1) is False
    assert cache.get_many(["k", "l"]) == {}
    assert cache.set_many({"k": 1, "l": 2}) == ["k", "l"]
    assert cache.delete("k") is False
    assert cache.has_key("k") is False
    cache.delete_many(["k", "l"])


def test_registration_with_rate_limits_on(cache_down, api_client, db):
    event = EventFactory(capacity=10)
    response = api_client.post(
        f"/api/v1/events/{event.slug}/registrations/",
        {"name": "Mei", "email": "mei@example.org", "language": "zh-hans", "consents": {"privacy": True}},
        format="json",
    )
    assert response.status_code == 201, response.content
    assert Registration.objects.get(pk=response.json()["id"]).status == Registration.Status.CONFIRMED


def test_door_scan_with_a_token(cache_down, db):
    event = EventFactory(with_session=False)
    session = open_session(event)
    volunteer = UserFactory()
    MembershipFactory(user=volunteer, organization=event.organization, role=Membership.Role.VOLUNTEER)
    client = token_client(volunteer)
    ticket = RegistrationFactory(event=event).tickets.get()
    from registrations.tickets import ticket_code

    nonce = str(uuid.uuid4())
    body = {"code": ticket_code(ticket_id=ticket.pk), "session": session.pk, "nonce": nonce}
    first = client.post("/api/v1/checkin/", body, format="json")
    assert first.status_code == 200, first.content
    assert first.json()["status"] == "ok"
    replay = client.post("/api/v1/checkin/", body, format="json")
    assert replay.status_code == 200
    assert replay["Idempotent-Replayed"] == "true"
    assert CheckIn.objects.filter(ticket=ticket).count() == 1


def test_revoking_a_token_still_works(cache_down, db):
    """The cache-dropping signals must not turn an admin action into an error."""
    user = UserFactory()
    token = Token.objects.create(user=user)
    user.first_name = "Renamed"
    user.save()
    token.delete()
    client = token_client(user)  # a new token works, the old one is gone
    assert not Token.objects.filter(key=token.key).exists()
    assert client.get("/api/v1/checkin/sessions/").status_code in (200, 403)


@pytest.fixture
def live_redis_cache(settings):
    """The resilient backend on a live Redis (the shared one, this run's own database); skip without one."""
    use_live_redis_cache(settings)


def test_resilient_cache_caches_when_redis_is_up(live_redis_cache):
    """The same backend on a live Redis (the shared one, this run's own database) is an ordinary cache."""
    cache.set("k", {"a": 1}, 30)
    assert cache.get("k") == {"a": 1}
    assert cache.delete("k") is True
    assert cache.get("k") is None


def test_a_redis_cache_url_gets_the_resilient_backend(tmp_path):
    """What a deployment gets from ``CACHE_URL=redis://…`` (docker/compose.yaml uses rediscache://)."""
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path

    code = "import django, json; django.setup(); from django.conf import settings; print(json.dumps(settings.CACHES))"
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "DJANGO_SETTINGS_MODULE": "backend.settings",
        "DEBUG": "1",
        "HUIGUAN_VAR_DIR": str(tmp_path),
        "CACHE_URL": "rediscache://redis:6379/1",
    }
    root = Path(__file__).resolve().parent.parent
    out = subprocess.run([sys.executable, "-c", code], cwd=root, env=env, capture_output=True, text=True, check=True)
    default = json.loads(out.stdout)["default"]
    assert default["BACKEND"] == "common.cache.ResilientRedisCache"
    assert default["LOCATION"] == "redis://redis:6379/1"
    assert default["OPTIONS"] == {"socket_connect_timeout": 0.5, "socket_timeout": 1.0}


def test_a_redis_that_does_not_answer_costs_one_timeout_not_one_per_call(settings):
    """A listening socket that never answers (a hung or cut-off Redis): the first cache call waits
    for the socket timeout, the calls after it skip Redis for a moment instead of each waiting."""
    import time

    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)  # the kernel completes connections; nothing ever reads or writes
        port = silent.getsockname()[1]
        caches = redis_cache("common.cache.ResilientRedisCache", port)
        caches["default"]["OPTIONS"] = {"socket_timeout": 0.3, "socket_connect_timeout": 0.3, "down_for": 5}
        settings.CACHES = caches
        start = time.monotonic()
        assert cache.get("auth-token:x") is None
        first = time.monotonic() - start
        start = time.monotonic()
        for _ in range(20):
            assert cache.get("auth-token:x") is None
            cache.set("auth-token:x", 1)
        rest = time.monotonic() - start
    assert first >= 0.3
    assert rest < 0.1


# --- rate limits while Redis is away: per process, not off ------------------------------------------


def register(client, event, email: str, **extra):
    body = {"name": "Mei", "email": email, "language": "en", "consents": {"privacy": True}}
    return client.post(f"/api/v1/events/{event.slug}/registrations/", body, format="json", **extra)


@pytest.mark.parametrize(("down_for", "pause"), [(5.0, 0), (0.05, 0.1)])
def test_rate_limits_hold_per_process_while_redis_is_down(cache_down, settings, api_client, db, down_for, pause):
    """With ``down_for`` 0.05 s every request probes Redis again and finds it gone: the count kept
    meanwhile in the per-process cache must survive those probes."""
    import time

    settings.CACHES["default"]["OPTIONS"]["down_for"] = down_for
    settings.THROTTLE_RATES = {**settings.THROTTLE_RATES, "register_ip": "3/min"}
    event = EventFactory(capacity=10)
    codes = []
    for i in range(4):
        codes.append(register(api_client, event, f"p{i}@example.org").status_code)
        time.sleep(pause)
    assert codes == [201, 201, 201, 429]
    assert register(api_client, event, "other@example.org", REMOTE_ADDR="10.3.3.3").status_code == 201
    assert Registration.objects.filter(event=event).count() == 4


def test_failed_logins_are_limited_while_redis_is_down(cache_down, settings, client, db):
    settings.THROTTLE_RATES = {**settings.THROTTLE_RATES, "login_username": "2/hour"}
    UserFactory(username="mia", is_staff=True)
    for _ in range(2):
        assert client.post("/scan/login/", {"username": "mia", "password": "wrong"}).status_code == 200
    assert client.post("/scan/login/", {"username": "mia", "password": "pw-for-tests-1"}).status_code == 429


def test_counts_go_back_to_redis_when_it_answers_again(live_redis_cache):
    """The fallback is only for the outage: with Redis up, counters are shared again."""
    from common.throttling import counter_store

    counter_store.set("throttle_x", [1.0], 30)
    assert cache.get("throttle_x") == [1.0]  # in Redis, where every process sees it
    counter_store.delete("throttle_x")
