"""Ticket types and codes of an event: the organizer's writes (the desk's Tickets tab calls these).

Each write is one transaction and takes the event row lock first, the lock every registration
takes (docs/locking.md), so a type's price or quota never changes half-way through a registration.
``Event.price`` (the single price of older clients, kept one release) follows the types: the
price of the first type on offer to everyone, the one a registration that names no type gets.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from audit import services as audit
from audit.models import AuditAction
from common.exceptions import Conflict, InvalidInput
from events.models import Event, PromoCode, TicketType, normalize_code
from organizations.access import ensure_can_manage
from organizations.models import Organization

STANDARD_NAME = {"en": "Standard", "zh-hans": "标准票", "ja": "一般"}

TICKET_TYPE_FIELDS = {
    "name",
    "door_note",
    "price",
    "quota",
    "on_sale_from",
    "on_sale_until",
    "min_per_registration",
    "max_per_registration",
    "hidden",
    "position",
}
PROMO_CODE_FIELDS = {"event", "code", "discount", "value", "valid_from", "valid_until", "max_uses", "active"}


def default_ticket_type_create(*, event: Event) -> TicketType:
    """A new event's one type, at its price ("Standard"): single-price clients keep working."""
    return TicketType.objects.create(event=event, name=dict(STANDARD_NAME), price=event.price, position=0)


def event_price_follow_single_type(*, event: Event) -> None:
    """An older client set ``Event.price``: with one type only, that type's price follows it."""
    types = list(TicketType.objects.filter(event=event)[:2])
    if len(types) == 1 and types[0].price != event.price:
        TicketType.objects.filter(pk=types[0].pk).update(price=event.price)


def event_price_sync(*, event: Event) -> None:
    """``Event.price`` = the price of the first type on offer to everyone: what a client that names
    no ticket type is charged (``registrations.services.pricing`` picks that type), so older
    clients read the price they pay."""
    price = (
        TicketType.objects.filter(event=event, hidden=False).order_by("position", "id").values_list("price", flat=True)
    ).first()
    if price is not None and price != event.price:
        event.price = price
        Event.objects.filter(pk=event.pk).update(price=price)


def _check_ticket_type(ticket_type: TicketType, event: Event) -> None:
    errors: dict[str, list[str]] = {}
    if not any((ticket_type.name or {}).values()):
        errors["name"] = [_("A name in at least one language is required.")]
    if ticket_type.price is None or ticket_type.price < 0:
        errors["price"] = [_("The price cannot be negative.")]
    if ticket_type.quota is not None and ticket_type.quota > event.capacity:
        errors["quota"] = [_("The quota must fit in the event's capacity (%(n)d).") % {"n": event.capacity}]
    if ticket_type.on_sale_from and ticket_type.on_sale_until and ticket_type.on_sale_until <= ticket_type.on_sale_from:
        errors["on_sale_until"] = [_("Sales must end after they start.")]
    if (
        ticket_type.max_per_registration is not None
        and ticket_type.max_per_registration < ticket_type.min_per_registration
    ):
        errors["max_per_registration"] = [_("The maximum cannot be below the minimum.")]
    if errors:
        raise InvalidInput(fields=errors)


@transaction.atomic
def ticket_type_save(*, user, event: Event, ticket_type: TicketType | None = None, **fields) -> TicketType:
    """Create (``ticket_type`` None) or change one ticket type. Locks: the event row."""
    event = Event.objects.select_for_update().get(pk=event.pk)
    ensure_can_manage(user=user, organization_id=event.organization_id)
    unknown = set(fields) - TICKET_TYPE_FIELDS
    if unknown:
        raise TypeError(f"Unknown ticket type fields: {sorted(unknown)}")
    creating = ticket_type is None
    if creating:
        ticket_type = TicketType(event=event)
    elif ticket_type.event_id != event.pk:
        raise InvalidInput(_("This ticket type belongs to another event."))
    before = {name: ticket_type.serializable_value(name) for name in fields}
    for name, value in fields.items():
        setattr(ticket_type, name, value)
    ticket_type.event = event
    _check_ticket_type(ticket_type, event)
    ticket_type.save()
    event_price_sync(event=event)
    changes = audit.field_changes(before=before, after={name: ticket_type.serializable_value(name) for name in fields})
    audit.record_event(
        actor=user,
        action=AuditAction.TICKET_TYPE_SAVE,
        event=event,
        details={"ticket_type": ticket_type.pk, "created": creating, "changes": changes},
    )
    return ticket_type


@transaction.atomic
def ticket_type_delete(*, user, ticket_type: TicketType) -> None:
    """Remove a type nobody has registered with (one that sold seats is kept: hide it or end its sales)."""
    event = Event.objects.select_for_update().get(pk=ticket_type.event_id)
    ensure_can_manage(user=user, organization_id=event.organization_id)
    if ticket_type.lines.exists():
        raise Conflict(
            _("People registered with this ticket type: end its sales instead of deleting it."), code="ticket_type_used"
        )
    if TicketType.objects.filter(event=event).count() <= 1:
        raise Conflict(_("An event keeps at least one ticket type."), code="last_ticket_type")
    pk = ticket_type.pk
    ticket_type.delete()
    event_price_sync(event=event)
    audit.record_event(actor=user, action=AuditAction.TICKET_TYPE_DELETE, event=event, details={"ticket_type": pk})


def _check_promo_code(code: PromoCode, unlocks: list[TicketType]) -> None:
    errors: dict[str, list[str]] = {}
    if not code.code or not code.code.replace("-", "").replace("_", "").isalnum() or len(code.code) > 40:
        errors["code"] = [_("Use letters, digits, - or _ (at most 40).")]
    value = code.value if code.value is not None else Decimal("0")
    if code.discount == PromoCode.Discount.PERCENT and not (0 < value <= 100):
        errors["value"] = [_("A percentage is between 1 and 100.")]
    elif code.discount == PromoCode.Discount.AMOUNT and value <= 0:
        errors["value"] = [_("Give the amount taken off.")]
    if code.discount == PromoCode.Discount.NONE and not unlocks:
        errors["unlocks"] = [_("A code without a discount must unlock at least one hidden ticket type.")]
    if code.valid_from and code.valid_until and code.valid_until <= code.valid_from:
        errors["valid_until"] = [_("A code must stop being valid after it starts.")]
    if code.event_id and code.event.organization_id != code.organization_id:
        errors["event"] = [_("This event belongs to another organization.")]
    if any(t.event_id != code.event_id for t in unlocks):
        errors["unlocks"] = [_("A code unlocks ticket types of its own event only.")]
    if errors:
        raise InvalidInput(fields=errors)


@transaction.atomic
def promo_code_save(
    *,
    user,
    organization: Organization,
    promo_code: PromoCode | None = None,
    unlocks: list[TicketType] | None = None,
    **fields,
) -> PromoCode:
    """Create or change a code of ``organization`` (for one of its events, or all of them)."""
    ensure_can_manage(user=user, organization_id=organization.pk)
    unknown = set(fields) - PROMO_CODE_FIELDS
    if unknown:
        raise TypeError(f"Unknown code fields: {sorted(unknown)}")
    creating = promo_code is None
    if creating:
        promo_code = PromoCode(organization=organization)
    elif promo_code.organization_id != organization.pk:
        raise InvalidInput(_("This code belongs to another organization."))
    for name, value in fields.items():
        setattr(promo_code, name, value)
    promo_code.code = normalize_code(promo_code.code)
    unlocks = list(unlocks or [])
    _check_promo_code(promo_code, unlocks)
    if PromoCode.objects.filter(organization=organization, code=promo_code.code).exclude(pk=promo_code.pk).exists():
        raise InvalidInput(fields={"code": [_("Your organization already has this code.")]})
    try:
        with transaction.atomic():
            promo_code.save()
    except IntegrityError as exc:
        raise InvalidInput(fields={"code": [_("Your organization already has this code.")]}) from exc
    promo_code.unlocks.set(unlocks)
    audit.record(
        actor=user,
        action=AuditAction.PROMO_CODE_SAVE,
        organization_id=organization.pk,
        event_id=promo_code.event_id,
        target_type="promo_code",
        target_id=promo_code.pk,
        target_label=promo_code.code,
        details={"code": promo_code.code, "created": creating, "discount": promo_code.discount},
    )
    return promo_code
