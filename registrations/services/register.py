"""Registering, cancelling, the waiting list and payment holds.

Locking rule (docs/locking.md): every use case that changes who holds a seat locks the event row
first (`select_for_update`), then reads the registrations. That serialises seat counting per
event on PostgreSQL; on SQLite the IMMEDIATE transaction does the same for the whole database.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from celery import shared_task
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit import services as audit
from audit.models import AuditAction
from common.exceptions import (
    AlreadyRegistered,
    Conflict,
    InvalidInput,
    InvalidTransition,
    NotFound,
    PaymentUnavailable,
    RegistrationClosed,
)
from common.i18n import normalize_language
from common.sql import insert_rows
from events import selectors as event_selectors
from events.models import Event, Question
from notifications import outbox
from registrations import consent
from registrations.models import CalendarFeed, Registration, RegistrationLine, Ticket, new_token
from registrations.selectors import event_is_over, registration_state
from registrations.services import email_holds, payments, pricing, seats
from registrations.shortcodes import new_short_code

MAX_TEXT_ANSWER = 1000


def payments_enabled() -> bool:
    return bool(settings.STRIPE_SECRET_KEY)


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


# --- consent ----------------------------------------------------------------------------------------


def clean_consents(*, consents: object, version: str | None, language: str, now: dt.datetime) -> dict:
    """The privacy consent is required; store the text shown, its version and language (registrations.consent).

    ``version``: the consent version the client showed (API clients read it from
    ``GET /api/v1/privacy/consent/``); an outdated one is refused so nobody agrees to a text they never saw.
    """
    if consents in (None, ""):
        consents = {}
    if not isinstance(consents, dict):
        raise InvalidInput(fields={"consents": [_('Consents must be an object, e.g. {"privacy": true}.')]})
    errors: dict[str, list[str]] = {}
    for key in consents:
        if key != consent.PRIVACY:
            errors[str(key)[:50]] = [_("There is no such consent.")]
    if consents.get(consent.PRIVACY) is not True:
        errors[consent.PRIVACY] = [_("Please agree to continue.")]
    if version not in (None, "") and version != consent.PRIVACY_CONSENT_VERSION:
        errors["version"] = [_("The privacy notice has changed. Please read the current one and agree again.")]
    if errors:
        raise InvalidInput(fields={"consents": errors})
    return consent.privacy_consent_record(language=language, now=now)


# --- create -----------------------------------------------------------------------------------------


def registration_create(
    *,
    event_id: int | None = None,
    event_slug: str | None = None,
    name: str,
    email: str,
    language: str,
    answers: object = None,
    consents: object = None,
    consent_version: str | None = None,
    guests: list[str] | list[dict] | None = None,
    ticket_type: int | None = None,
    code: str | None = None,
    pay_at_door: bool = False,
    user=None,
    now: dt.datetime | None = None,
) -> Registration:
    """Register one person (and their guests) for an event: confirmed, pending payment or waitlisted.

    Each seat has its ticket type: ``ticket_type`` the registrant's, ``guests`` either names (the
    event's default type, as older clients send them) or ``{"name", "ticket_type"}``. ``code``: a
    discount or unlocking code (``pricing``). What is due is the sum of the seats' lines.

    Everything that can be checked without the lock is checked first, so the locked part is a
    handful of statements. A second active registration with the same email raises
    AlreadyRegistered, and the existing registration's manage link is e-mailed again (queued
    after the surrounding commit). Returns the registration with its tickets loaded.
    """
    now = now or timezone.now()
    email = email.strip().lower()
    party = [pricing.Seat(name=name.strip(), ticket_type_id=ticket_type)]
    for guest in guests or []:
        if isinstance(guest, dict):
            party.append(pricing.Seat(name=str(guest.get("name") or ""), ticket_type_id=guest.get("ticket_type")))
        else:
            party.append(pricing.Seat(name=str(guest)))
    guests = [seat.name for seat in party[1:]]
    event = event_selectors.event_for_registration(event_id=event_id, slug=event_slug)
    if event is None:
        raise NotFound(_("No such event."))
    state = registration_state(event=event, ends_at=event.last_ends_at, now=now, payments_enabled=True)
    if not state.open:
        if state.code == "not_found":
            raise NotFound(state.message)
        raise RegistrationClosed(state.message, code=state.code)
    if len(guests) > event.max_guests:
        message = (
            _("This event does not take guests.")
            if event.max_guests == 0
            else _("You can bring at most %(n)d guest(s).") % {"n": event.max_guests}
        )
        raise InvalidInput(fields={"guests": [message]})
    cleaned_answers = clean_answers(questions=list(event.questions.all()), answers=answers)
    language = normalize_language(language) or event.default_language
    consent_record = clean_consents(consents=consents, version=consent_version, language=language, now=now)
    party_size = 1 + len(guests)
    if party_size > event.capacity:
        raise InvalidInput(fields={"guests": [_("This event has only %(n)d seat(s) in all.") % {"n": event.capacity}]})
    promo_code = pricing.code_resolve(event=event, text=code, now=now)
    lines = pricing.lines_plan(event=event, party=party, code=promo_code, now=now)
    amount_due = pricing.lines_total(lines)
    paid = amount_due > 0
    if paid and pay_at_door and not event.allow_pay_at_door:
        raise InvalidInput(fields={"pay_at_door": [_("This event does not take payment at the door.")]})
    online = paid and not pay_at_door
    if online and not payments_enabled():
        raise PaymentUnavailable()

    registration = Registration(
        event_id=event.pk,
        user=user if user is not None and user.is_authenticated else None,
        name=name.strip(),
        email=email,
        language=language,
        answers=cleaned_answers,
        consents=consent_record,
        party_size=party_size,
        currency=event.currency,
        amount_due=amount_due if paid else Decimal("0"),
        promo_code=promo_code,
        payment_method=(
            Registration.PaymentMethod.ONLINE
            if online
            else Registration.PaymentMethod.DOOR
            if paid
            else Registration.PaymentMethod.NONE
        ),
    )
    try:
        return _registration_insert(event=event, registration=registration, guests=guests, lines=lines, now=now)
    except IntegrityError as exc:
        # The partial unique index (event, email): this address already holds an active registration.
        existing = (
            Registration.objects.filter(event_id=event.pk, email=email, status__in=Registration.ACTIVE)
            .values_list("pk", flat=True)
            .first()
        )
        if existing is None:
            raise
        outbox.notify_manage_link(registration_id=existing, now=now)
        raise AlreadyRegistered() from exc


@transaction.atomic
def _registration_insert(
    *, event: Event, registration: Registration, guests: list[str], lines: list[RegistrationLine], now: dt.datetime
) -> Registration:
    """The locked part, kept to a few statements: lock, decide from the counters, insert, count."""
    locked = seats.lock_counters(event.pk)
    if locked is None or locked.pop("slug") != event.slug:  # deleted, or renamed since it was read
        raise NotFound(_("No such event."))
    # Re-read under the lock: an organizer may have cancelled or resized the event a moment ago.
    for field, value in locked.items():
        setattr(event, field, value)
    if event.status != Event.Status.PUBLISHED:
        raise RegistrationClosed(_("This event has been cancelled."), code="event_cancelled")
    registration.event = event
    # Quotas and the code's uses are counted here, under the lock, so a rush cannot overshoot them.
    pricing.lines_check_locked(event=event, lines=lines, code=registration.promo_code)
    if event.seats_held + registration.party_size > event.capacity and event.seats_held:
        # Full on paper: unpaid holds past their time may be what fills it.
        seats.release_overdue_holds(event=event, now=now)
    registration.status = ""
    if event.waitlist_count == 0 and event.seats_held + registration.party_size <= event.capacity:
        email_holds.check_open_holds_per_domain(event=event, registration=registration)
        seats.give_seat(registration, event=event, now=now)
    else:
        # Arrival order: nobody jumps a waiting party, even when a smaller gap is free.
        seats.move(event, registration, Registration.Status.WAITLISTED)
        registration.waitlisted_at = now
    # A second active registration of this address fails here, on the partial unique index.
    insert_rows([registration])  # its statement written once (common.sql), as the rows below
    tickets = tickets_create(registration=registration, names=[registration.name, *guests])
    for line, ticket in zip(lines, tickets, strict=True):
        line.registration, line.ticket = registration, ticket
    insert_rows(lines)
    seats.save_counters(event)
    outbox.notify_registration_status(registration=registration)
    registration._prefetched_objects_cache = {"tickets": tickets, "lines": lines}
    return registration


# --- waiting list, cancel, expiry -----------------------------------------------------------------


@transaction.atomic
def registration_cancel(*, registration_id: int, actor=None, now: dt.datetime | None = None) -> Registration:
    """Cancel; the freed seats go to the waiting list in the same transaction. Cancelling twice is a no-op.

    ``actor`` is the organizer who cancels on the attendee's behalf (recorded in the audit log);
    ``None`` when the attendees cancel their own registration.

    A paid, confirmed registration cancelled before the event starts is refunded through Stripe
    after commit (never a network call while holding the lock).
    """
    now = now or timezone.now()
    event_id = Registration.objects.filter(pk=registration_id).values_list("event_id", flat=True).first()
    if event_id is None:
        raise NotFound(_("No such registration."))
    event = seats.lock_event(event_id)
    registration = Registration.objects.get(pk=registration_id)
    registration.event = event
    if registration.status in (Registration.Status.CANCELLED, Registration.Status.EXPIRED):
        return registration
    if event_is_over(event_id=event.pk, now=now):
        # Its registrations are what the reports count (and may already be anonymised).
        raise Conflict(_("This event is over: its registrations can no longer be cancelled."), code="event_over")
    status_before = registration.status
    held_seats = registration.status in Registration.SEAT_HOLDING
    seats.move(event, registration, Registration.Status.CANCELLED)
    registration.cancelled_at = now
    registration.hold_expires_at = None
    registration.save(update_fields=["status", "cancelled_at", "hold_expires_at", "updated_at"])
    outbox.notify_registration(registration=registration, kind=outbox.Kind.CANCELLED, params={"scope": "registration"})
    promoted = []
    if held_seats:
        seats.release_overdue_holds(event=event, now=now)
        promoted = seats.waitlist_promote_next(event=event, now=now)
    seats.save_counters(event)
    if actor is not None:
        audit.record_registration(
            actor=actor,
            action=AuditAction.REGISTRATION_CANCEL,
            registration=registration,
            details={"status_before": status_before, "promoted": [r.pk for r in promoted]},
        )
    payments.refund_after_cancel(registration=registration, event=event, now=now, actor=actor)
    return registration


@transaction.atomic
def registration_expire_hold(*, registration_id: int, now: dt.datetime | None = None) -> bool:
    """Expire one hold (unpaid, or its email link not opened) if overdue and promote the waiting list. Idempotent."""
    now = now or timezone.now()
    event_id = Registration.objects.filter(pk=registration_id).values_list("event_id", flat=True).first()
    if event_id is None:
        return False
    event = seats.lock_event(event_id)
    expired = seats.release_overdue_holds(event=event, now=now)
    seats.save_counters(event)
    return any(registration.pk == registration_id for registration in expired)


@transaction.atomic
def registration_confirm_email(*, registration_id: int, now: dt.datetime | None = None) -> Registration:
    """The emailed link was opened: the address is proven, and a seat on hold becomes the registrant's.

    Locks the event row, then the registration (the usual order). From ``pending_email`` the seat is
    confirmed, or on an unpaid online registration held again for payment. A hold already past its
    time is released here instead (the registration comes back ``expired``), and an expired or
    cancelled registration stays as it is. Opening the link again, or on a waitlisted registration,
    only records the proof. Idempotent.
    """
    now = now or timezone.now()
    event_id = Registration.objects.filter(pk=registration_id).values_list("event_id", flat=True).first()
    if event_id is None:
        raise NotFound(_("No such registration."))
    event = seats.lock_event(event_id)
    registration = Registration.objects.select_for_update().get(pk=registration_id)
    registration.event = event
    if registration.status == Registration.Status.PENDING_EMAIL and registration.hold_expires_at <= now:
        # Too late: release it as the beat task would (the seat may be someone else's next), and say so
        # by the status. Not an exception: that would roll the release back.
        seats.release_overdue_holds(event=event, now=now)
        seats.save_counters(event)
        registration.refresh_from_db()
        return registration
    if registration.status in (Registration.Status.CANCELLED, Registration.Status.EXPIRED):
        return registration  # nothing to confirm any more; the manage page says what happened
    if registration.email_confirmed_at is None:
        registration.email_confirmed_at = now
        registration.save(update_fields=["email_confirmed_at", "updated_at"])
    if registration.status == Registration.Status.PENDING_EMAIL:
        seats.give_seat(registration, event=event, now=now)
        registration.save(update_fields=["status", "confirmed_at", "hold_expires_at", "updated_at"])
        seats.save_counters(event)
        # Confirmation, or payment due: by the new status (the dedupe key keeps it to one).
        outbox.notify_registration(registration=registration, kind=outbox.STATUS_KINDS[registration.status])
    return registration


def overdue_hold_ids(*, now: dt.datetime | None = None) -> list[int]:
    return list(
        Registration.objects.filter(
            status__in=Registration.ON_HOLD, hold_expires_at__lte=now or timezone.now()
        ).values_list("pk", flat=True)[:1000]
    )


@transaction.atomic
def calendar_feed_send(*, registration_id: int, rotate: bool = False, now: dt.datetime | None = None) -> bool:
    """Email the registration's address the private feed of all its events, with a new URL if ``rotate``.

    The feed covers every registration of the address, while a manage token proves nothing about
    the mailbox (the API hands it to whoever registered, with any address). So the feed URL is
    never shown: it only travels to the address itself. Asked again within the window, nothing is
    sent or rotated (returns False), so a token holder can neither mail-bomb nor keep breaking it.
    """

    registration = Registration.objects.select_for_update().filter(pk=registration_id).first()
    if registration is None or registration.anonymised_at is not None:
        raise NotFound()
    if registration.status != Registration.Status.CONFIRMED:
        raise InvalidTransition(_("The calendar subscription is for confirmed registrations."))
    if outbox.notify_calendar_feed(registration=registration, now=now) is None:
        return False
    if rotate:
        calendar_feed_rotate(email=registration.email, now=now)
    else:
        CalendarFeed.objects.get_or_create(email=registration.email)
    return True


@transaction.atomic
def calendar_feed_rotate(*, email: str, now: dt.datetime | None = None):
    """Give the address a new private feed URL; the old one stops working at once."""

    feed, created = CalendarFeed.objects.select_for_update().get_or_create(email=email.strip().lower())
    if not created:
        feed.token = new_token()
        feed.rotated_at = now or timezone.now()
        feed.save(update_fields=["token", "rotated_at"])
    return feed


# --- tasks (names kept from registrations/tasks.py) -------------------------------------------------


@shared_task(name="registrations.tasks.expire_payment_holds")
def expire_payment_holds() -> int:
    """Beat: expire unpaid holds past their time; each expiry promotes the waiting list."""
    return sum(registration_expire_hold(registration_id=pk) for pk in overdue_hold_ids())


SHORT_CODE_ATTEMPTS = 5


def tickets_create(*, registration: Registration, names: list[str]) -> list[Ticket]:
    """One ticket per seat (position 0 is the registrant), each with a fresh short code
    (``registrations/shortcodes.py``). Caller holds the event lock.

    A short-code collision fails the unique index; the insert runs in a savepoint so the caller's
    transaction survives, and is retried with new codes (rare: see the shortcodes module).
    """
    for attempt in range(SHORT_CODE_ATTEMPTS):
        tickets = [
            Ticket(registration=registration, position=position, name=name, short_code=new_short_code())
            for position, name in enumerate(names)
        ]
        try:
            with transaction.atomic():
                return insert_rows(tickets)
        except IntegrityError:
            codes = [ticket.short_code for ticket in tickets]
            collided = len(set(codes)) < len(codes) or Ticket.objects.filter(short_code__in=codes).exists()
            if not collided or attempt == SHORT_CODE_ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")
