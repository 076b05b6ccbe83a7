"""The event cards of the desk's home and of an event's overview: three queries (events with
their counts, their sessions, the live sessions' check-ins), whatever the number of events."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Count, F, IntegerField, Max, Min, OuterRef, Prefetch, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from checkin.models import CheckIn
from common.i18n import content_languages
from events.models import Event, Session
from organizations import access
from registrations.models import Registration

# The texts a resident reads on the public page, in the order the completeness hint names them.
TRANSLATED_TEXTS = ("title", "summary", "description")


def _count(queryset: QuerySet) -> Subquery:
    """A correlated COUNT(*) as an annotation: one number per event without multiplying joins."""
    return Coalesce(
        Subquery(queryset.order_by().values("event_id").annotate(n=Count("pk")).values("n")[:1]),
        Value(0),
        output_field=IntegerField(),
    )


def missing_translations(event: Event, *, languages: list[str] | None = None) -> dict[str, list[str]]:
    """For each content language, the texts written in some language but not in this one
    (``{"ja": ["description"]}``). A text nobody wrote yet is nobody's gap."""
    missing: dict[str, list[str]] = {}
    for code in languages or content_languages():
        gaps = []
        for name in TRANSLATED_TEXTS:
            value = getattr(event, name) or {}
            written = any(isinstance(text, str) and text.strip() for text in value.values())
            if written and not (isinstance(value.get(code), str) and value[code].strip()):
                gaps.append(name)
        if gaps:
            missing[code] = gaps
    return missing


@dataclass
class EventCard:
    event: Event
    sessions: list[Session]
    starts_at: dt.datetime | None
    ends_at: dt.datetime | None
    seats_taken: int
    waitlisted: int
    payments_due: int
    live_session: Session | None = None
    checked_in: int = 0
    expected: int = 0
    missing: dict[str, list[str]] = field(default_factory=dict)

    @property
    def is_draft(self) -> bool:
        return self.event.status == Event.Status.DRAFT

    @property
    def checkin_percent(self) -> int:
        return round(100 * self.checked_in / self.expected) if self.expected else 0


def desk_events(*, user, now: dt.datetime | None = None, event_id: int | None = None) -> QuerySet[Event]:
    """The user's organizations' events that are not over yet (drafts whatever their dates),
    soonest first, each with its sessions and the number of payments it waits for."""
    now = now or timezone.now()
    live = ~Q(sessions__status=Session.Status.CANCELLED)
    due = Registration.objects.filter(event_id=OuterRef("pk")).filter(
        Q(status=Registration.Status.PENDING_PAYMENT)
        | Q(status=Registration.Status.CONFIRMED, payment_method=Registration.PaymentMethod.DOOR, paid_at__isnull=True)
    )
    events = Event.objects.filter(access.managed_by(user)).annotate(
        first_start=Min("sessions__starts_at", filter=live), last_end=Max("sessions__ends_at", filter=live)
    )
    if event_id is not None:  # one event's card, over or not
        events = events.filter(pk=event_id)
    else:
        events = events.filter(Q(status=Event.Status.DRAFT) | Q(last_end__gte=now) | Q(last_end__isnull=True))
    return (
        events.annotate(payments_due=_count(due))
        .select_related("organization", "venue", "category")
        .prefetch_related(Prefetch("sessions", queryset=Session.objects.order_by("starts_at", "pk")))
        .order_by(F("first_start").asc(nulls_last=True), "pk")
    )


def live_session(event: Event, sessions: list[Session], now: dt.datetime) -> Session | None:
    """The session whose door is open now (check-in opens ``checkin_opens_minutes`` before it starts)."""
    opens = dt.timedelta(minutes=event.checkin_opens_minutes)
    for session in sessions:
        if session.status != Session.Status.CANCELLED and session.starts_at - opens <= now <= session.ends_at:
            return session
    return None


def desk_event_cards(*, user, now: dt.datetime | None = None, event_id: int | None = None) -> list[EventCard]:
    """The home page's cards (or one event's, with ``event_id``): three queries (events with
    counts, their sessions, the live sessions' check-ins)."""
    now = now or timezone.now()
    languages = content_languages()
    cards = []
    for event in desk_events(user=user, now=now, event_id=event_id):
        sessions = list(event.sessions.all())
        cards.append(
            EventCard(
                event=event,
                sessions=sessions,
                starts_at=event.first_start,
                ends_at=event.last_end,
                seats_taken=event.seats_held,
                waitlisted=event.waitlist_count,
                payments_due=event.payments_due,
                live_session=live_session(event, sessions, now) if event.status == Event.Status.PUBLISHED else None,
                missing=missing_translations(event, languages=languages),
            )
        )
    live = {card.live_session.pk: card for card in cards if card.live_session}
    if live:
        counts = (
            CheckIn.objects.filter(
                session_id__in=live, direction=CheckIn.Direction.IN, status=CheckIn.Status.OK, is_duplicate=False
            )
            .order_by()
            .values("session_id")
            .annotate(n=Count("ticket_id", distinct=True))
        )
        for row in counts:
            live[row["session_id"]].checked_in = row["n"]
        for card in live.values():
            card.expected = card.seats_taken
    return cards
