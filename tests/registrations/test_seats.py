"""The seat ledger's guard: its "caller holds the event lock" functions refuse to run outside a
transaction (where no lock can be held), so a caller that forgot ``transaction.atomic`` fails here."""

import pytest
from django.db import transaction

from registrations.models import Registration
from registrations.services import seats
from tests.factories import EventFactory


@pytest.mark.django_db(transaction=True)
def test_ledger_changes_outside_a_transaction_are_refused():
    event = EventFactory(capacity=5)
    registration = Registration(event=event, name="A", email="a@example.org", language="en", party_size=1)
    with pytest.raises(seats.LockNotHeld):
        seats.move(event, registration, Registration.Status.CONFIRMED)
    with pytest.raises(seats.LockNotHeld):
        seats.lock_event(event.pk)
    with pytest.raises(seats.LockNotHeld):
        seats.waitlist_promote_next(event=event)
    event.refresh_from_db()
    assert (event.seats_held, event.waitlist_count) == (0, 0)


@pytest.mark.django_db(transaction=True)
def test_inside_a_transaction_the_ledger_counts():
    event = EventFactory(capacity=5)
    registration = Registration(event=event, name="A", email="a@example.org", language="en", party_size=2)
    with transaction.atomic():
        locked = seats.lock_event(event.pk)
        seats.move(locked, registration, Registration.Status.CONFIRMED)
        seats.save_counters(locked)
    event.refresh_from_db()
    assert event.seats_held == 2
