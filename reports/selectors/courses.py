"""Courses: who came to which session, and who completed.

A **participant** is a seat (ticket) of a confirmed registration: a registrant who brings a
guest to a course brings a second participant, with their own check-ins and certificate.
**Completion** = sessions attended / sessions held, complete at the course's
``completion_threshold`` (default 75 %) — i.e. at least ``sessions_needed`` sessions; a course
with no held session yet has no completions (definitions in ``checkin/completion.py``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from fractions import Fraction

from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from checkin.completion import Completion
from checkin.completion import participant_completion as completion_of
from checkin.models import CheckIn
from common.exceptions import NotFound
from events.models import Event, Session
from registrations.models import Ticket
from reports.selectors.common import (
    CONFIRMED,
    EFFECTIVE_IN,
    event_sessions,
    is_held,
    rate,
    sessions_needed,
    threshold_of,
)


def _attended_count(held_ids: list[int]) -> Coalesce:
    """Per ticket: how many of the held sessions it has an effective in at (a correlated COUNT)."""
    attended = (
        CheckIn.objects.filter(EFFECTIVE_IN, ticket_id=OuterRef("pk"), session_id__in=held_ids)
        .order_by()
        .values("ticket_id")
        .annotate(n=Count("session_id", distinct=True))
        .values("n")
    )
    return Coalesce(Subquery(attended, output_field=IntegerField()), 0)


def _first_in(session_id: int) -> Subquery:
    """Per ticket: when it first came in to this session (None if it never did)."""
    return Subquery(
        CheckIn.objects.filter(EFFECTIVE_IN, ticket_id=OuterRef("pk"), session_id=session_id)
        .order_by("entry", "scanned_at")
        .values("scanned_at")[:1]
    )


def participants(*, event: Event) -> QuerySet[Ticket]:
    return Ticket.objects.filter(registration__event_id=event.pk, registration__status=CONFIRMED)


def course_summary(*, event: Event, sessions: list[Session], now: dt.datetime) -> dict:
    """Held sessions, the threshold, and how many participants attended 0, 1, 2… of them (one query)."""
    held_ids = [session.pk for session in sessions if is_held(session, now=now)]
    threshold = threshold_of(event)
    needed = sessions_needed(held=len(held_ids), threshold=threshold)
    rows = (
        participants(event=event)
        .annotate(attended=_attended_count(held_ids))
        .values("attended")
        .annotate(participants=Count("id"))
        .order_by("attended")
    )
    found = {row["attended"]: row["participants"] for row in rows}
    total = sum(found.values())
    completed = sum(n for attended, n in found.items() if held_ids and attended >= needed)
    return {
        "threshold": float(threshold),
        "held_sessions": len(held_ids),
        "sessions_needed": needed,
        "participants": total,
        "completed": completed,
        "completion_rate": rate(completed, total) if held_ids else None,
        "distribution": [
            {"sessions_attended": attended, "participants": found.get(attended, 0)}
            for attended in range(len(held_ids) + 1)
        ],
    }


@dataclass
class AttendanceTable:
    """The attendance matrix: one row per participant, one column per (not cancelled) session."""

    event: Event
    sessions: list[Session]
    held_ids: list[int]
    needed: int
    threshold: Fraction
    rows: QuerySet[Ticket]

    @staticmethod
    def column(session: Session) -> str:
        return f"s{session.pk}"


def attendance_table(*, event: Event, now: dt.datetime | None = None) -> AttendanceTable:
    """Participants annotated with their first arrival at each session (``s<id>``) and the number of
    held sessions attended. One query however many rows; iterate or paginate it."""
    now = now or timezone.now()
    sessions = [s for s in event_sessions(event=event) if s.status != Session.Status.CANCELLED]
    held_ids = [s.pk for s in sessions if is_held(s, now=now)]
    threshold = threshold_of(event)
    rows = (
        participants(event=event)
        .select_related("registration")
        .only(
            "id",
            "position",
            "name",
            "registration__id",
            "registration__name",
            "registration__email",
            "registration__language",
        )
        .annotate(attended=_attended_count(held_ids))
        .annotate(**{AttendanceTable.column(s): _first_in(s.pk) for s in sessions})
        .order_by("registration__name", "registration_id", "position")
    )
    return AttendanceTable(
        event=event,
        sessions=sessions,
        held_ids=held_ids,
        needed=sessions_needed(held=len(held_ids), threshold=threshold),
        threshold=threshold,
        rows=rows,
    )


def participant_completion(*, event: Event, registration_id: int, seat: int = 0, now=None) -> Completion:
    """One participant's completion. Not found unless a confirmed seat of this course."""
    if event.kind != Event.Kind.COURSE:
        raise NotFound("Certificates are issued for courses.")
    completion = completion_of(event=event, registration_id=registration_id, seat=seat, now=now)
    if completion is None:
        raise NotFound()
    return completion
