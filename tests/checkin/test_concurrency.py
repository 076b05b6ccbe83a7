"""Exactly-once check-in under real concurrency: real threads, each with its own connection.

The scan path reads nothing before its INSERT that could decide a race; the partial unique
index does. ``test_the_index_is_what_decides`` removes the index for a moment to show that the
same threads then all get "ok": no read-then-write check hides behind it, so nothing but the
database makes the answer exactly-once.
"""

import datetime as dt
import uuid

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone
from rest_framework.authtoken.models import Token

from checkin.models import CheckIn
from organizations.models import Membership
from tests.checkin.conftest import code_of, open_session
from tests.factories import EventFactory, MembershipFactory, RegistrationFactory, UserFactory
from tests.registrations.test_concurrency import run_concurrently


@pytest.fixture
def door(db):
    event = EventFactory(with_session=False, capacity=200)
    session = open_session(event)
    volunteers = []
    for i in range(2):
        user = UserFactory(username=f"door{i}")
        MembershipFactory(user=user, organization=event.organization, role=Membership.Role.VOLUNTEER)
        volunteers.append(Token.objects.create(user=user).key)
    return event, session, volunteers


def scan_over_http(token: str, body: dict) -> dict:
    response = Client().post(
        "/api/v1/checkin/", body, content_type="application/json", HTTP_AUTHORIZATION=f"Token {token}"
    )
    assert response.status_code == 200, response.content
    return response.json()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_50_threads_scanning_one_ticket_get_one_ok(door):
    event, session, tokens = door
    code = code_of(RegistrationFactory(event=event))

    results = run_concurrently(
        lambda i: scan_over_http(tokens[i % 2], {"code": code, "session": session.pk, "nonce": str(uuid.uuid4())}),
        count=50,
        workers=50,
    )

    statuses = [r["status"] for r in results]
    assert statuses.count("ok") == 1, statuses
    assert statuses.count("already_checked_in") == 49
    winner = next(r for r in results if r["status"] == "ok")
    assert {r["first_checkin_id"] for r in results if r["status"] != "ok"} == {winner["checkin_id"]}
    assert CheckIn.objects.filter(is_duplicate=False).count() == 1
    assert CheckIn.objects.filter(is_duplicate=True).count() == 49


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_50_threads_scanning_50_tickets_get_50_ok(door):
    event, session, tokens = door
    codes = [code_of(RegistrationFactory(event=event)) for _ in range(50)]

    results = run_concurrently(
        lambda i: scan_over_http(tokens[i % 2], {"code": codes[i], "session": session.pk, "nonce": str(uuid.uuid4())}),
        count=50,
        workers=50,
    )

    assert [r["status"] for r in results] == ["ok"] * 50
    assert CheckIn.objects.filter(is_duplicate=False).values("ticket").distinct().count() == 50


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_one_nonce_retried_at_once_is_one_scan(door):
    event, session, tokens = door
    body = {"code": code_of(RegistrationFactory(event=event)), "session": session.pk, "nonce": str(uuid.uuid4())}

    results = run_concurrently(lambda i: scan_over_http(tokens[0], body), count=20, workers=20)

    assert CheckIn.objects.count() == 1
    assert all(r == results[0] for r in results)
    assert results[0]["status"] == "ok"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_doors_uploading_overlapping_batches_at_once(door):
    """Door A and door B both scanned the same 30 tickets offline, in opposite orders, and sync at
    the same moment (each twice: a phone retrying). One check-in per ticket, no deadlock."""
    event, session, tokens = door
    codes = [code_of(RegistrationFactory(event=event)) for _ in range(30)]
    start = timezone.now() - dt.timedelta(minutes=30)

    def batch(door_index: int) -> list[dict]:
        order = codes if door_index == 0 else codes[::-1]
        return [
            {
                "code": code,
                "session": session.pk,
                "nonce": str(uuid.uuid5(uuid.NAMESPACE_URL, f"door{door_index}-{n}")),
                "scanned_at": (start + dt.timedelta(seconds=n)).isoformat(),
            }
            for n, code in enumerate(order)
        ]

    def upload(i: int) -> list[dict]:
        response = Client().post(
            "/api/v1/checkin/batch/",
            {"scans": batch(i % 2)},
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Token {tokens[i % 2]}",
        )
        assert response.status_code == 200, response.content
        return response.json()["results"]

    uploads = run_concurrently(upload, count=4, workers=4)

    assert all(r["status"] in ("ok", "already_checked_in") for results in uploads for r in results)
    assert CheckIn.objects.filter(is_duplicate=False).count() == 30
    assert CheckIn.objects.filter(is_duplicate=True).count() == 30  # the other door's scan of each ticket
    assert uploads[0] == uploads[2] and uploads[1] == uploads[3]  # the retries replayed


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_index_is_what_decides(door):
    event, session, tokens = door
    code = code_of(RegistrationFactory(event=event))
    constraint = next(c for c in CheckIn._meta.constraints if c.name == "checkin_one_effective_in")
    with connection.schema_editor() as editor:
        editor.remove_constraint(CheckIn, constraint)
    try:
        results = run_concurrently(
            lambda i: scan_over_http(tokens[0], {"code": code, "session": session.pk, "nonce": str(uuid.uuid4())}),
            count=20,
            workers=20,
        )
    finally:
        CheckIn.objects.all().delete()
        with connection.schema_editor() as editor:
            editor.add_constraint(CheckIn, constraint)
    assert [r["status"] for r in results].count("ok") == 20


@pytest.mark.django_db(transaction=True)
def test_sqlite_answers_concurrent_scans_without_locking_errors(door):
    if connection.vendor != "sqlite":
        pytest.skip("the embedded default only")
    event, session, tokens = door
    code = code_of(RegistrationFactory(event=event))
    others = [code_of(RegistrationFactory(event=event)) for _ in range(10)]

    results = run_concurrently(
        lambda i: scan_over_http(
            tokens[i % 2],
            {"code": code if i < 15 else others[i - 15], "session": session.pk, "nonce": str(uuid.uuid4())},
        ),
        count=25,
        workers=15,
    )

    statuses = [r["status"] for r in results]
    assert statuses[:15].count("ok") == 1 and statuses[:15].count("already_checked_in") == 14
    assert statuses[15:] == ["ok"] * 10


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_a_scan_writes_in_one_statement_what_save_would(door):
    """The door's INSERT goes with its SET LOCAL as one simple query (one implicit transaction):
    the row is what the ORM would have saved, and nothing is left open on the connection."""
    from django.test.utils import CaptureQueriesContext
    from psycopg import pq

    event, session, tokens = door
    registration = RegistrationFactory(event=event)
    body = {"code": code_of(registration), "session": session.pk, "nonce": str(uuid.uuid4()), "device": "gate 2"}
    with CaptureQueriesContext(connection) as queries:
        answer = scan_over_http(tokens[0], body)
    writes = [q["sql"] for q in queries.captured_queries if "INSERT" in q["sql"]]
    assert len(writes) == 1 and writes[0].startswith("SET LOCAL synchronous_commit TO OFF; INSERT INTO")
    assert connection.connection.info.transaction_status == pq.TransactionStatus.IDLE

    row = CheckIn.objects.get(pk=answer["checkin_id"])
    ticket = registration.tickets.get()
    assert (row.ticket_id, row.registration_id, row.session_id) == (ticket.pk, registration.pk, session.pk)
    assert row.entry == 1
    assert (row.direction, row.status, row.is_duplicate, row.source) == ("in", "ok", False, "online")
    assert (row.device, str(row.nonce), row.scanned_by.username) == ("gate 2", body["nonce"], "door0")
    assert row.response == {**answer, "checkin_id": None}  # as save() stores it: the id comes after
    assert row.recorded_at is not None and row.reverted_at is None

    again = scan_over_http(tokens[1], {**body, "nonce": str(uuid.uuid4())})  # the index refuses the second "in"
    assert again["status"] == "already_checked_in" and again["first_checkin_id"] == row.pk
    assert connection.connection.info.transaction_status == pq.TransactionStatus.IDLE
    assert scan_over_http(tokens[0], body) == answer  # the first scan's retry: its stored answer
