"""The database unreachable: 503 with Retry-After in the API's error shape and a translated page, never a 500.

For real: the test's own connection is pointed at a closed port (PostgreSQL) or at a file in a
directory that does not exist (SQLite), so the next query's connect fails as it would in an outage.
"""

from __future__ import annotations

import socket
from contextlib import contextmanager

import pytest
from django.db import DatabaseError, OperationalError, connection, connections
from django.test import Client
from rest_framework.test import APIClient

from common.outage import database_unavailable
from tests.factories import EventFactory

pytestmark = pytest.mark.django_db(transaction=True)


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # nothing listens once the socket is closed


@contextmanager
def database_unreachable():
    conn = connections["default"]
    saved = dict(conn.settings_dict)
    conn.close()
    if conn.vendor == "sqlite":
        conn.settings_dict["NAME"] = "/nonexistent-huiguan-dir/down.sqlite3"
    else:
        conn.settings_dict.update(HOST="127.0.0.1", PORT=str(closed_port()))
    try:
        yield
    finally:
        conn.close()
        conn.settings_dict.clear()
        conn.settings_dict.update(saved)


@pytest.fixture
def event(db):
    return EventFactory(slug="open-day")


@pytest.mark.parametrize("language", ["en", "zh-hans", "ja"])
def test_api_answers_503_with_retry_after_in_the_error_shape(event, language, settings):
    settings.DATABASE_OUTAGE_RETRY_AFTER = 7
    client = APIClient(raise_request_exception=False)
    with database_unreachable():
        listing = client.get("/api/v1/events/", HTTP_ACCEPT_LANGUAGE=language)
        posted = client.post(
            f"/api/v1/events/{event.slug}/registrations/",
            {"name": "Li", "email": "li@example.org", "consents": {"privacy": True}},
            format="json",
            HTTP_IDEMPOTENCY_KEY="k-1",
            HTTP_ACCEPT_LANGUAGE=language,
        )
    for response in (listing, posted):
        assert response.status_code == 503
        assert response["Retry-After"] == "7"
        assert response["Content-Type"] == "application/json"
        error = response.json()["error"]
        assert error["code"] == "service_unavailable"
    messages = {
        "en": "briefly unavailable",
        "zh-hans": "暂时无法使用",
        "ja": "一時的にご利用いただけません",
    }
    assert messages[language] in listing.json()["error"]["message"]
    # Back up: the same request goes through, and nothing was half-written.
    assert client.get("/api/v1/events/").status_code == 200
    from registrations.models import Registration

    assert not Registration.objects.exists()


@pytest.mark.parametrize(
    ("language", "heading"),
    [("en", "We'll be back shortly"), ("zh-hans", "我们马上回来"), ("ja", "まもなく再開します")],
)
def test_pages_answer_a_translated_back_shortly_page(event, language, heading):
    client = Client(raise_request_exception=False)
    client.cookies["django_language"] = language
    with database_unreachable():
        for path in ("/", f"/events/{event.slug}/"):
            response = client.get(path)
            assert response.status_code == 503, path
            assert response["Retry-After"] == "10"
            assert response["Cache-Control"] == "no-store"
            page = response.content.decode()
            assert heading in page.replace("&#x27;", "'"), page[:500]
            assert f'lang="{language}"' in page


def test_admin_login_too(event):
    client = Client(raise_request_exception=False)
    with database_unreachable():
        response = client.post("/admin/login/", {"username": "x", "password": "y"})
    assert response.status_code == 503


def test_a_query_bug_is_still_a_500(event):
    """An OperationalError on a working connection (here: a missing table) is a bug, not an outage."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT * FROM no_such_table_anywhere")
    except DatabaseError as exc:
        caught = exc
    assert isinstance(caught, DatabaseError)
    if connection.vendor == "postgresql":
        # psycopg reports it as a ProgrammingError (SQLSTATE 42P01): not an OperationalError at all
        assert not isinstance(caught, OperationalError)
    assert database_unavailable(caught) is False


def test_the_connect_failure_itself_is_recognised():
    with database_unreachable():
        with pytest.raises(OperationalError) as raised:
            connection.ensure_connection()
        assert database_unavailable(raised.value) is True
