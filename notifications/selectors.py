"""Reads for the outbox and the scheduled messages (beat): what is due, and to whom."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db.models import Count, Exists, Max, OuterRef, Q, QuerySet

from checkin import completion
from checkin.models import CheckIn
from common.i18n import normalize_language
from events.models import Event, Session
from notifications.models import ListDelivery, ListMessage, Notification
from registrations.models import Registration, Ticket

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


# Certificates: offered once the course's last session is over, to each registration with a seat
# that completed it (checkin/completion.py), within a window so an old course is not revisited.
CERTIFICATE_DELAY = dt.timedelta(hours=1)
CERTIFICATE_WINDOW = dt.timedelta(days=14)


def courses_due_for_certificates(*, now: dt.datetime) -> QuerySet[Event]:
    live = ~Q(sessions__status=Session.Status.CANCELLED)
    return (
        Event.objects.filter(status=Event.Status.PUBLISHED, kind=Event.Kind.COURSE)
        .annotate(last_ends_at=Max("sessions__ends_at", filter=live))
        .filter(last_ends_at__lte=now - CERTIFICATE_DELAY, last_ends_at__gt=now - CERTIFICATE_WINDOW)
        .order_by("id")
    )


def certificate_recipients(*, event: Event, now: dt.datetime) -> dict[int, list[int]]:
    """Confirmed registrations of this course not offered their certificate yet → the positions
    of their seats that completed it (three queries for the whole course)."""
    offered = Notification.objects.filter(registration=OuterRef("registration_id"), kind=Notification.Kind.CERTIFICATE)
    tickets = list(
        Ticket.objects.filter(
            registration__event_id=event.pk,
            registration__status=Registration.Status.CONFIRMED,
            registration__anonymised_at__isnull=True,
        )
        .exclude(Exists(offered))
        .select_related("registration")
        .order_by("registration_id", "position")
    )
    seats: dict[int, list[int]] = {}
    for done in completion.seat_completions(event=event, tickets=tickets, now=now):
        if done.completed:
            seats.setdefault(done.registration.pk, []).append(done.ticket.position)
    return seats


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


# --- announcements: who gets one, and how it went ----------------------------------------------------


class Audience:
    """Whom an announcement goes to, of the chosen events' registrations.

    A registration covers every session of its event, so "a session" means the people who came
    to it (an effective check-in there: "you left an umbrella on Tuesday"); "checked in", those
    who came to any session.
    """

    ACTIVE = "active"  # confirmed, pending payment or waiting: what the API always sent
    CONFIRMED = "confirmed"
    WAITLISTED = "waitlisted"
    CHECKED_IN = "checked_in"
    SESSION = "session"
    ALL = (ACTIVE, CONFIRMED, WAITLISTED, CHECKED_IN, SESSION)


def _came(session_id: int | None = None) -> Exists:
    came = CheckIn.objects.filter(
        registration=OuterRef("pk"), direction=CheckIn.Direction.IN, is_duplicate=False, reverted_at__isnull=True
    )
    if session_id is not None:
        came = came.filter(session_id=session_id)
    return Exists(came)


def announcement_audience(
    *, event_ids: list[int], audience: str = Audience.ACTIVE, session_id: int | None = None
) -> QuerySet[Registration]:
    """The registrations an announcement reaches, in id order (one email per address is the
    caller's rule). ``session_id`` is required for ``Audience.SESSION`` (and must be one of the
    events' sessions: the caller checked)."""
    rows = Registration.objects.filter(event_id__in=event_ids)
    if audience == Audience.CONFIRMED:
        rows = rows.filter(status=Registration.Status.CONFIRMED)
    elif audience == Audience.WAITLISTED:
        rows = rows.filter(status=Registration.Status.WAITLISTED)
    elif audience == Audience.CHECKED_IN:
        rows = rows.filter(status=Registration.Status.CONFIRMED).filter(_came())
    elif audience == Audience.SESSION:
        rows = rows.filter(status=Registration.Status.CONFIRMED).filter(_came(session_id))
    else:
        rows = rows.filter(status__in=Registration.ACTIVE)
    return rows.only(*_ATTENDEE_FIELDS).order_by("id")


def reading_languages(
    *, registrations: QuerySet[Registration], written: list[str], organization_language: str
) -> dict[str, int]:
    """How many distinct addresses will read the announcement in which language, given the
    languages it is ``written`` in: each reader's own if written, else the organization's
    language or English (as ``messages.announcement_parts`` picks; "zh-hans+en" when both are
    sent). One query: counts per (address, language) are folded here."""
    fallback = [code for code in (organization_language, "en") if code in written] or written[:1]
    counts: dict[str, int] = {}
    seen: set[str] = set()
    for email, language in registrations.values_list("email", "language").order_by("id"):
        if email in seen:
            continue
        seen.add(email)
        language = normalize_language(language) or settings.LANGUAGE_CODE  # as outbox.reader_language
        key = language if language in written else "+".join(dict.fromkeys(fallback))
        if key:
            counts[key] = counts.get(key, 0) + 1
    return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))


def announcement_delivery(*, announcement_id: int) -> dict[str, int]:
    """The announcement's outbox rows by status (``sent``, ``failed``, ``pending``…), one query."""
    counts = dict.fromkeys(Notification.Status.values, 0)
    rows = (
        Notification.objects.filter(announcement_id=announcement_id)
        .order_by()
        .values_list("status")
        .annotate(n=Count("id"))
    )
    for status, n in rows:
        counts[status] = n
    return counts


# --- reach: list messages ---


def list_message_status(*, message_id: int) -> dict | None:
    """A list message's progress for the desk: its status, recipients, and copies by outcome."""
    message = ListMessage.objects.filter(pk=message_id).values("status", "recipient_count", "finished_at").first()
    if message is None:
        return None
    counts = dict(
        ListDelivery.objects.filter(message_id=message_id)
        .values_list("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )
    return {
        "status": message["status"],
        "recipients": message["recipient_count"],
        "sent": counts.get(ListDelivery.Status.SENT, 0),
        "failed": counts.get(ListDelivery.Status.FAILED, 0),
        "suppressed": counts.get(ListDelivery.Status.SUPPRESSED, 0),
        "pending": counts.get(ListDelivery.Status.PENDING, 0),
        "finished_at": message["finished_at"],
    }


def list_delivery_counts(*, notice_ids=(), bulletin_ids=()) -> dict[tuple[str, int], dict]:
    """For the desk's lists: each notice's / bulletin issue's copies by outcome, in one query
    however many rows the list shows. Keys are ``("notice", pk)`` and ``("bulletin", pk)``."""
    found: dict[tuple[str, int], dict] = {}
    if not notice_ids and not bulletin_ids:
        return found
    rows = (
        ListDelivery.objects.filter(
            Q(message__notice_id__in=list(notice_ids)) | Q(message__bulletin_id__in=list(bulletin_ids))
        )
        .values_list("message__notice_id", "message__bulletin_id", "status")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for notice_id, bulletin_id, status, n in rows:
        key = ("notice", notice_id) if notice_id is not None else ("bulletin", bulletin_id)
        counts = found.setdefault(key, {"sent": 0, "failed": 0, "suppressed": 0, "pending": 0, "total": 0})
        counts[status] = counts.get(status, 0) + n
        counts["total"] += n
    return found
