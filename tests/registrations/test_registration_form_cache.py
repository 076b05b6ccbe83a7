"""The registration form of an event (event, last session end, questions, ticket types) is cached
for a rush; every change drops it, and what must be exact is read again under the lock."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from events.models import Event, Question
from events.selectors import registration_form_key
from registrations.models import Registration
from tests.factories import EventFactory, QuestionFactory, TicketTypeFactory
from tests.registrations.conftest import url

pytestmark = pytest.mark.django_db


def payload(n: int, **extra) -> dict:
    return {"name": f"Guest {n}", "email": f"g{n}@example.org", "consents": {"privacy": True}, **extra}


def event_tables_read(queries) -> list[str]:
    reads = [q["sql"] for q in queries if q["sql"].lstrip().upper().startswith("SELECT")]
    return [sql for sql in reads if any(t in sql for t in ('"events_event"', "events_question", "events_tickettype"))]


def test_a_rush_reads_the_event_once_then_only_locks_it(api_client):
    event = EventFactory(capacity=10)
    assert api_client.post(url(event), payload(1), format="json").status_code == 201
    with CaptureQueriesContext(connection) as queries:
        assert api_client.post(url(event), payload(2), format="json").status_code == 201
    [lock] = event_tables_read(queries.captured_queries)
    assert "FOR UPDATE" in lock or connection.vendor == "sqlite"  # SQLite has no row locks
    assert Registration.objects.filter(event=event, status="confirmed").count() == 2


def test_a_new_required_question_applies_to_the_next_registration(api_client):
    event = EventFactory(capacity=10)
    assert api_client.post(url(event), payload(1), format="json").status_code == 201
    QuestionFactory(event=event, key="diet", kind=Question.Kind.TEXT, required=True)
    response = api_client.post(url(event), payload(2), format="json")
    assert response.status_code == 400 and "diet" in str(response.json()["error"]["fields"])
    assert api_client.post(url(event), payload(3, answers={"diet": "none"}), format="json").status_code == 201


def test_a_new_price_and_a_closed_window_apply_at_once(api_client):
    event = EventFactory(capacity=10, allow_pay_at_door=True)
    ticket_type = TicketTypeFactory(event=event, price=0)
    assert api_client.post(url(event), payload(1), format="json").status_code == 201
    ticket_type.price = 30
    ticket_type.save()
    body = api_client.post(url(event), payload(2, pay_at_door=True), format="json").json()
    assert float(body["amount_due"]) == 30.0
    event.registration_closes_at = timezone.now() - dt.timedelta(minutes=1)
    event.save(update_fields=["registration_closes_at"])
    response = api_client.post(url(event), payload(3), format="json")
    assert response.status_code == 409 and response.json()["error"]["code"] == "registration_closed"


def test_a_new_ticket_type_and_a_cancelled_last_session_apply_at_once(api_client):
    event = EventFactory(capacity=10)
    assert api_client.post(url(event), payload(1), format="json").status_code == 201
    extra = TicketTypeFactory(event=event, name={"en": "Student"})
    assert api_client.post(url(event), payload(2, ticket_type=extra.pk), format="json").status_code == 201
    for session in event.sessions.all():
        session.status = "cancelled"
        session.save()
    response = api_client.post(url(event), payload(3), format="json")
    assert response.status_code == 409 and response.json()["error"]["code"] == "event_over"


def test_a_stale_copy_still_counts_seats_and_status_under_the_lock(api_client):
    """Another process's copy (here: writes that bypass the signals) cannot overbook or register
    for a cancelled event: capacity, counters and status are read again under the lock."""
    event = EventFactory(capacity=10)
    assert api_client.post(url(event), payload(1), format="json").status_code == 201
    Event.objects.filter(pk=event.pk).update(capacity=1)
    assert api_client.post(url(event), payload(2), format="json").json()["status"] == "waitlisted"
    Event.objects.filter(pk=event.pk).update(status=Event.Status.CANCELLED)
    response = api_client.post(url(event), payload(3), format="json")
    assert response.status_code == 409 and response.json()["error"]["code"] == "event_cancelled"
    assert Registration.objects.filter(event=event).count() == 2


def test_a_renamed_event_is_not_found_under_its_old_address(api_client):
    from django.core.cache import cache

    event = EventFactory(capacity=10)
    old_url = url(event)
    assert api_client.post(old_url, payload(1), format="json").status_code == 201
    Event.objects.filter(pk=event.pk).update(slug="renamed")  # a copy under the old slug stays behind
    assert cache.get(registration_form_key(event.slug)) is not None
    assert api_client.post(old_url, payload(2), format="json").status_code == 404
    event.refresh_from_db()
    assert api_client.post(url(event), payload(3), format="json").status_code == 201
    assert Registration.objects.filter(event=event).count() == 2
