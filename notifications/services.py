"""Messages the beat schedules (reminders before sessions, feedback requests after events) and
the attendees' feedback. Rows go through the outbox (``notifications.outbox``)."""

from __future__ import annotations

import datetime as dt

from celery import shared_task
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from common.exceptions import InvalidInput
from common.i18n import normalize_language
from notifications import outbox, selectors
from notifications.models import Feedback, Notification
from registrations.models import Registration

Kind = Notification.Kind
RS = Registration.Status
ENQUEUE_BATCH = 1000


# --- scheduled messages (beat) -----------------------------------------------------------------


def reminders_enqueue(*, now: dt.datetime | None = None) -> int:
    """Record a reminder for every confirmed attendee of every session now due. Idempotent (dedupe keys).

    Walks the attendees in id order, a batch per transaction, so the workers start sending while
    the rest is being recorded; rows recorded by an earlier run are left out by their keys.
    """
    now = now or timezone.now()
    count = 0
    for session in selectors.sessions_due_for_reminder(now=now):
        attendees = selectors.reminder_recipients(session=session)
        last_id = 0
        while True:
            with transaction.atomic():
                batch = list(attendees.filter(pk__gt=last_id)[:ENQUEUE_BATCH])
                if not batch:
                    break
                last_id = batch[-1].pk
                count += len(
                    outbox.insert([outbox.row(registration=r, kind=Kind.REMINDER, session=session) for r in batch])
                )
    return count


def feedback_requests_enqueue(*, now: dt.datetime | None = None) -> int:
    """After an event's last session: ask everyone who was checked in for feedback, once."""
    now = now or timezone.now()
    count = 0
    for event in selectors.events_due_for_feedback(now=now):
        with transaction.atomic():
            attendees = selectors.feedback_recipients(event=event)
            count += len(outbox.insert([outbox.row(registration=r, kind=Kind.FEEDBACK_REQUEST) for r in attendees]))
    return count


def certificates_enqueue(*, now: dt.datetime | None = None) -> int:
    """After a course's last session: offer each participant who completed it their certificate
    (the manage page's link, per seat), once per registration (the row's dedupe key)."""
    now = now or timezone.now()
    count = 0
    for event in selectors.courses_due_for_certificates(now=now):
        with transaction.atomic():
            seats = selectors.certificate_recipients(event=event, now=now)
            registrations = Registration.objects.filter(pk__in=list(seats)).order_by("id")
            rows = [
                outbox.row(registration=registration, kind=Kind.CERTIFICATE, params={"seats": seats[registration.pk]})
                for registration in registrations
            ]
            count += len(outbox.insert(rows))
    return count


# --- feedback ----------------------------------------------------------------------------------


@transaction.atomic
def feedback_submit(*, registration: Registration, rating: int, comment: str = "", language: str | None = None):
    """Store (or replace) an attendee's feedback. Returns (feedback, created)."""
    if isinstance(rating, bool) or not isinstance(rating, int) or not 1 <= rating <= 5:
        raise InvalidInput(fields={"rating": [_("Give a rating from 1 to 5.")]})
    comment = (comment or "").strip()
    if len(comment) > 5000:
        raise InvalidInput(fields={"comment": [_("Keep the comment under 5000 characters.")]})
    if registration.status != RS.CONFIRMED or registration.anonymised_at is not None:
        raise InvalidInput(fields={"registration": [_("Only attendees can give feedback.")]})
    return Feedback.objects.update_or_create(
        registration=registration,
        defaults={
            "rating": rating,
            "comment": comment,
            "language": normalize_language(language) or registration.language,
        },
    )


# --- tasks (names kept from notifications/tasks.py) -------------------------------------------------


@shared_task(ignore_result=True, name="notifications.tasks.send_reminders")
def send_reminders() -> int:
    """Beat, every few minutes: record reminders for sessions whose reminder time has come."""
    return reminders_enqueue()


@shared_task(ignore_result=True, name="notifications.tasks.send_certificates")
def send_certificates() -> int:
    """Beat: after a course's last session, send its certificate link to those who completed it."""
    return certificates_enqueue()


@shared_task(ignore_result=True, name="notifications.tasks.send_feedback_requests")
def send_feedback_requests() -> int:
    """Beat: after an event's last session, ask the people who were checked in for feedback."""
    return feedback_requests_enqueue()
