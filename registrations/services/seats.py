"""The seat ledger: the event row counts the seats held and the registrations waiting.

Every seat-changing transition goes through ``move``, under the event row lock, so
``Event.seats_held`` and ``Event.waitlist_count`` are exact and a seat decision is O(1) however
many registrations there are (``event_recount`` recomputes them from the rows: the tests' oracle).
The waiting list moves in arrival order, whole parties only.

"Caller holds the event lock" functions check that they run inside a transaction (the lock is
only held there; ``lock_event`` takes it), so a caller that forgot the transaction fails loudly
in tests instead of racing in production. See docs/locking.md.
"""

from __future__ import annotations

import datetime as dt

from django.db import connection, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from common.exceptions import NotFound
from events.models import Event
from notifications import outbox
from registrations.models import Registration
from registrations.services import email_holds


class LockNotHeld(RuntimeError):
    """A ledger function that needs the event lock was called outside a transaction."""


def require_lock_scope() -> None:
    """The event row lock lives as long as the transaction: without one there is no lock."""
    if not connection.in_atomic_block:
        raise LockNotHeld("Seat ledger changes need the event row lock: call inside transaction.atomic().")


def lock_event(event_id: int) -> Event:
    """``SELECT … FOR UPDATE`` the event row: every seat decision of this event waits for us."""
    require_lock_scope()
    try:
        return Event.objects.select_for_update().get(pk=event_id)
    except Event.DoesNotExist as exc:
        raise NotFound(_("No such event.")) from exc


_COUNTERS = ("slug", "status", "capacity", "seats_held", "waitlist_count")


def lock_counters(event_id: int) -> dict | None:
    """``SELECT … FOR UPDATE`` the event row, reading only what a seat decision needs (its slug,
    status, capacity and counters), or None when it is gone. The registration rush's lock: the
    statement is written once from the model, not built by the ORM on every request."""
    require_lock_scope()
    with connection.cursor() as cursor:
        cursor.execute(_statements(connection)["lock"], [event_id])
        row = cursor.fetchone()
    return dict(zip(_COUNTERS, row, strict=True)) if row is not None else None


def _statements(connection) -> dict[str, str]:
    # Plain columns (no conversions between the database and Python), quoted by the backend.
    if connection.alias not in _prepared:
        quote, meta = connection.ops.quote_name, Event._meta
        table, pk = quote(meta.db_table), quote(meta.pk.column)
        held, waiting = (quote(meta.get_field(name).column) for name in ("seats_held", "waitlist_count"))
        columns = ", ".join(quote(meta.get_field(name).column) for name in _COUNTERS)
        lock = f"SELECT {columns} FROM {table} WHERE {pk} = %s"
        if connection.features.has_select_for_update:
            lock += " FOR UPDATE"
        _prepared[connection.alias] = {
            "lock": lock,
            "counters": f"UPDATE {table} SET {held} = %s, {waiting} = %s WHERE {pk} = %s",
        }
    return _prepared[connection.alias]


_prepared: dict[str, dict[str, str]] = {}


def seats_taken(*, event: Event) -> int:
    """Seats held by confirmed and pending-payment registrations, read fresh from the event row."""
    return Event.objects.values_list("seats_held", flat=True).get(pk=event.pk)


def move(event: Event, registration: Registration, status: str) -> None:
    """Change a registration's status and keep the event's counters in step. Caller holds the lock.

    Every seat-changing transition goes through here, so ``seats_held`` and ``waitlist_count``
    are exact; ``event_recount`` recomputes them from the rows (tests assert both agree).
    """
    require_lock_scope()
    before = registration.status
    if before in Registration.SEAT_HOLDING:
        event.seats_held -= registration.party_size
    elif before == Registration.Status.WAITLISTED:
        event.waitlist_count -= 1
    if status in Registration.SEAT_HOLDING:
        event.seats_held += registration.party_size
    elif status == Registration.Status.WAITLISTED:
        event.waitlist_count += 1
    registration.status = status


def save_counters(event: Event) -> None:
    """Write the counters ``move`` kept in step back to the (locked) event row."""
    require_lock_scope()
    with connection.cursor() as cursor:  # the rush's last statement: written once (``_statements``)
        cursor.execute(_statements(connection)["counters"], [event.seats_held, event.waitlist_count, event.pk])


@transaction.atomic
def event_recount(*, event_id: int) -> Event:
    """Recompute the seat counters from the registrations (repair tool; tests use it as the oracle)."""
    event = lock_event(event_id)
    rows = Registration.objects.filter(event=event)
    event.seats_held = rows.holding_seats().aggregate(seats=Sum("party_size"))["seats"] or 0
    event.waitlist_count = rows.filter(status=Registration.Status.WAITLISTED).count()
    save_counters(event)
    return event


def hold_until(*, event: Event, now: dt.datetime) -> dt.datetime:
    return now + dt.timedelta(minutes=event.payment_hold_minutes)


def give_seat(registration: Registration, *, event: Event, now: dt.datetime) -> None:
    """Confirm, or hold the seat until the emailed link is opened (``email_holds``) or until paid.
    Caller holds the event lock and checked capacity."""
    if email_holds.email_confirmation_required(event=event, registration=registration):
        move(event, registration, Registration.Status.PENDING_EMAIL)
        registration.hold_expires_at = email_holds.email_hold_until(event=event, now=now)
    elif registration.payment_method == Registration.PaymentMethod.ONLINE and registration.paid_at is None:
        move(event, registration, Registration.Status.PENDING_PAYMENT)
        registration.hold_expires_at = hold_until(event=event, now=now)
    else:
        move(event, registration, Registration.Status.CONFIRMED)
        registration.confirmed_at = now
        registration.hold_expires_at = None


# --- waiting list and holds ----------------------------------------------------------------------


def waitlist_promote_next(*, event: Event, now: dt.datetime | None = None) -> list[Registration]:
    """Give free seats to the waiting list in arrival order, whole parties only. Caller holds the lock."""
    require_lock_scope()
    now = now or timezone.now()
    free = event.capacity - event.seats_held
    promoted = []
    if event.waitlist_count == 0 or free <= 0:
        return promoted
    for registration in Registration.objects.filter(event=event).waitlisted_in_order().iterator(chunk_size=50):
        if registration.party_size > free:
            break  # the head of the queue waits for all its seats; nobody overtakes it
        give_seat(registration, event=event, now=now)
        registration.promoted_at = now
        registration.save(update_fields=["status", "confirmed_at", "hold_expires_at", "promoted_at", "updated_at"])
        if registration.status == Registration.Status.PENDING_EMAIL:  # the seat is theirs once they open the link
            outbox.notify_registration(
                registration=registration, kind=outbox.Kind.EMAIL_CONFIRM, params={"promoted": True}
            )
        else:
            outbox.notify_registration(registration=registration, kind=outbox.Kind.PROMOTED)
        free -= registration.party_size
        promoted.append(registration)
    return promoted


def expire_overdue_holds(*, event: Event, now: dt.datetime) -> list[Registration]:
    """Holds past their time (unpaid, or the email link not opened) expire. Caller holds the lock."""
    overdue = list(Registration.objects.filter(event=event, status__in=Registration.ON_HOLD, hold_expires_at__lte=now))
    for registration in overdue:
        hold = "email" if registration.status == Registration.Status.PENDING_EMAIL else "payment"
        move(event, registration, Registration.Status.EXPIRED)
        registration.expired_at = now
        registration.save(update_fields=["status", "expired_at", "updated_at"])
        outbox.notify_registration(registration=registration, kind=outbox.Kind.HOLD_EXPIRED, params={"hold": hold})
    return overdue


@transaction.atomic
def waitlist_promote(*, event_id: int, now: dt.datetime | None = None) -> list[Registration]:
    """Give free seats to the waiting list, e.g. after an organizer raised the capacity."""
    event = lock_event(event_id)
    promoted = waitlist_promote_next(event=event, now=now)
    save_counters(event)
    return promoted


def release_overdue_holds(*, event: Event, now: dt.datetime) -> list[Registration]:
    """Expire holds past their time and pass the seats on. Caller holds the event lock.

    Done under the lock on every seat decision, so capacity never depends on when the beat
    task last ran.
    """
    expired = expire_overdue_holds(event=event, now=now)
    if expired:
        waitlist_promote_next(event=event, now=now)
    return expired
