"""Capacity under real concurrency: real threads, each with its own database connection.

On PostgreSQL the event row lock serialises seat counting; on SQLite (the embedded default) the
IMMEDIATE transactions and busy timeout make writers queue instead of failing.
"""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection, connections
from django.test import Client

from privacy import services as privacy_services
from registrations import services
from registrations.models import Registration
from tests.factories import EventFactory, RegistrationFactory

S = Registration.Status


def run_concurrently(fn, count: int, workers: int):
    """Run fn(i) for i in range(count) from `workers` threads released together by a barrier."""
    barrier = threading.Barrier(min(count, workers))

    def call(i):
        try:
            if i < workers:
                barrier.wait(timeout=30)
            return fn(i)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(call, range(count)))


def register_over_http(event, count: int, workers: int):
    def post(i):
        response = Client().post(
            f"/api/v1/events/{event.slug}/registrations/",
            {"name": f"Person {i}", "email": f"p{i}@example.org", "language": "en", "consents": {"privacy": True}},
            content_type="application/json",
        )
        return response.status_code, response.json().get("status")

    return run_concurrently(post, count, workers)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_100_concurrent_registrations_for_10_seats():
    event = EventFactory(capacity=10)
    # PostgreSQL here allows 100 connections: 80 threads keep the pool under that while all
    # 100 requests still overlap.
    results = register_over_http(event, count=100, workers=80)
    codes = [code for code, _ in results]
    assert codes.count(201) == 100, sorted(set(codes))
    statuses = [status for _, status in results]
    assert statuses.count("confirmed") == 10
    assert statuses.count("waitlisted") == 90
    assert Registration.objects.filter(event=event, status=S.CONFIRMED).count() == 10
    # Arrival order is a strict order: positions 1..90 with no gaps or ties.
    order = list(Registration.objects.filter(event=event).waitlisted_in_order().values_list("pk", flat=True))
    assert len(order) == len(set(order)) == 90


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_cancellations_promote_each_waitlisted_person_once():
    event = EventFactory(capacity=10)
    confirmed = [RegistrationFactory(event=event, status=S.CONFIRMED) for _ in range(10)]
    waiting = [
        services.registration_create(
            event_id=event.pk, name=f"W{i}", email=f"w{i}@example.org", language="en", consents={"privacy": True}
        )
        for i in range(15)
    ]
    assert {w.status for w in waiting} == {S.WAITLISTED}

    run_concurrently(lambda i: services.registration_cancel(registration_id=confirmed[i % 10].pk), 20, 20)

    promoted = Registration.objects.filter(pk__in=[w.pk for w in waiting], status=S.CONFIRMED)
    assert promoted.count() == 10
    assert set(promoted.values_list("pk", flat=True)) == {w.pk for w in waiting[:10]}  # in arrival order
    assert services.seats_taken(event=event) == 10
    assert Registration.objects.filter(event=event, status=S.WAITLISTED).count() == 5


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_same_email_at_once_gets_one_registration():
    event = EventFactory(capacity=50)

    def post(_i):
        return (
            Client()
            .post(
                f"/api/v1/events/{event.slug}/registrations/",
                {"name": "Twice", "email": "same@example.org", "language": "en", "consents": {"privacy": True}},
                content_type="application/json",
            )
            .status_code
        )

    codes = run_concurrently(post, 20, 20)
    assert sorted(codes) == [201] + [409] * 19
    assert Registration.objects.filter(event=event).count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_same_idempotency_key_at_once_creates_one_registration():
    event = EventFactory(capacity=50)

    def post(_i):
        response = Client().post(
            f"/api/v1/events/{event.slug}/registrations/",
            {"name": "Phone", "email": "phone@example.org", "language": "en", "consents": {"privacy": True}},
            content_type="application/json",
            HTTP_IDEMPOTENCY_KEY="double-tap",
        )
        return response.status_code, response.json().get("id")

    results = run_concurrently(post, 10, 10)
    assert {code for code, _ in results} == {201}
    assert len({pk for _, pk in results}) == 1
    assert Registration.objects.filter(event=event).count() == 1


@pytest.mark.django_db(transaction=True)
def test_sqlite_queues_concurrent_writers_instead_of_failing():
    if connection.vendor != "sqlite":
        pytest.skip("the embedded default only")
    event = EventFactory(capacity=5)
    results = register_over_http(event, count=30, workers=15)
    assert [code for code, _ in results].count(201) == 30  # no "database is locked"
    assert [status for _, status in results].count("confirmed") == 5


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_erasures_and_retention_runs_erase_once_and_promote_once():
    """Erasing (cancel + anonymise) races with itself and with the retention task: each seat is
    freed once, each waiting person promoted once, the counters still match the rows."""
    from notifications.models import Notification

    event = EventFactory(capacity=5)
    confirmed = [RegistrationFactory(event=event, status=S.CONFIRMED) for _ in range(5)]
    waiting = [
        services.registration_create(
            event_id=event.pk, name=f"W{i}", email=f"w{i}@example.org", language="en", consents={"privacy": True}
        )
        for i in range(8)
    ]

    def work(i):
        if i % 4 == 3:
            return privacy_services.registrations_anonymise_due(days=30)  # nothing due: must not interfere
        return privacy_services.registration_erase(registration_id=confirmed[i % 5].pk).anonymised_at

    run_concurrently(work, 20, 20)

    erased = Registration.objects.filter(pk__in=[r.pk for r in confirmed])
    assert set(erased.values_list("status", flat=True)) == {S.CANCELLED}
    assert not erased.filter(anonymised_at__isnull=True).exists()
    assert set(erased.values_list("name", flat=True)) == {""}
    promoted = Registration.objects.filter(pk__in=[w.pk for w in waiting], status=S.CONFIRMED)
    assert set(promoted.values_list("pk", flat=True)) == {w.pk for w in waiting[:5]}
    assert Notification.objects.filter(registration__in=promoted, kind="promoted").count() == 5
    counted = services.seats_taken(event=event)
    event = services.event_recount(event_id=event.pk)
    assert counted == event.seats_held == 5 and event.waitlist_count == 3
