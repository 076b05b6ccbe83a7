"""Reads for registrations: access checks by manage token, links, organizer lists."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db.models import Count, Max, Prefetch, Q, QuerySet, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext as _

from common.exceptions import NotFound
from common.i18n import content_languages, pick
from events import refund_policy
from events.models import Event, PromoCode, Session
from organizations import access
from organizations.models import Organization
from registrations.models import (
    CalendarFeed,
    FapiaoRequest,
    Payment,
    Receipt,
    Refund,
    Registration,
    RegistrationLine,
    RegistrationsLink,
)


def event_is_over(*, event_id: int, now: dt.datetime) -> bool:
    """The event has sessions going ahead and every one of them has ended: it is history."""
    live = Session.objects.filter(event_id=event_id).exclude(status=Session.Status.CANCELLED)
    last = live.aggregate(last=Max("ends_at"))["last"]
    return last is not None and last <= now


def _absolute(path: str, absolute: bool = True) -> str:
    """``SITE_URL`` + path for what leaves the site (emails, API bodies, calendars); our own pages
    pass ``absolute=False`` so their links work on whatever host and port served them."""
    return f"{settings.SITE_URL}{path}" if absolute else path


def manage_url(*, registration: Registration) -> str:
    """The attendee's private page (see, cancel, ticket, calendar). The token is the only key."""
    return _absolute(f"/manage/{registration.manage_token}/")


def registration_links(*, registration: Registration, absolute: bool = True) -> dict[str, str | None]:
    """Private links of one registration; ticket and calendar only once it is confirmed."""
    token = registration.manage_token
    links: dict[str, str | None] = {"manage_url": _absolute(f"/manage/{token}/", absolute)}
    confirmed = registration.status == Registration.Status.CONFIRMED
    ticket = reverse("registrations:registration-ticket", kwargs={"pk": registration.pk, "fmt": "png"})
    calendar = reverse("registrations:registration-calendar", kwargs={"pk": registration.pk})
    links["ticket_url"] = _absolute(f"{ticket}?token={token}", absolute) if confirmed else None
    links["calendar_url"] = _absolute(f"{calendar}?token={token}", absolute) if confirmed else None
    return links


def calendar_feed_urls(*, email: str) -> dict[str, str] | None:
    """The https:// and webcal:// URLs of the address's private feed, or None if it has none.

    Only ever put in an email to that address (see ``calendar_feed_send``)."""
    token = CalendarFeed.objects.filter(email=email).values_list("token", flat=True).first()
    if token is None:
        return None
    https_url = _absolute(reverse("registrations:personal-feed", kwargs={"token": token}))
    return {"feed_url": https_url, "webcal_url": "webcal://" + https_url.split("://", 1)[1]}


def payment_url(*, registration: Registration, absolute: bool = True) -> str:
    """Our own stable link that opens (or reopens) Stripe Checkout for a pending registration."""
    path = reverse("registrations:registration-pay", kwargs={"pk": registration.pk})
    return _absolute(f"{path}?token={registration.manage_token}", absolute)


def ticket_image_url(*, registration: Registration, position: int, fmt: str, absolute: bool = True) -> str:
    path = reverse("registrations:registration-ticket", kwargs={"pk": registration.pk, "fmt": fmt})
    return _absolute(f"{path}?token={registration.manage_token}&seat={position}", absolute)


def registration_access(*, pk: int, token: str | None, user, organizers: bool = True) -> tuple[Registration, bool]:
    """The registration and whether the caller is its attendee (holds its manage token or owns it).

    Otherwise (``organizers``) the caller organizes its event: they may read and cancel it, but
    are never handed its manage token, which opens what is the attendee's alone (see
    ``registration_for_request``). Anyone else gets NotFound, not Forbidden: ids must not be probed.
    """
    registration = (
        Registration.objects.select_related("event", "event__organization", "event__venue")
        .select_related("promo_code")
        .prefetch_related("tickets", "lines__ticket_type")
        .filter(pk=pk)
        .first()
    )
    if registration is None:
        raise NotFound()
    if token and constant_time_compare(token, registration.manage_token):
        return registration, True
    if user is not None and user.is_authenticated:
        if registration.user_id == user.pk:
            return registration, True
        if organizers and access.can_manage(user=user, organization_id=registration.event.organization_id):
            return registration, False
    raise NotFound()


def registration_for_request(*, pk: int, token: str | None, user, organizers: bool = True) -> Registration:
    """The registration if the caller holds its manage token, owns it, or (``organizers``)
    organizes its event.

    ``organizers=False`` for what is the attendee's alone: their rating of the event (an
    organizer must not write it) and their personal calendar feed (it lists their registrations
    with every organization, not only the caller's). Anyone else gets NotFound, not Forbidden:
    ids must not be probed.
    """
    return registration_access(pk=pk, token=token, user=user, organizers=organizers)[0]


def waitlist_position(*, registration: Registration) -> int | None:
    if registration.status != Registration.Status.WAITLISTED:
        return None
    ahead = Registration.objects.filter(event_id=registration.event_id).waitlisted_in_order()
    ahead = ahead.filter(
        Q(waitlisted_at__lt=registration.waitlisted_at)
        | Q(waitlisted_at=registration.waitlisted_at, pk__lt=registration.pk)
    )
    return ahead.count() + 1


def event_registrations(*, event: Event) -> QuerySet[Registration]:
    return Registration.objects.filter(event=event).select_related("event").prefetch_related("tickets").order_by("id")


@dataclass(frozen=True)
class RegistrationState:
    """Whether an event takes registrations now, and if not, why: one answer for the form on the
    event page and for the registration service (which turns ``code`` into its error)."""

    open: bool
    code: str = ""  # not_found | event_cancelled | registration_not_open | registration_closed | event_over | …
    message: str = ""
    opens_at: dt.datetime | None = None


def registration_state(
    *, event: Event, ends_at: dt.datetime | None, now: dt.datetime, payments_enabled: bool
) -> RegistrationState:
    """``ends_at``: the end of the event's last session that is not cancelled (None: no session).

    ``payment_unavailable`` closes only a paid event that cannot be paid at all (online payment
    off and no payment at the door); the service checks the payer's own choice itself.
    """
    if event.status == Event.Status.DRAFT:
        return RegistrationState(False, "not_found", str(_("No such event.")))
    if event.status == Event.Status.CANCELLED:
        return RegistrationState(False, "event_cancelled", str(_("This event has been cancelled.")))
    if event.registration_opens_at and now < event.registration_opens_at:
        return RegistrationState(
            False,
            "registration_not_open",
            str(_("Registration has not opened yet.")),
            opens_at=event.registration_opens_at,
        )
    if event.registration_closes_at and now >= event.registration_closes_at:
        return RegistrationState(False, "registration_closed", str(_("Registration has closed.")))
    if ends_at is None or ends_at <= now:
        return RegistrationState(False, "event_over", str(_("This event is over.")))
    if event.price > 0 and not payments_enabled and not event.allow_pay_at_door:
        return RegistrationState(
            False,
            "payment_unavailable",
            str(
                _(
                    "Online payment is not available at the moment, so this paid event cannot be booked online. "
                    "Please try again later or contact the organizer."
                )
            ),
        )
    return RegistrationState(True)


# --- calendar feed validators ----------------------------------------------------------------------
# Subscribed calendars poll their feeds every hour or so. A feed is rendered again only when
# something it shows changed; its version is read with two small aggregate queries whatever its
# size. Every write of what a feed shows moves an ``updated_at`` (models' auto_now, and the few
# ``.update()`` calls that move sessions set it), or a count (a row deleted).

FEED_FORMAT = "2"  # bump when the rendering itself changes, so cached feeds and ETags renew


@dataclass(frozen=True)
class FeedVersion:
    token: str
    last_modified: dt.datetime | None


def _latest(*moments: dt.datetime | None) -> dt.datetime | None:
    present = [moment for moment in moments if moment is not None]
    return max(present) if present else None


def _places_version() -> tuple[str, dt.datetime | None]:
    """Organizations and venues (names, addresses) appear in every feed; there are few of them."""
    row = Organization.objects.aggregate(
        n_organizations=Count("pk", distinct=True),
        organizations_at=Max("updated_at"),
        n_venues=Count("venues", distinct=True),
        venues_at=Max("venues__updated_at"),
    )
    token = f"{row['n_organizations']}.{row['organizations_at']}.{row['n_venues']}.{row['venues_at']}"
    return token, _latest(row["organizations_at"], row["venues_at"])


def events_feed_version(*, events: QuerySet[Event]) -> FeedVersion:
    """The version of a feed of ``events`` (any queryset of events, sliced or filtered)."""
    row = Event.objects.filter(pk__in=events.values("pk")).aggregate(
        n_events=Count("pk", distinct=True),
        events_at=Max("updated_at"),
        n_sessions=Count("sessions", distinct=True),
        sessions_at=Max("sessions__updated_at"),
    )
    places, places_at = _places_version()
    token = f"{FEED_FORMAT}|{row['n_events']}.{row['events_at']}.{row['n_sessions']}.{row['sessions_at']}|{places}"
    return FeedVersion(token=token, last_modified=_latest(row["events_at"], row["sessions_at"], places_at))


def personal_feed_version(*, registrations: QuerySet[Registration]) -> FeedVersion:
    """A personal feed changes with its registrations (status, name) and with their events."""
    row = registrations.order_by().aggregate(n=Count("pk"), at=Max("updated_at"))
    events = events_feed_version(events=Event.objects.filter(pk__in=registrations.values("event_id")))
    token = f"{events.token}|{row['n']}.{row['at']}"
    return FeedVersion(token=token, last_modified=_latest(events.last_modified, row["at"]))


# --- "My registrations": every registration of one address, behind an expiring mailed link ------


def my_registrations_url(*, email: str, now: dt.datetime | None = None) -> str | None:
    """The newest unexpired link of the address, absolute (it goes in an email), or None."""
    link = (
        RegistrationsLink.objects.filter(email=email, expires_at__gt=now or timezone.now())
        .order_by("-expires_at")
        .first()
    )
    return _absolute(reverse("pages:my-registrations-list", kwargs={"token": link.token})) if link else None


def my_registrations_link(*, token: str, now: dt.datetime) -> RegistrationsLink | None:
    if not token or len(token) > 64:
        return None
    return RegistrationsLink.objects.filter(token=token, expires_at__gt=now).first()


def my_registrations(*, email: str) -> QuerySet[Registration]:
    """The address's registrations (not erased), newest first, with what the list shows loaded."""
    sessions = Session.objects.select_related("venue").order_by("starts_at", "id")
    return (
        Registration.objects.filter(email=email, anonymised_at__isnull=True)
        .select_related("event", "event__organization", "event__venue")
        .prefetch_related("tickets", Prefetch("event__sessions", queryset=sessions))
        .order_by("-created_at", "-id")
    )


# After this many failed tries a refund needs a person (Stripe keeps refusing it).
REFUND_ALERT_ATTEMPTS = 5


def refunds_stuck(
    *, organization: Organization | None = None, organizations=None, event: Event | None = None
) -> QuerySet[Refund]:
    """Refunds still pending after REFUND_ALERT_ATTEMPTS sweeps: what the organizer desk shows as an alert."""
    refunds = Refund.objects.filter(status=Refund.Status.PENDING, attempts__gte=REFUND_ALERT_ATTEMPTS).select_related(
        "payment__registration__event"
    )
    if organization is not None:
        refunds = refunds.filter(payment__registration__event__organization=organization)
    if organizations is not None:
        refunds = refunds.filter(payment__registration__event__organization__in=organizations)
    if event is not None:
        refunds = refunds.filter(payment__registration__event=event)
    return refunds.order_by("requested_at", "id")


def receipt_lines(registration: Registration) -> list[dict]:
    """What the registration pays for, as the receipt keeps it: one line per kind of seat (its
    ticket type, price and discount, from ``charge_lines``), described in every language the site
    speaks ("Dumpling evening · Student"), the unit price after any code's discount."""
    event = registration.event
    title = {code: pick(event.title, code, [event.default_language]) for code in content_languages()}
    lines = []
    for line in charge_lines(registration):
        if line.ticket_type_id is not None:
            description = {code: f"{title[code]} · {line.label_i18n.get(code, '')}".rstrip(" ·") for code in title}
        else:
            description = title
        lines.append(
            {
                "description": {code: text for code, text in description.items() if text} or {"en": event.slug},
                "quantity": line.quantity,
                "unit_price": str(line.unit_amount - line.discount),
                "amount": str(line.amount),
            }
        )
    return lines


REFUND_OPEN_STATUSES = (Refund.Status.PENDING, Refund.Status.SUCCEEDED)


def payment_refunded_total(payment: Payment) -> Decimal:
    """Refunded or on its way back on this payment (every refund not failed)."""
    total = payment.refunds.filter(status__in=REFUND_OPEN_STATUSES).aggregate(total=Sum("amount"))["total"]
    return total or Decimal(0)


def payment_refundable(payment: Payment) -> Decimal:
    """What can still be given back through Stripe: the amount minus every refund not failed."""
    if payment.provider != Payment.Provider.STRIPE or payment.status not in (
        Payment.Status.PAID,
        Payment.Status.REFUND_PENDING,
    ):
        return Decimal(0)
    return max(payment.amount - payment_refunded_total(payment), Decimal(0))


def refundable_payments(*, registration: Registration) -> QuerySet[Payment]:
    """The registration's online payments that may still have money to give back, oldest first."""
    return registration.payments.filter(
        provider=Payment.Provider.STRIPE, status__in=(Payment.Status.PAID, Payment.Status.REFUND_PENDING)
    ).order_by("pk")


def registration_refundable(*, registration: Registration) -> Decimal:
    return sum((payment_refundable(p) for p in refundable_payments(registration=registration)), Decimal(0))


@dataclass(frozen=True)
class RefundOnCancel:
    percent: Decimal
    amount: Decimal  # what a cancel now would give back
    currency: str


def refund_on_cancel(*, registration: Registration, now: dt.datetime) -> RefundOnCancel | None:
    """What cancelling now gives back by the event's policy (the cancel screen says it); None
    when nothing was paid online."""
    payments = list(refundable_payments(registration=registration))
    if not payments:
        return None
    percent = refund_policy.refund_percent(
        event=registration.event, first_start=refund_policy.event_first_start(registration.event), now=now
    )
    amount = Decimal(0)
    for payment in payments:
        target = payment.amount * percent / refund_policy.FULL
        amount += max(min(target - payment_refunded_total(payment), payment_refundable(payment)), Decimal(0))
    return RefundOnCancel(percent=percent, amount=amount.quantize(Decimal("0.01")), currency=registration.currency)


def registration_refunds(*, registration: Registration) -> QuerySet[Refund]:
    return Refund.objects.filter(payment__registration=registration).select_related("payment").order_by("id")


def registration_receipts(*, registration: Registration) -> QuerySet[Receipt]:
    return registration.receipts.select_related("organization", "payment").order_by("number")


def fapiao_requests(*, organizations) -> QuerySet[FapiaoRequest]:
    """Fapiao requests of the organizations' events, newest first, with the receipt numbers."""
    return (
        FapiaoRequest.objects.filter(registration__event__organization__in=organizations)
        .select_related("registration__event__organization")
        .prefetch_related("registration__receipts__organization")
        .order_by("issued_at", "-created_at")
    )


# --- what a registration is charged (ticket types and codes; receipts read this too) --------------


@dataclass(frozen=True)
class ChargeLine:
    """One line of a bill: seats of one ticket type at one price and discount.

    ``label`` is in the language asked for, ``label_i18n`` in every content language; ``unit_amount``
    and ``discount`` are per seat, ``amount`` = quantity × (unit_amount − discount)."""

    label: str
    label_i18n: dict[str, str]
    quantity: int
    unit_amount: Decimal
    discount: Decimal
    amount: Decimal
    currency: str
    ticket_type_id: int | None


def _line_label_i18n(line: RegistrationLine, event: Event) -> dict[str, str]:
    if line.ticket_type_id is not None:
        source, fallbacks = line.ticket_type.name, [event.default_language]
    else:  # an event without ticket types: the event's own title names the seat
        source, fallbacks = event.title, [event.default_language]
    return {code: pick(source, code, fallbacks) for code in content_languages()}


def charge_lines(registration: Registration, *, language: str | None = None) -> list[ChargeLine]:
    """The registration's bill, seats grouped by ticket type, price and discount, in seat order.

    The amounts add up to ``registration.amount_due`` (for a paid registration). ``language``
    defaults to the registration's own. Uses the ``lines`` prefetch when there is one."""
    event = registration.event
    language = language or registration.language
    lines = registration.lines.all()
    if "lines" not in getattr(registration, "_prefetched_objects_cache", {}):
        lines = lines.select_related("ticket_type")
    groups: dict[tuple, list[RegistrationLine]] = {}
    for line in sorted(lines, key=lambda item: item.position):
        groups.setdefault((line.ticket_type_id, line.unit_price, line.discount), []).append(line)
    result = []
    for (ticket_type_id, unit_price, discount), members in groups.items():
        label_i18n = _line_label_i18n(members[0], event)
        result.append(
            ChargeLine(
                label=label_i18n.get(language) or pick(label_i18n, language, [event.default_language]),
                label_i18n=label_i18n,
                quantity=len(members),
                unit_amount=unit_price,
                discount=discount,
                amount=sum((line.amount for line in members), Decimal("0")),
                currency=registration.currency,
                ticket_type_id=ticket_type_id,
            )
        )
    return result


def promo_code_usage(*, codes: QuerySet[PromoCode]) -> QuerySet[PromoCode]:
    """Codes with ``uses`` (active registrations carrying them) and ``uses_ever`` annotated."""
    return codes.annotate(
        uses=Count("registrations", filter=Q(registrations__status__in=Registration.ACTIVE), distinct=True),
        uses_ever=Count("registrations", distinct=True),
    ).prefetch_related("unlocks")
