"""Reads for the outbox and the scheduled messages (beat): what is due, and to whom."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db.models import Exists, Max, OuterRef, Q, QuerySet

from checkin.models import CheckIn
from events.models import Event, Session
from notifications.models import Notification
from registrations.models import Registration

MAX_REMINDER_HOURS = 168  # Event.reminder_hours is capped there
# Feedback is asked for this long after an event's last session, and not for events older than the window.
FEEDBACK_DELAY = dt.timedelta(hours=2)
FEEDBACK_WINDOW = dt.timedelta(days=3)


def sweep_grace() -> dt.timedelta:
    """The sweeper leaves rows alone this long past their due time: their queued task should come first."""
    return dt.timedelta(seconds=getattr(settings, "NOTIFICATION_SWEEP_GRACE_SECONDS", 120))


_ATTENDEE_FIELDS = ("pk", "email", "language", "event_id")


def sessions_due_for_reminder(*, now: dt.datetime) -> list[Session]:
    """Upcoming sessions of published events whose reminder time (starts_at − reminder_hours) has come."""
    candidates = (
        Session.objects.filter(
            starts_at__gt=now,
            starts_at__lte=now + dt.timedelta(hours=MAX_REMINDER_HOURS),
            event__status=Event.Status.PUBLISHED,
        )
        .exclude(status=Session.Status.CANCELLED)
        .exclude(event__reminder_hours=0)
        .select_related("event")
        .order_by("starts_at", "id")
    )
    return [s for s in candidates if s.starts_at - dt.timedelta(hours=s.event.reminder_hours) <= now]


def reminder_recipients(*, session: Session) -> QuerySet[Registration]:
    """Confirmed attendees who were confirmed before the reminder time, in id order.

    Someone confirmed later (registered or promoted late) just got a confirmation with the same
    facts. ``session.event`` must be loaded.
    """
    remind_at = session.starts_at - dt.timedelta(hours=session.event.reminder_hours)
    return (
        Registration.objects.filter(event_id=session.event_id, status=Registration.Status.CONFIRMED)
        .filter(Q(confirmed_at__isnull=True) | Q(confirmed_at__lte=remind_at))
        .only(*_ATTENDEE_FIELDS)
        .order_by("id")
    )


def events_due_for_feedback(*, now: dt.datetime) -> QuerySet[Event]:
    live = ~Q(sessions__status=Session.Status.CANCELLED)
    return (
        Event.objects.filter(status=Event.Status.PUBLISHED)
        .annotate(last_ends_at=Max("sessions__ends_at", filter=live))
        .filter(last_ends_at__lte=now - FEEDBACK_DELAY, last_ends_at__gt=now - FEEDBACK_WINDOW)
        .order_by("id")
    )


def feedback_recipients(*, event: Event) -> QuerySet[Registration]:
    """Confirmed registrants with an effective check-in ("in", not reverted) at any session, not asked yet."""
    attended = CheckIn.objects.filter(
        registration=OuterRef("pk"), direction=CheckIn.Direction.IN, reverted_at__isnull=True
    )
    asked = Notification.objects.filter(registration=OuterRef("pk"), kind=Notification.Kind.FEEDBACK_REQUEST)
    return (
        Registration.objects.filter(event=event, status=Registration.Status.CONFIRMED)
        .filter(Exists(attended))
        .exclude(Exists(asked))
        .only(*_ATTENDEE_FIELDS)
        .order_by("id")
    )


def notifications_due(*, now: dt.datetime, limit: int = 500) -> list[int]:
    """Pending rows past their time (and the grace their own queued task had), oldest first."""
    return list(
        Notification.objects.filter(status=Notification.Status.PENDING, next_attempt_at__lte=now - sweep_grace())
        .order_by("next_attempt_at", "id")
        .values_list("pk", flat=True)[:limit]
    )


def active_registrations(event_id: int):
    """Registrations that hold or wait for a seat: the ones a change notice goes to."""
    return Registration.objects.filter(event_id=event_id, status__in=Registration.ACTIVE).only(
        "pk", "email", "language", "event_id"
    )
