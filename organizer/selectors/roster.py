"""Reads for the desk's registration list of one event: filters, search, what each row shows.

The list is one query for the rows (check-ins and payments as annotations) plus one for the
guests' tickets, however many rows there are (``tests/organizer/test_registrations_page.py``
pins it with 3 and 60 registrations).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.shortcuts import get_object_or_404

from checkin.models import CheckIn
from events.models import Event, Session
from organizations import access
from registrations.models import Registration, Ticket

PAID_CHOICES = ("paid", "due", "free")


@dataclass(frozen=True)
class RosterFilters:
    """What the organizer asked for; empty strings mean "any"."""

    q: str = ""
    status: str = ""
    session_id: int | None = None  # came to this session (an effective check-in there)
    paid: str = ""  # paid | due | free


def desk_event(*, user, slug: str) -> Event:
    """One event of an organization the user manages (404 otherwise: slugs must not be probed)."""
    return get_object_or_404(
        Event.objects.filter(access.managed_by(user)).select_related("organization", "venue"), slug=slug
    )


def effective_in(**filters) -> Exists:
    return Exists(
        CheckIn.objects.filter(
            registration=OuterRef("pk"), direction=CheckIn.Direction.IN, is_duplicate=False, reverted_at__isnull=True
        ).filter(**filters)
    )


def event_sessions(*, event: Event) -> list[Session]:
    return list(event.sessions.order_by("starts_at", "id"))


def roster(*, event: Event, filters: RosterFilters) -> QuerySet[Registration]:
    """The event's registrations, newest first, filtered; each with ``checked_in`` (any session)
    and its guests' tickets prefetched."""
    rows = (
        Registration.objects.filter(event=event)
        .annotate(checked_in=effective_in())
        .prefetch_related(Prefetch("tickets", queryset=Ticket.objects.order_by("position")))
        .order_by("-id")
    )
    if filters.status in Registration.Status.values:
        rows = rows.filter(status=filters.status)
    if filters.session_id is not None:
        rows = rows.filter(effective_in(session_id=filters.session_id))
    if filters.paid == "paid":
        rows = rows.filter(amount_due__gt=0, paid_at__isnull=False)
    elif filters.paid == "due":
        rows = rows.filter(amount_due__gt=0, paid_at__isnull=True)
    elif filters.paid == "free":
        rows = rows.filter(amount_due=0)
    query = filters.q.strip()
    if query:
        # A whole email address matches exactly (as at the door); names and guests by fragment.
        match = Q(email__iexact=query) if "@" in query else Q(name__icontains=query)
        guests = Ticket.objects.filter(registration=OuterRef("pk"), name__icontains=query)
        rows = rows.filter(match | Exists(guests))
    return rows


def desk_registration(*, event: Event, pk: int) -> Registration:
    """One registration of ``event`` (404 otherwise)."""
    return get_object_or_404(Registration.objects.select_related("event"), event=event, pk=pk)
