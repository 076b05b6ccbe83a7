"""The organizer's use cases that span apps, each one transaction.

An edit of the catalogue (``events.services``) says what it changed; here that change reaches
everyone it concerns: attendees get notices with updated calendars (``notifications.notices``),
the waiting list moves up when seats appear (``registrations.services.seats``), paid seats are
refunded when an event is cancelled (``registrations.services.payments``). The API
(``organizer.apis``) and the admin (``organizer.admin``) both call these functions, so an edit
has the same effects whichever screen it is made on.

Lock order, always: the event row first (taken by the ``events.services`` call), then
registrations (by the seat ledger, under the same transaction).
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django.db import transaction
from django.utils import timezone

from audit import services as audit
from audit.models import AuditAction
from events import services as events
from events.models import Event, Session
from events.recurrence import localize
from notifications import notices
from registrations.services import payments, seats


@transaction.atomic
def event_update(*, user, event: Event, **fields) -> Event:
    """Edit an event. A new venue sends notices for the sessions that moved with it; more seats
    promote the waiting list. Locks: the event row, then its waiting registrations."""
    change = events.event_change(user=user, event=event, **fields)
    event = change.event
    if change.moved_sessions:
        notices.notify_venue_changed(event=event, old_venue_id=change.old_venue_id)
    if change.capacity_raised and event.waitlist_count:
        seats.waitlist_promote(event_id=event.pk)  # the lock is already held
    return event


@transaction.atomic
def event_cancel(*, user, event: Event) -> Event:
    """Cancel an event: what was paid online is refunded (queued after commit), every active
    registration gets a cancellation notice. Locks: the event row, then its payments."""
    event, cancelled_now = events.event_mark_cancelled(user=user, event=event)
    if not cancelled_now:
        return event
    refunds = payments.refund_event_payments(event=event)
    notified = notices.notify_event_cancelled(event=event)
    audit.record_event(
        actor=user,
        action=AuditAction.EVENT_CANCEL,
        event=event,
        details={"refunds_queued": refunds, "notices": len(notified)},
    )
    return event


@transaction.atomic
def session_update(*, user, session: Session, allow_overlap: bool = False, **fields) -> Session:
    """Move or retitle a session; a move sends every attendee a notice with the new time and place
    and an updated calendar entry. Locks: the event row."""
    change = events.session_change(user=user, session=session, allow_overlap=allow_overlap, **fields)
    if change.moved:
        notices.notify_session_changed(
            session=change.session,
            old_starts_at=change.old_starts_at,
            old_ends_at=change.old_ends_at,
            old_venue_id=change.old_venue_id,
        )
    return change.session


@transaction.atomic
def session_cancel(*, user, session: Session) -> Session:
    """Cancel one session and tell its attendees (calendars drop it). Locks: the event row."""
    session, cancelled_now = events.session_mark_cancelled(user=user, session=session)
    if cancelled_now:
        notices.notify_session_cancelled(session=session)
    return session


@transaction.atomic
def sessions_generate(*, user, event: Event, **kwargs) -> list[Session]:
    """Generate sessions from a rule (``events.services.sessions_generate``) and tell attendees of
    what was added or replaced. Locks: the event row."""
    change = events.sessions_generate(user=user, event=event, **kwargs)
    notices.notify_schedule_changed(event=event, created=change.created, cancelled_ids=change.cancelled_ids)
    return change.created


@transaction.atomic
def event_duplicate(*, user, event: Event, slug: str, first_day: dt.date) -> Event:
    """Copy an event as a new draft: its texts, settings and questions, and its sessions that are
    not cancelled, moved by whole days so the first one falls on ``first_day`` at the same
    wall-clock times in the event's zone (registration opening and closing move with them).
    Not copied: the image (its file belongs to the original), registrations, the recurrence rule.
    Locks: the copy's row (taken by each ``session_create``); the original is only read."""
    zone = zoneinfo.ZoneInfo(event.timezone)
    sessions = list(event.sessions.exclude(status=Session.Status.CANCELLED).order_by("starts_at", "pk"))
    shift = dt.timedelta(days=(first_day - sessions[0].starts_at.astimezone(zone).date()).days) if sessions else None
    fields = {name: getattr(event, name) for name in events.EVENT_FIELDS}
    fields["slug"] = slug
    for name in ("registration_opens_at", "registration_closes_at"):
        if fields[name] is not None:
            fields[name] = fields[name] + shift if shift is not None else None
    copy = events.event_create(user=user, organization=event.organization, **fields)
    questions = [
        {
            "key": question.key,
            "kind": question.kind,
            "label_i18n": question.label,
            "required": question.required,
            "choices": question.choices,
            "show_at_checkin": question.show_at_checkin,
        }
        for question in event.questions.order_by("position", "pk")
    ]
    if questions:
        events.event_set_questions(user=user, event=copy, questions=questions)
    for session in sessions:
        # Shift the local wall-clock time, not the instant: 19:00 stays 19:00 across a DST change.
        starts = timezone.make_naive(session.starts_at, zone) + shift
        ends = timezone.make_naive(session.ends_at, zone) + shift
        events.session_create(
            user=user,
            event=copy,
            starts_at=localize(starts, event.timezone),
            ends_at=localize(ends, event.timezone),
            venue=session.venue,
            title=session.title,
            allow_overlap=True,  # the desk warns about clashes after the copy (organizer.views.actions)
        )
    return copy
