"""What an organizer does to one registration from the desk that only registrations decide:
promote it from the waiting list by hand, send its ticket again.

Cancelling (``register.registration_cancel`` with an ``actor``) and door payments
(``payments.door_payment_record``) already exist and are called as they are.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit import services as audit
from audit.models import AuditAction
from common.exceptions import Conflict, InvalidTransition, NotFound
from notifications import outbox
from registrations.models import Registration
from registrations.selectors import event_is_over
from registrations.services import seats


@transaction.atomic
def waitlist_promote_by_hand(*, registration_id: int, actor, now: dt.datetime | None = None) -> Registration:
    """Give a waiting registration a seat out of arrival order (the organizer knows why: a family
    that must sit together, a teacher of the course). Locks: the event row (``seats.lock_event``),
    then the registration.

    Capacity still holds: the party needs that many free seats (unpaid holds past their time are
    released first, as on every seat decision). An online-paid registration gets a payment hold,
    like any promotion; the attendee is told through the outbox. Promoting twice is a no-op.
    """
    now = now or timezone.now()
    event_id = Registration.objects.filter(pk=registration_id).values_list("event_id", flat=True).first()
    if event_id is None:
        raise NotFound(_("No such registration."))
    event = seats.lock_event(event_id)
    registration = Registration.objects.select_for_update().get(pk=registration_id)
    registration.event = event
    if registration.status in Registration.SEAT_HOLDING and registration.promoted_at is not None:
        return registration
    if registration.status != Registration.Status.WAITLISTED:
        raise InvalidTransition(_("Only a registration on the waiting list can be promoted."))
    if event_is_over(event_id=event.pk, now=now):
        raise Conflict(_("This event is over."), code="event_over")
    seats.release_overdue_holds(event=event, now=now)
    free = event.capacity - event.seats_held
    if registration.party_size > free:
        raise Conflict(
            _("Not enough free seats: this party needs %(needed)d, %(free)d are free.")
            % {"needed": registration.party_size, "free": max(free, 0)},
            code="no_seats",
        )
    seats.give_seat(registration, event=event, now=now)
    registration.promoted_at = now
    registration.save(update_fields=["status", "confirmed_at", "hold_expires_at", "promoted_at", "updated_at"])
    seats.save_counters(event)
    outbox.notify_registration(registration=registration, kind=outbox.Kind.PROMOTED)
    audit.record_registration(
        actor=actor,
        action=AuditAction.REGISTRATION_PROMOTE,
        registration=registration,
        details={"status": registration.status, "party_size": registration.party_size},
    )
    return registration


@transaction.atomic
def ticket_resend(*, registration_id: int, actor, now: dt.datetime | None = None) -> bool:
    """Email a confirmed registration its ticket again. Returns False when it was already sent in
    the last few minutes (the outbox dedupes by window, so a double click sends one). Locks: the
    registration row."""
    registration = Registration.objects.select_for_update().filter(pk=registration_id).first()
    if registration is None or registration.anonymised_at is not None:
        raise NotFound(_("No such registration."))
    if registration.status != Registration.Status.CONFIRMED:
        raise InvalidTransition(_("Only a confirmed registration has a ticket to send."))
    sent = outbox.notify_ticket_resend(registration=registration, now=now) is not None
    if sent:
        audit.record_registration(actor=actor, action=AuditAction.TICKET_RESEND, registration=registration)
    return sent
