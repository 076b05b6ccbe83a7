"""What a party pays: one line per seat (its ticket type and price), a code's discount, the total.

Two steps, so the locked part of a registration stays short (docs/locking.md):

- ``lines_plan`` (no lock): the seats' ticket types belong to the event, are on sale, offered to
  this registrant (a hidden type needs a code that unlocks it), within their min/max per
  registration; the code exists for this event and is valid now; prices and discounts computed.
- ``lines_check_locked`` (caller holds the event lock): each type's quota and the code's uses,
  counted from the active registrations. The code's own row is locked too (event → code), since
  an organization-wide code is shared by events whose locks do not exclude each other.

Events without ticket types (older data) charge ``Event.price`` per seat, as before.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Q
from django.utils.translation import gettext as _

from common.exceptions import Conflict, InvalidInput
from common.i18n import active_language
from events.models import Event, PromoCode, TicketType, normalize_code
from registrations.models import Registration, RegistrationLine
from registrations.services import seats

ZERO_DECIMAL_CURRENCIES = frozenset("BIF CLP DJF GNF JPY KMF KRW MGA PYG RWF UGX VND VUV XAF XOF XPF".split())


@dataclass(frozen=True)
class Seat:
    """One seat asked for: who sits in it and which ticket type (None: the event's default)."""

    name: str
    ticket_type_id: int | None = None


def money(amount: Decimal, currency: str) -> Decimal:
    """Rounded to the currency's smallest unit (a yen has no cents)."""
    step = Decimal("1") if currency.upper() in ZERO_DECIMAL_CURRENCIES else Decimal("0.01")
    return amount.quantize(step, rounding=ROUND_HALF_UP)


def code_for_event(*, event: Event, text: str) -> PromoCode | None:
    """The active code ``text`` of this event or of its organization (all events), or None."""
    text = normalize_code(text)
    if not text:
        return None
    return (
        PromoCode.objects.filter(organization_id=event.organization_id, code=text, active=True)
        .filter(Q(event__isnull=True) | Q(event_id=event.pk))
        .prefetch_related("unlocks")
        .first()
    )


def code_resolve(*, event: Event, text: str | None, now: dt.datetime) -> PromoCode | None:
    """The code typed, checked for this event and this moment; InvalidInput (400) if it cannot be used."""
    if not text or not normalize_code(text):
        return None
    code = code_for_event(event=event, text=text)
    if code is None:
        raise InvalidInput(
            _("We do not know the code “%(code)s” for this event.") % {"code": normalize_code(text)[:40]},
            fields={"code": [_("Unknown code.")]},
            code="code_unknown",
        )
    if code.valid_from and now < code.valid_from:
        raise InvalidInput(
            _("This code is not valid yet."), fields={"code": [_("Not valid yet.")]}, code="code_not_yet_valid"
        )
    if code.valid_until and now >= code.valid_until:
        raise InvalidInput(
            _("This code has expired."), fields={"code": [_("This code has expired.")]}, code="code_expired"
        )
    return code


def offered_types(*, event: Event, code: PromoCode | None) -> list[TicketType]:
    """The event's ticket types this registrant may choose: visible ones and those ``code`` unlocks."""
    unlocked = {t.pk for t in code.unlocks.all()} if code is not None else set()
    types = [t for t in event.ticket_types.all() if not t.hidden or t.pk in unlocked]
    for ticket_type in types:
        ticket_type.event = event
    return types


def _not_on_sale(ticket_type: TicketType, now: dt.datetime) -> InvalidInput:
    name = ticket_type.t("name", active_language())
    if ticket_type.on_sale_from and now < ticket_type.on_sale_from:
        message = _("“%(name)s” tickets are not on sale yet.") % {"name": name}
    else:
        message = _("“%(name)s” tickets are no longer on sale.") % {"name": name}
    return InvalidInput(message, fields={"ticket_type": [message]}, code="ticket_type_not_on_sale")


def lines_plan(*, event: Event, party: list[Seat], code: PromoCode | None, now: dt.datetime) -> list[RegistrationLine]:
    """Unsaved lines, one per seat in party order (0 is the registrant), priced and discounted.

    ``event.ticket_types`` should be prefetched. Raises InvalidInput (400) with a message in the
    active language for a type that is unknown, hidden without its code, not on sale, or taken
    fewer or more times than its min/max per registration.
    """
    all_types = list(event.ticket_types.all())
    currency = event.currency
    if not all_types:  # an event from before ticket types: one price for every seat
        lines = [
            RegistrationLine(position=i, name=seat.name, unit_price=event.price, discount=Decimal("0"))
            for i, seat in enumerate(party)
        ]
        return _discounted(lines, code=code, currency=currency)
    offered = {t.pk: t for t in offered_types(event=event, code=code)}
    default = next((t for t in offered.values() if not t.hidden and t.on_sale(now)), None)
    chosen: list[TicketType] = []
    for seat in party:
        if seat.ticket_type_id is None:
            if default is None:
                raise InvalidInput(
                    _("No tickets of this event are on sale now."),
                    fields={"ticket_type": [_("No tickets of this event are on sale now.")]},
                    code="ticket_type_not_on_sale",
                )
            chosen.append(default)
            continue
        ticket_type = offered.get(seat.ticket_type_id)
        if ticket_type is None:
            message = (
                _("This ticket type needs a code.")
                if any(t.pk == seat.ticket_type_id for t in all_types)
                else _("This event has no such ticket type.")
            )
            raise InvalidInput(message, fields={"ticket_type": [message]}, code="ticket_type_unknown")
        if not ticket_type.on_sale(now):
            raise _not_on_sale(ticket_type, now)
        chosen.append(ticket_type)
    counts = Counter(t.pk for t in chosen)
    for pk, count in counts.items():
        ticket_type = offered[pk] if pk in offered else default
        if ticket_type.max_per_registration is not None and count > ticket_type.max_per_registration:
            message = _("At most %(n)d “%(name)s” ticket(s) per registration.") % {
                "n": ticket_type.max_per_registration,
                "name": ticket_type.t("name", active_language()),
            }
            raise InvalidInput(message, fields={"ticket_type": [message]}, code="ticket_type_max")
        if count < ticket_type.min_per_registration:
            message = _("“%(name)s” tickets come at least %(n)d per registration.") % {
                "n": ticket_type.min_per_registration,
                "name": ticket_type.t("name", active_language()),
            }
            raise InvalidInput(message, fields={"ticket_type": [message]}, code="ticket_type_min")
    lines = [
        RegistrationLine(position=i, name=seat.name, ticket_type=t, unit_price=t.price, discount=Decimal("0"))
        for i, (seat, t) in enumerate(zip(party, chosen, strict=True))
    ]
    return _discounted(lines, code=code, currency=currency)


def _discounted(lines: list[RegistrationLine], *, code: PromoCode | None, currency: str) -> list[RegistrationLine]:
    """Apply the code: a percentage off each seat, or an amount off the registration taken from the
    seats in order (never below zero)."""
    if code is not None and code.discount == PromoCode.Discount.PERCENT:
        for line in lines:
            line.discount = min(money(line.unit_price * code.value / 100, currency), line.unit_price)
    elif code is not None and code.discount == PromoCode.Discount.AMOUNT:
        left = code.value
        for line in lines:
            line.discount = min(left, line.unit_price)
            left -= line.discount
    for line in lines:
        line.amount = line.unit_price - line.discount
    return lines


def lines_total(lines: list[RegistrationLine]) -> Decimal:
    return sum((line.amount for line in lines), Decimal("0"))


def code_uses(*, code: PromoCode) -> int:
    """A code is used once per active registration carrying it (a cancelled or expired one gives it back)."""
    return Registration.objects.filter(promo_code=code, status__in=Registration.ACTIVE).count()


def type_taken(*, ticket_type: TicketType) -> int:
    """Seats of this type held or waited for by active registrations."""
    return RegistrationLine.objects.filter(
        ticket_type=ticket_type, registration__status__in=Registration.ACTIVE
    ).count()


def lines_check_locked(*, event: Event, lines: list[RegistrationLine], code: PromoCode | None) -> None:
    """Quotas and the code's uses, exact under the event lock (and the code's row lock). Caller holds
    the event lock. Conflict (409) when a type just sold out; InvalidInput (400) for a spent code."""
    seats.require_lock_scope()
    wanted = Counter(line.ticket_type_id for line in lines if line.ticket_type_id is not None)
    for line in lines:
        ticket_type = line.ticket_type
        if ticket_type is None or ticket_type.quota is None or ticket_type.pk not in wanted:
            continue
        count = wanted.pop(ticket_type.pk)
        left = ticket_type.quota - type_taken(ticket_type=ticket_type)
        if count > left:
            message = (
                _("“%(name)s” tickets are sold out.") % {"name": ticket_type.t("name", active_language())}
                if left <= 0
                else _("Only %(n)d “%(name)s” ticket(s) left.")
                % {"n": left, "name": ticket_type.t("name", active_language())}
            )
            raise Conflict(message, fields={"ticket_type": [message]}, code="ticket_type_sold_out")
    if code is not None and code.max_uses is not None:
        PromoCode.objects.select_for_update().filter(pk=code.pk).values_list("pk", flat=True).first()
        if code_uses(code=code) >= code.max_uses:
            raise InvalidInput(
                _("This code has been used up."), fields={"code": [_("This code has been used up.")]}, code="code_spent"
            )
