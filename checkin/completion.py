"""Course completion: who attended enough of a course's held sessions to complete it.

The one definition every reader shares (the organizer's reports and certificates, the
attendee's manage page, the certificate email):

- a session is **held** when it is not cancelled and has started (``starts_at <= now``);
- a seat (ticket) **attended** a session when it has an *effective in* there: direction "in",
  not reverted, not a recorded duplicate;
- a seat **completed** the course when it attended at least the course's
  ``completion_threshold`` per cent of the held sessions (exact: 6 of 8 is 75 %, never 74.99…);
  a course with no held session has no completions.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from fractions import Fraction

from django.db.models import Q
from django.utils import timezone

from checkin.models import CheckIn
from events.models import Event, Session
from registrations.models import Registration, Ticket

EFFECTIVE_IN = Q(direction="in", is_duplicate=False, reverted_at__isnull=True)


def is_held(session: Session, *, now: dt.datetime) -> bool:
    return session.status != Session.Status.CANCELLED and session.starts_at <= now


def threshold_of(event: Event) -> Fraction:
    """The course's threshold as an exact ratio (75 → 3/4)."""
    return Fraction(event.completion_threshold, 100)


def sessions_needed(*, held: int, threshold: Fraction) -> int:
    """Fewest attended sessions that reach the threshold (0 held sessions: nobody can complete)."""
    if held == 0:
        return 0
    product = threshold * held
    return -(-product.numerator // product.denominator)  # ceil without floats


@dataclass
class Completion:
    ticket: Ticket
    registration: Registration
    held: list[Session]
    attended: list[Session]
    needed: int

    @property
    def completed(self) -> bool:
        return bool(self.held) and len(self.attended) >= self.needed


def held_sessions(*, event: Event, now: dt.datetime) -> list[Session]:
    sessions = Session.objects.filter(event_id=event.pk).order_by("starts_at", "id")
    held = [session for session in sessions if is_held(session, now=now)]
    for session in held:
        session.event = event  # translations fall back to the event's language: no query per session
    return held


def seat_completions(*, event: Event, tickets: list[Ticket], now: dt.datetime | None = None) -> list[Completion]:
    """The completion of each of these seats of ``event`` (two queries however many seats)."""
    now = now or timezone.now()
    held = held_sessions(event=event, now=now)
    needed = sessions_needed(held=len(held), threshold=threshold_of(event))
    attended: dict[int, set[int]] = {ticket.pk: set() for ticket in tickets}
    rows = CheckIn.objects.filter(
        EFFECTIVE_IN, ticket_id__in=list(attended), session_id__in=[s.pk for s in held]
    ).values_list("ticket_id", "session_id")
    for ticket_id, session_id in rows:
        attended[ticket_id].add(session_id)
    return [
        Completion(
            ticket=ticket,
            registration=ticket.registration,
            held=held,
            attended=[s for s in held if s.pk in attended[ticket.pk]],
            needed=needed,
        )
        for ticket in tickets
    ]


def participant_completion(
    *, event: Event, registration_id: int, seat: int = 0, now: dt.datetime | None = None
) -> Completion | None:
    """One seat's completion; None unless it is a seat of a confirmed registration of this course."""
    if event.kind != Event.Kind.COURSE:
        return None
    ticket = (
        Ticket.objects.select_related("registration")
        .filter(
            registration__event_id=event.pk,
            registration__status=Registration.Status.CONFIRMED,
            registration_id=registration_id,
            position=seat,
        )
        .first()
    )
    if ticket is None:
        return None
    return seat_completions(event=event, tickets=[ticket], now=now)[0]


def completed_seats(*, registration: Registration, now: dt.datetime | None = None) -> list[Completion]:
    """The seats of this registration that completed its course (empty for events and for
    registrations that are not confirmed)."""
    event = registration.event
    if event.kind != Event.Kind.COURSE or registration.status != Registration.Status.CONFIRMED:
        return []
    tickets = list(registration.tickets.order_by("position"))
    for ticket in tickets:
        ticket.registration = registration
    return [c for c in seat_completions(event=event, tickets=tickets, now=now) if c.completed]
