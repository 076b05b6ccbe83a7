"""Reads for events and sessions. Querysets come with their relations loaded (no N+1)."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Max, Min, Prefetch, Q, QuerySet
from django.utils import timezone

from events.models import Event, Session
from organizations import access
from organizations.models import Venue

_LIVE_SESSIONS = ~Q(sessions__status=Session.Status.CANCELLED)


def _with_schedule(queryset: QuerySet[Event]) -> QuerySet[Event]:
    return queryset.annotate(
        starts_at=Min("sessions__starts_at", filter=_LIVE_SESSIONS),
        ends_at=Max("sessions__ends_at", filter=_LIVE_SESSIONS),
        session_count=Count("sessions", filter=_LIVE_SESSIONS),
    )


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
