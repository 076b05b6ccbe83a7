"""The answer a scanner shows: status, colour, a sentence in the volunteer's language.

Answers are plain dicts built here once per scan, because the answer of a recorded scan is
stored with it (``CheckIn.response``) and replayed byte for byte when the same nonce comes
again. Every answer has every key (``None`` where it does not apply), so a scanner page can
render any of them with one template. ``checkin/serializers.py`` documents the shape.

Volunteers see what the door needs and nothing more: the name on the ticket, its position in
the party, the registration's status, what is still to pay, and answers to the questions the
organizer marked "show at check-in". Never the email address or any payment id.
"""

from __future__ import annotations

import datetime as dt
import uuid
import zoneinfo
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import serializers

from common.i18n import active_language, pick
from events.models import Event, Question, Session
from registrations.models import Registration, Ticket

OK = "ok"
ALREADY_CHECKED_IN = "already_checked_in"
INVALID = "invalid"
WRONG_EVENT = "wrong_event"
CANCELLED = "cancelled"
UNPAID = "unpaid"
NOT_OPEN = "not_open"
NOT_INSIDE = "not_inside"
ERROR = "error"  # batch only: a scan that could not be processed (unknown session, reused nonce)
STATUSES = (OK, ALREADY_CHECKED_IN, INVALID, WRONG_EVENT, CANCELLED, UNPAID, NOT_OPEN, NOT_INSIDE, ERROR)

GREEN, AMBER, RED = "green", "amber", "red"
COLORS = (GREEN, AMBER, RED)

CURRENCY_SYMBOLS = {"CNY": "¥", "JPY": "¥", "USD": "$", "EUR": "€", "GBP": "£", "HKD": "HK$", "KRW": "₩"}


def iso(value: dt.datetime) -> str:
    """Timestamps as the rest of the API writes them (DRF: ISO 8601 in the site's timezone)."""
    return _timestamp_field.to_representation(value)


_timestamp_field = serializers.DateTimeField()


def display_name(user) -> str | None:
    if user is None:
        return None
    return user.get_full_name() or user.get_username()


def money(amount: Decimal, currency: str) -> str:
    """``¥80``, ``¥80.50``, ``12 CHF``: how a volunteer says what to collect."""
    number = f"{amount:.0f}" if amount == amount.to_integral_value() else f"{amount:.2f}"
    symbol = CURRENCY_SYMBOLS.get(currency.upper())
    return f"{symbol}{number}" if symbol else f"{number} {currency.upper()}"


def payment_due(registration: Registration) -> dict | None:
    """What is still to collect at the door for this registration (the whole party's amount)."""
    if registration.owes_at_door and registration.amount_due > 0:
        return {"amount": f"{registration.amount_due:.2f}", "currency": registration.currency}
    return None


def local_time(value: dt.datetime, event: Event, *, now: dt.datetime | None = None) -> str:
    """``19:05`` today in the event's timezone, ``2026-05-01 19:05`` on another day."""
    try:
        zone = zoneinfo.ZoneInfo(event.timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        zone = timezone.get_default_timezone()
    local = timezone.localtime(value, zone)
    today = timezone.localtime(now or timezone.now(), zone).date()
    return local.strftime("%H:%M") if local.date() == today else local.strftime("%Y-%m-%d %H:%M")


def shown_answers(registration: Registration, questions: list[Question]) -> list[dict]:
    """Answers to the questions marked "show at check-in", as label/value text in the active language."""
    language = active_language()
    shown = []
    for question in questions:
        value = (registration.answers or {}).get(question.key)
        if value in (None, "", False):
            continue
        if question.kind == Question.Kind.CHECKBOX:
            text = _("Yes")
        elif question.kind == Question.Kind.CHOICE:
            choice = next((c for c in question.choices or [] if c.get("value") == value), None)
            label = pick(choice.get("label"), language, question.fallback_languages()) if choice else ""
            text = label or str(value)
        else:
            text = str(value)
        shown.append({"key": question.key, "label": question.t("label", language), "value": text})
    return shown


def attendee(ticket: Ticket, registration: Registration) -> dict:
    door_type = getattr(ticket, "door_type", None)  # set by checkin.selectors.ticket_for_scan
    language = active_language()
    return {
        "name": ticket.name,
        "position": ticket.position,
        "party_size": registration.party_size,
        "registration_status": registration.status,
        "ticket_type": pick(door_type["name"], language) if door_type else None,
        "door_note": (pick(door_type["door_note"], language) or None) if door_type else None,
    }


def _base(*, nonce: uuid.UUID | str | None, status: str, color: str, message: str, direction: str) -> dict:
    return {
        "nonce": str(nonce) if nonce is not None else None,
        "status": status,
        "color": color,
        "message": message,
        "checkin_id": None,
        "direction": direction,
        "session": None,
        "ticket_id": None,
        "registration_id": None,
        "scanned_at": None,
        "entry": None,
        "attendee": None,
        "answers": [],
        "payment_due": None,
        "first_scanned_at": None,
        "first_scanned_by": None,
        "first_checkin_id": None,
        "party": None,
        "error": None,
    }


# --- answers without a ticket -----------------------------------------------------------------


def invalid(*, nonce, direction: str, session_id: int | None) -> dict:
    body = _base(nonce=nonce, status=INVALID, color=RED, message=_("Not a valid ticket."), direction=direction)
    body["session"] = session_id
    return body


def wrong_event(*, nonce, direction: str, session_id: int | None) -> dict:
    # No name: the ticket may belong to another organization, whose attendees are not ours to show.
    body = _base(
        nonce=nonce, status=WRONG_EVENT, color=RED, message=_("This ticket is for another event."), direction=direction
    )
    body["session"] = session_id
    return body


def error(*, nonce, direction: str, code: str, message: str, fields: dict | None = None) -> dict:
    """A batch scan that could not be processed at all; the other scans of the batch still are."""
    body = _base(nonce=nonce, status=ERROR, color=RED, message=message, direction=direction)
    body["error"] = {"code": code, "message": message, "fields": fields or {}}
    return body


# --- answers about a ticket -------------------------------------------------------------------


def for_ticket(
    *,
    status: str,
    color: str,
    message: str,
    nonce,
    direction: str,
    ticket: Ticket,
    session: Session | None,
    scanned_at: dt.datetime,
    questions: list[Question] = (),
) -> dict:
    registration = ticket.registration
    body = _base(nonce=nonce, status=status, color=color, message=message, direction=direction)
    body.update(
        session=session.pk if session is not None else None,
        ticket_id=ticket.pk,
        registration_id=registration.pk,
        scanned_at=iso(scanned_at),
        attendee=attendee(ticket, registration),
        answers=shown_answers(registration, list(questions)),
        payment_due=payment_due(registration),
    )
    return body


def admitted_message(*, ticket: Ticket, entry: int) -> tuple[str, str]:
    """Colour and sentence for a successful "in": amber with the amount when cash is due."""
    due = payment_due(ticket.registration)
    if due is not None:
        return AMBER, _("Collect %(amount)s") % {"amount": money(Decimal(due["amount"]), due["currency"])}
    if entry > 1:
        return GREEN, _("Welcome back, %(name)s.") % {"name": ticket.name}
    return GREEN, _("Welcome, %(name)s.") % {"name": ticket.name}


def already_message(*, first_scanned_at: dt.datetime, first_scanned_by: str | None, event: Event) -> str:
    when = local_time(first_scanned_at, event)
    if first_scanned_by:
        return _("Already checked in at %(time)s by %(name)s.") % {"time": when, "name": first_scanned_by}
    return _("Already checked in at %(time)s.") % {"time": when}


def refusal_message(*, status: str, registration: Registration, session: Session | None, at: dt.datetime) -> str:
    event = registration.event
    if status == CANCELLED:
        if registration.status == Registration.Status.EXPIRED:
            return _("This registration expired without payment.")
        return _("This registration was cancelled.")
    if status == UNPAID:
        if registration.status == Registration.Status.WAITLISTED:
            return _("On the waiting list: no seat yet.")
        if registration.status == Registration.Status.PENDING_EMAIL:
            return _("Email not confirmed yet: the seat is only held until the emailed link is opened.")
        return _("Not paid yet: the seat is only held until payment.")
    if session is None:
        return _("No session of this event is open for check-in now.")
    if session.is_cancelled or event.status == Event.Status.CANCELLED:
        return _("This session is cancelled.")
    if at > session.ends_at:
        return _("Check-in for this session has closed.")
    opens_at = session.starts_at - dt.timedelta(minutes=event.checkin_opens_minutes)
    return _("Check-in opens at %(time)s.") % {"time": local_time(opens_at, event, now=at)}


def not_inside_message(*, ticket: Ticket) -> str:
    return _("%(name)s is not checked in, so cannot check out.") % {"name": ticket.name}


def goodbye_message(*, ticket: Ticket) -> str:
    return _("Goodbye, %(name)s.") % {"name": ticket.name}
