"""Registering, cancelling, the waiting list and payment holds.

Locking rule (docs/locking.md): every use case that changes who holds a seat locks the event row
first (`select_for_update`), then reads the registrations. That serialises seat counting per
event on PostgreSQL; on SQLite the IMMEDIATE transaction does the same for the whole database.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from functools import partial

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from common.exceptions import AlreadyRegistered, InvalidInput, NotFound, PaymentUnavailable, RegistrationClosed
from common.i18n import normalize_language
from events.models import Event, Question
from registrations.models import Registration, Ticket

MAX_TEXT_ANSWER = 1000


# --- reading the event under lock -----------------------------------------------------------------


def _lock_event(event_id: int) -> Event:
    try:
        return Event.objects.select_for_update().get(pk=event_id)
    except Event.DoesNotExist as exc:
        raise NotFound(_("No such event.")) from exc


def seats_taken(*, event: Event) -> int:
    """Seats held by confirmed and pending-payment registrations. Caller holds the event lock."""
    total = Registration.objects.filter(event=event).holding_seats().aggregate(seats=Sum("party_size"))["seats"]
    return total or 0


def payments_enabled() -> bool:
    return bool(settings.STRIPE_SECRET_KEY)


def _check_open(*, event: Event, now: dt.datetime) -> None:
    if event.status == Event.Status.DRAFT:
        raise NotFound(_("No such event."))
    if event.status == Event.Status.CANCELLED:
        raise RegistrationClosed(_("This event has been cancelled."), code="event_cancelled")
    if event.registration_opens_at and now < event.registration_opens_at:
        raise RegistrationClosed(_("Registration has not opened yet."), code="registration_not_open")
    if event.registration_closes_at and now >= event.registration_closes_at:
        raise RegistrationClosed(_("Registration has closed."))
    last_end = event.sessions.exclude(status="cancelled").order_by("-ends_at").values_list("ends_at", flat=True).first()
    if last_end is None or last_end <= now:
        raise RegistrationClosed(_("This event is over."), code="event_over")


# --- answers ----------------------------------------------------------------------------------------


def clean_answers(*, questions: list[Question], answers: object) -> dict:
    """Check answers against the event's questions; raise InvalidInput with a message per question."""
    if answers in (None, ""):
        answers = {}
    if not isinstance(answers, dict):
        raise InvalidInput(fields={"answers": [_("Answers must be an object keyed by question.")]})
    by_key = {question.key: question for question in questions}
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, object] = {}
    for key in answers:
        if key not in by_key:
            errors[str(key)[:50]] = [_("There is no such question.")]
    for key, question in by_key.items():
        value = answers.get(key)
        if question.kind == Question.Kind.CHECKBOX:
            if value in (None, ""):
                value = False
            if not isinstance(value, bool):
                errors[key] = [_("Answer true or false.")]
                continue
            if question.required and not value:
                errors[key] = [_("Please tick this box to continue.")]
                continue
        elif question.kind == Question.Kind.CHOICE:
            if value in (None, ""):
                if question.required:
                    errors[key] = [_("Please choose an answer.")]
                continue
            if not isinstance(value, str) or value not in question.choice_values:
                errors[key] = [_("“%(value)s” is not one of the choices.") % {"value": str(value)[:50]}]
                continue
        else:
            if value is None:
                value = ""
            if not isinstance(value, str):
                errors[key] = [_("Answer with text.")]
                continue
            value = value.strip()
            if len(value) > MAX_TEXT_ANSWER:
                errors[key] = [_("Keep the answer under %(max)d characters.") % {"max": MAX_TEXT_ANSWER}]
                continue
            if question.required and not value:
                errors[key] = [_("This question needs an answer.")]
                continue
            if not value:
                continue
        cleaned[key] = value
    if errors:
        raise InvalidInput(fields={"answers": errors})
    return cleaned


# --- create -----------------------------------------------------------------------------------------


def _hold_until(*, event: Event, now: dt.datetime) -> dt.datetime:
    return now + dt.timedelta(minutes=event.payment_hold_minutes)


def registration_create(
    *,
    event_id: int,
    name: str,
    email: str,
    language: str,
    answers: object = None,
    consents: dict | None = None,
    guests: list[str] | None = None,
    pay_at_door: bool = False,
    user=None,
    now: dt.datetime | None = None,
) -> Registration:
    """Register one person (and their guests) for an event: confirmed, pending payment or waitlisted.

    A second active registration with the same email raises AlreadyRegistered, and the existing
    registration's manage link is e-mailed again (queued after the surrounding commit).
    """
    try:
        return _registration_create(
            event_id=event_id,
            name=name,
            email=email,
            language=language,
            answers=answers,
            consents=consents or {},
            guests=guests or [],
            pay_at_door=pay_at_door,
            user=user,
            now=now or timezone.now(),
        )
    except AlreadyRegistered as exc:
        from registrations import tasks

        transaction.on_commit(partial(tasks.send_manage_link.delay, registration_id=exc.extra["registration_id"]))
        exc.extra = {}  # the id is for us, not for whoever typed the address
        raise


@transaction.atomic
def _registration_create(
    *,
    event_id: int,
    name: str,
    email: str,
    language: str,
    answers: object,
    consents: dict,
    guests: list[str],
    pay_at_door: bool,
    user,
    now: dt.datetime,
) -> Registration:
    event = _lock_event(event_id)
    _check_open(event=event, now=now)
    email = email.strip().lower()
    existing = Registration.objects.filter(event=event, email=email, status__in=Registration.ACTIVE).first()
    if existing is not None:
        raise AlreadyRegistered(registration_id=existing.pk)
    if len(guests) > event.max_guests:
        message = (
            _("This event does not take guests.")
            if event.max_guests == 0
            else _("You can bring at most %(n)d guest(s).") % {"n": event.max_guests}
        )
        raise InvalidInput(fields={"guests": [message]})
    cleaned_answers = clean_answers(questions=list(event.questions.all()), answers=answers)
    party_size = 1 + len(guests)
    if party_size > event.capacity:
        raise InvalidInput(fields={"guests": [_("This event has only %(n)d seat(s) in all.") % {"n": event.capacity}]})

    paid = event.price > 0
    if paid and pay_at_door and not event.allow_pay_at_door:
        raise InvalidInput(fields={"pay_at_door": [_("This event does not take payment at the door.")]})
    online = paid and not pay_at_door
    if online and not payments_enabled():
        raise PaymentUnavailable()

    registration = Registration(
        event=event,
        user=user if user is not None and user.is_authenticated else None,
        name=name.strip(),
        email=email,
        language=normalize_language(language) or event.default_language,
        answers=cleaned_answers,
        consents=consents,
        party_size=party_size,
        currency=event.currency,
        amount_due=(event.price * party_size) if paid else Decimal("0"),
        payment_method=(
            Registration.PaymentMethod.ONLINE
            if online
            else Registration.PaymentMethod.DOOR
            if paid
            else Registration.PaymentMethod.NONE
        ),
    )
    _release_overdue_holds(event=event, now=now)
    queue_is_empty = not Registration.objects.filter(event=event).waitlisted_in_order().exists()
    if queue_is_empty and seats_taken(event=event) + party_size <= event.capacity:
        _give_seat(registration, event=event, now=now)
    else:
        # Arrival order: nobody jumps a waiting party, even when a smaller gap is free.
        registration.status = Registration.Status.WAITLISTED
        registration.waitlisted_at = now
    try:
        with transaction.atomic():
            registration.save()
    except IntegrityError as exc:
        # The partial unique index caught a duplicate that the check above could not see (SQLite
        # without row locks, or an email differing only in what .lower() folds).
        raise AlreadyRegistered(
            registration_id=Registration.objects.filter(event=event, email=email).values_list("pk", flat=True).first()
        ) from exc
    Ticket.objects.bulk_create(
        Ticket(registration=registration, position=position, name=(registration.name if position == 0 else guest))
        for position, guest in enumerate(["", *guests])
    )
    return registration


def _give_seat(registration: Registration, *, event: Event, now: dt.datetime) -> None:
    """Confirm, or hold the seat until paid. Caller holds the event lock and checked capacity."""
    if registration.payment_method == Registration.PaymentMethod.ONLINE and registration.paid_at is None:
        registration.status = Registration.Status.PENDING_PAYMENT
        registration.hold_expires_at = _hold_until(event=event, now=now)
    else:
        registration.status = Registration.Status.CONFIRMED
        registration.confirmed_at = now
        registration.hold_expires_at = None


# --- waiting list, cancel, expiry -----------------------------------------------------------------


def waitlist_promote_next(*, event: Event, now: dt.datetime | None = None) -> list[Registration]:
    """Give free seats to the waiting list in arrival order, whole parties only. Caller holds the lock."""
    now = now or timezone.now()
    free = event.capacity - seats_taken(event=event)
    promoted = []
    for registration in Registration.objects.filter(event=event).waitlisted_in_order().iterator(chunk_size=50):
        if registration.party_size > free:
            break  # the head of the queue waits for all its seats; nobody overtakes it
        _give_seat(registration, event=event, now=now)
        registration.promoted_at = now
        registration.save(update_fields=["status", "confirmed_at", "hold_expires_at", "promoted_at", "updated_at"])
        free -= registration.party_size
        promoted.append(registration)
    return promoted


def _expire_overdue_holds(*, event: Event, now: dt.datetime) -> list[Registration]:
    overdue = list(
        Registration.objects.filter(event=event, status=Registration.Status.PENDING_PAYMENT, hold_expires_at__lte=now)
    )
    for registration in overdue:
        registration.status = Registration.Status.EXPIRED
        registration.expired_at = now
        registration.save(update_fields=["status", "expired_at", "updated_at"])
    return overdue


def _release_overdue_holds(*, event: Event, now: dt.datetime) -> list[Registration]:
    """Expire unpaid holds past their time and pass the seats on. Caller holds the event lock.

    Done under the lock on every seat decision, so capacity never depends on when the beat
    task last ran.
    """
    expired = _expire_overdue_holds(event=event, now=now)
    if expired:
        waitlist_promote_next(event=event, now=now)
    return expired


@transaction.atomic
def registration_cancel(*, registration_id: int, now: dt.datetime | None = None) -> Registration:
    """Cancel; the freed seats go to the waiting list in the same transaction. Cancelling twice is a no-op.

    A paid, confirmed registration cancelled before the event starts is refunded through Stripe
    after commit (never a network call while holding the lock).
    """
    now = now or timezone.now()
    event_id = Registration.objects.filter(pk=registration_id).values_list("event_id", flat=True).first()
    if event_id is None:
        raise NotFound(_("No such registration."))
    event = _lock_event(event_id)
    registration = Registration.objects.get(pk=registration_id)
    if registration.status in (Registration.Status.CANCELLED, Registration.Status.EXPIRED):
        return registration
    held_seats = registration.status in Registration.SEAT_HOLDING
    registration.status = Registration.Status.CANCELLED
    registration.cancelled_at = now
    registration.hold_expires_at = None
    registration.save(update_fields=["status", "cancelled_at", "hold_expires_at", "updated_at"])
    if held_seats:
        _release_overdue_holds(event=event, now=now)
        waitlist_promote_next(event=event, now=now)
    from registrations.services.payments import refund_after_cancel

    refund_after_cancel(registration=registration, event=event, now=now)
    return registration


@transaction.atomic
def registration_expire_hold(*, registration_id: int, now: dt.datetime | None = None) -> bool:
    """Expire one unpaid hold if it is overdue and promote the waiting list. Idempotent."""
    now = now or timezone.now()
    event_id = Registration.objects.filter(pk=registration_id).values_list("event_id", flat=True).first()
    if event_id is None:
        return False
    event = _lock_event(event_id)
    expired = _release_overdue_holds(event=event, now=now)
    return any(registration.pk == registration_id for registration in expired)


def overdue_hold_ids(*, now: dt.datetime | None = None) -> list[int]:
    return list(
        Registration.objects.filter(
            status=Registration.Status.PENDING_PAYMENT, hold_expires_at__lte=now or timezone.now()
        ).values_list("pk", flat=True)[:1000]
    )


@transaction.atomic
def calendar_feed_rotate(*, email: str, now: dt.datetime | None = None):
    """Give the address a new private feed URL; the old one stops working at once."""
    from registrations.models import CalendarFeed, new_token

    feed, created = CalendarFeed.objects.select_for_update().get_or_create(email=email.strip().lower())
    if not created:
        feed.token = new_token()
        feed.rotated_at = now or timezone.now()
        feed.save(update_fields=["token", "rotated_at"])
    return feed
