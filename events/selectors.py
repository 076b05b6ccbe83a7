"""Reads for events and sessions. Querysets come with their relations loaded (no N+1)."""

from __future__ import annotations

import datetime as dt

from django.core.cache import cache
from django.db import transaction
from django.db.models import Count, Max, Min, Prefetch, Q, QuerySet
from django.utils import timezone

from events.models import Event, PromoCode, Session, TicketType, normalize_code
from organizations import access
from organizations.models import Venue

_LIVE_SESSIONS = ~Q(sessions__status=Session.Status.CANCELLED)


def _with_schedule(queryset: QuerySet[Event]) -> QuerySet[Event]:
    return queryset.annotate(
        starts_at=Min("sessions__starts_at", filter=_LIVE_SESSIONS),
        ends_at=Max("sessions__ends_at", filter=_LIVE_SESSIONS),
        session_count=Count("sessions", filter=_LIVE_SESSIONS),
    )


# What a registration reads of its event before taking the lock: the event (without its long
# texts), the end of its last live session, its questions and its ticket types. A rush on one event
# asks for the same few rows thousands of times, so they are kept in the shared cache for a few
# seconds; every save or delete of them drops the entry (events.signals; the few bulk writes run in
# a transaction that also saves the event, and the drop is repeated on commit), and the expiry
# bounds how long a copy read just before a change can outlive it. What must be exact (status,
# capacity, seat counters, quotas) is read again under the event's lock by the registration itself.
REGISTRATION_FORM_SECONDS = 10
_REGISTRATION_FORM_LONG_TEXTS = ("description", "summary", "search_text")


def registration_form_key(slug: str) -> str:
    return f"registration-form:{slug}"


def event_for_registration(*, event_id: int | None = None, slug: str | None = None) -> Event | None:
    """The event to register for, by id or slug, with ``last_ends_at``, questions and ticket types.

    By slug (the API's rush path) it comes from the cache when a copy is there.
    """
    if slug is not None:
        event = cache.get(registration_form_key(slug))
        if event is not None:
            return event
    event = (
        Event.objects.annotate(last_ends_at=Max("sessions__ends_at", filter=_LIVE_SESSIONS))
        .defer(*_REGISTRATION_FORM_LONG_TEXTS)
        .prefetch_related("questions", "ticket_types")
        .filter(**({"pk": event_id} if event_id is not None else {"slug": slug}))
        .first()
    )
    if event is not None and slug is not None:
        cache.set(registration_form_key(slug), event, REGISTRATION_FORM_SECONDS)
    return event


def registration_form_forget(*, slug: str) -> None:
    """Drop the cached registration form of an event now and again when the transaction commits
    (a registration that read the old rows in between must not keep them for the whole expiry)."""
    key = registration_form_key(slug)
    cache.delete(key)
    transaction.on_commit(lambda: cache.delete(key))


def event_list(*, include_past: bool = False, now: dt.datetime | None = None) -> QuerySet[Event]:
    """Published events, by default only those not over yet, soonest first."""
    queryset = _with_schedule(Event.objects.published()).select_related(
        "organization", "category", "venue", "venue__organization"
    )
    if not include_past:
        queryset = queryset.filter(ends_at__gte=now or timezone.now())
    return queryset.order_by("starts_at", "id")


def event_detail_queryset() -> QuerySet[Event]:
    return (
        _with_schedule(Event.objects.published())
        .select_related("organization", "category", "venue", "venue__organization")
        .prefetch_related(
            Prefetch("sessions", queryset=Session.objects.select_related("venue", "venue__organization")),
            "questions",
            ticket_types_prefetch(),
        )
    )


def event_sessions(*, event: Event) -> QuerySet[Session]:
    return event.sessions.select_related("venue", "venue__organization", "event", "event__venue")


def organizer_events(*, user) -> QuerySet[Event]:
    return (
        _with_schedule(Event.objects.for_organizer(user))
        .select_related("organization", "category", "venue", "venue__organization")
        .prefetch_related(
            Prefetch("sessions", queryset=Session.objects.select_related("venue", "venue__organization")),
            "questions",
            ticket_types_prefetch(),
        )
        .order_by("-id")
        .distinct()
    )


def organizer_sessions(*, user) -> QuerySet[Session]:
    queryset = Session.objects.select_related("event", "event__venue", "venue", "venue__organization")
    return queryset.filter(access.managed_by(user, "event__organization"))


def organizer_venues(*, user) -> QuerySet[Venue]:
    return Venue.objects.filter(organization__in=access.managed_organizations(user=user)).select_related("organization")


def organization_week_sessions(*, organization_ids, week_start: dt.datetime) -> QuerySet[Session]:
    """Sessions of these organizations in the 7 days from ``week_start`` (aware)."""
    return (
        Session.objects.filter(
            event__organization_id__in=organization_ids,
            starts_at__lt=week_start + dt.timedelta(days=7),
            ends_at__gt=week_start,
        )
        .select_related("event", "event__venue", "event__organization", "venue")
        .order_by("starts_at")
    )


# --- ticket types ----------------------------------------------------------------------------------

# Registration.ACTIVE's statuses (registrations sits above events, which cannot import it;
# tests/registrations/test_ticket_types.py checks the two agree): seats held or waited for.
ACTIVE_REGISTRATION_STATUSES = ("confirmed", "pending_payment", "pending_email", "waitlisted")


def ticket_types_with_taken_queryset() -> QuerySet[TicketType]:
    return TicketType.objects.annotate(
        taken=Count("lines", filter=Q(lines__registration__status__in=ACTIVE_REGISTRATION_STATUSES))
    ).order_by("position", "id")


def ticket_types_prefetch() -> Prefetch:
    """Prefetch an event list's ticket types with ``taken``: one query for the whole list."""
    return Prefetch("ticket_types", queryset=ticket_types_with_taken_queryset())


def ticket_types_with_taken(*, event: Event) -> list[TicketType]:
    """Every ticket type of the event (the desk's view), each with ``taken``: seats of active
    registrations, in one query (none when ``ticket_types_prefetch`` loaded them)."""
    if "ticket_types" in getattr(event, "_prefetched_objects_cache", {}):
        types = list(event.ticket_types.all())
    else:
        types = list(ticket_types_with_taken_queryset().filter(event_id=event.pk))
    for ticket_type in types:
        ticket_type.event = event
    return types


def ticket_types_offered(*, event: Event, code_text: str | None = None) -> list[TicketType]:
    """The event's ticket types shown to the public (hidden ones only with a code that unlocks
    them), each with ``taken`` (seats of active registrations) annotated."""
    types = ticket_types_with_taken(event=event)
    unlocked: set[int] = set()
    if code_text and normalize_code(code_text):
        code = (
            PromoCode.objects.filter(organization_id=event.organization_id, code=normalize_code(code_text), active=True)
            .filter(Q(event__isnull=True) | Q(event_id=event.pk))
            .first()
        )
        if code is not None:
            unlocked = set(code.unlocks.values_list("pk", flat=True))
    return [t for t in types if not t.hidden or t.pk in unlocked]


def event_takes_codes(*, event: Event, now=None) -> bool:
    """Whether the registration form should ask for a code: the event, or its organization for
    all its events, has a code that is active and not yet expired."""
    now = now or timezone.now()
    return (
        PromoCode.objects.filter(organization_id=event.organization_id, active=True)
        .filter(Q(event__isnull=True) | Q(event_id=event.pk))
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gt=now))
        .exists()
    )


def ticket_type_seats_left(*, event: Event, ticket_type: TicketType) -> int:
    """Seats left of a type: the event's free seats, within the type's quota (``taken`` annotated)."""
    left = event.seats_left
    if ticket_type.quota is not None:
        left = min(left, max(ticket_type.quota - getattr(ticket_type, "taken", 0), 0))
    return left
