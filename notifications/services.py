"""Notification use cases: write outbox rows with the change that causes them, then send each once.

Writing (``notify_*``, ``announcement_create``, ``reminders_enqueue``, ``feedback_requests_enqueue``)
happens inside the caller's transaction: the rows commit or roll back with the change, and the
sending tasks are queued by ``transaction.on_commit``. If the broker is down then, the rows stay
``pending`` and the sweeper sends them later; the change itself never fails because of mail.

Sending (``notification_send``) is idempotent: it claims the row with a conditional UPDATE
(``pending`` → ``sending``, committed before any network traffic), so a duplicated, retried or
concurrently delivered task finds nothing to do. A transient SMTP failure puts the row back to
``pending`` with an exponential backoff; after ``NOTIFICATION_MAX_ATTEMPTS`` it ends ``failed``.
"""

from __future__ import annotations

import datetime as dt
import logging
import smtplib
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import get_connection
from django.db import IntegrityError, transaction
from django.db.models import F, Max
from django.utils import timezone
from django.utils.translation import gettext as _
from kombu.exceptions import OperationalError as BrokerError

from audit import services as audit
from audit.models import AuditAction
from common.exceptions import InvalidInput
from common.i18n import clean_translations, normalize_language
from events.models import Event, Session
from notifications import messages, selectors
from notifications.models import Announcement, Feedback, Notification
from registrations.models import Registration

logger = logging.getLogger(__name__)

Kind = Notification.Kind
Status = Notification.Status
RS = Registration.Status


def _setting(name: str, default):
    return getattr(settings, name, default)


def max_attempts() -> int:
    return _setting("NOTIFICATION_MAX_ATTEMPTS", 5)


def retry_delay(attempts: int) -> dt.timedelta:
    """Exponential backoff after the n-th failed attempt: base, 2×base, 4×base… (base 60 s)."""
    base = _setting("NOTIFICATION_RETRY_BASE_SECONDS", 60)
    return dt.timedelta(seconds=base * 2 ** max(attempts - 1, 0))


# A row still "sending" after this long lost its worker mid-send (SMTP times out far sooner).
SENDING_TIMEOUT = dt.timedelta(minutes=10)
# Links mailed on request (manage link, calendar feed): at most one per registration in this window,
# so hammering a button cannot flood someone's inbox.
MANAGE_LINK_WINDOW_SECONDS = 600
ENQUEUE_BATCH = 1000
# Publishing a task: one quick retry, then leave the row to the sweeper rather than hold up a request.
PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2}

STATUS_KINDS = {
    RS.CONFIRMED: Kind.CONFIRMATION,
    RS.PENDING_PAYMENT: Kind.PAYMENT_DUE,
    RS.PENDING_EMAIL: Kind.EMAIL_CONFIRM,
    RS.WAITLISTED: Kind.WAITLISTED,
}


# --- writing rows ------------------------------------------------------------------------------


def dedupe_key(*, kind: str, registration_id: int, session: Session | None = None, suffix: str = "") -> str:
    """``kind:reg-<id>[:session-<id>:seq-<n>][:suffix]`` — one message per change, whoever records it."""
    key = f"{kind}:reg-{registration_id}"
    if session is not None:
        key += f":session-{session.pk}"
        if kind == Kind.CHANGED:
            key += f":seq-{session.sequence}"
    return f"{key}:{suffix}" if suffix else key


def _row(
    *,
    registration: Registration,
    kind: str,
    session: Session | None = None,
    params: dict | None = None,
    suffix: str = "",
    announcement: Announcement | None = None,
) -> Notification:
    return Notification(
        registration_id=registration.pk,
        session=session,
        announcement=announcement,
        recipient=registration.email,
        kind=kind,
        language=normalize_language(registration.language) or settings.LANGUAGE_CODE,
        params=params or {},
        dedupe_key=dedupe_key(kind=kind, registration_id=registration.pk, session=session, suffix=suffix),
    )


def _insert(rows: list[Notification], *, known_new: bool = False) -> list[Notification]:
    """Insert the rows whose dedupe key is new and queue their sending after commit.

    ``known_new``: the keys cannot exist yet (they name a registration created in this
    transaction), so the existence check and the savepoint are skipped on the hot path.
    Returns the rows inserted.
    """
    if not rows:
        return []
    if known_new:
        created = Notification.objects.bulk_create(rows)
    else:
        unique = {row.dedupe_key: row for row in rows}
        existing = set(Notification.objects.filter(dedupe_key__in=list(unique)).values_list("dedupe_key", flat=True))
        fresh = [row for key, row in unique.items() if key not in existing]
        try:
            with transaction.atomic():
                created = Notification.objects.bulk_create(fresh)
        except IntegrityError:
            # Someone recorded some of these at the same moment: keep whichever rows are still new.
            created = []
            for row in fresh:
                row.pk = None
                try:
                    with transaction.atomic():
                        row.save(force_insert=True)
                except IntegrityError:
                    continue
                created.append(row)
    ids = [row.pk for row in created]
    if ids:
        _queue_on_commit(ids)
    return created


def _queue_on_commit(ids: list[int]) -> None:
    """Publish after commit. ``robust``: an error there is logged, never turned into a failed request
    for a change that has already committed (the rows stay pending for the sweeper)."""

    def queue_notifications() -> None:  # a named function: Django logs robust failures by __qualname__
        queue_send(ids)

    transaction.on_commit(queue_notifications, robust=True)


# After a failed publish, this process leaves the broker alone for a while: a broker that hangs
# rather than refuses costs one request its socket timeouts, not every request.
BROKER_BACKOFF_SECONDS = 10.0
_broker_down_until = 0.0


def queue_send(ids: list[int]) -> int:
    """Publish one sending task per row (after commit). A broker outage leaves the rest to the sweeper."""
    global _broker_down_until
    from notifications.tasks import send_notification

    if time.monotonic() < _broker_down_until:
        logger.info("Broker failed recently, %d notification(s) left pending for the sweeper", len(ids))
        return 0
    for index, pk in enumerate(ids):
        try:
            send_notification.apply_async(kwargs={"notification_id": pk}, retry_policy=PUBLISH_RETRY_POLICY)
        except (BrokerError, OSError) as exc:
            _broker_down_until = time.monotonic() + _setting("BROKER_BACKOFF_SECONDS", BROKER_BACKOFF_SECONDS)
            logger.warning(
                "Broker unavailable, %d notification(s) left pending for the sweeper: %s", len(ids) - index, exc
            )
            return index
    return len(ids)


def notify_registration(
    *, registration: Registration, kind: str, params: dict | None = None, known_new: bool = False
) -> Notification | None:
    """Record one message about one registration. Call inside the transaction that made the change."""
    created = _insert([_row(registration=registration, kind=kind, params=params)], known_new=known_new)
    return created[0] if created else None


def notify_registration_status(*, registration: Registration) -> Notification | None:
    """A new registration: confirmation, payment due or waitlisted, by its status. Caller holds the event lock."""
    kind = STATUS_KINDS.get(registration.status)
    if kind is None:
        return None
    return notify_registration(registration=registration, kind=kind, known_new=True)


def _window(now: dt.datetime | None) -> str:
    """The dedupe-key suffix naming the current MANAGE_LINK_WINDOW_SECONDS window."""
    return f"w{int((now or timezone.now()).timestamp()) // MANAGE_LINK_WINDOW_SECONDS}"


def notify_manage_link(*, registration_id: int, now: dt.datetime | None = None) -> Notification | None:
    """Someone tried to register an address again: send that address its existing registration."""
    registration = Registration.objects.filter(pk=registration_id).first()
    if registration is None or registration.status not in Registration.ACTIVE:
        return None
    row = _row(registration=registration, kind=Kind.MANAGE_LINK, suffix=_window(now))
    with transaction.atomic():
        created = _insert([row])
    return created[0] if created else None


def notify_calendar_feed(*, registration: Registration, now: dt.datetime | None = None) -> Notification | None:
    """Mail the address its private feed link, once per window however often it is asked for.

    Returns None when the link was already sent in this window (the caller then changes nothing).
    """
    created = _insert([_row(registration=registration, kind=Kind.CALENDAR_FEED, suffix=_window(now))])
    return created[0] if created else None


def _active_registrations(event_id: int):
    return Registration.objects.filter(event_id=event_id, status__in=Registration.ACTIVE).only(
        "pk", "email", "language", "event_id"
    )


def notify_session_changed(
    *, session: Session, old_starts_at: dt.datetime, old_ends_at: dt.datetime, old_venue_id: int | None
) -> list[Notification]:
    """A session moved (time or venue): tell every active registrant, old → new. Caller holds the event lock.

    ``session.sequence`` must already be bumped. A change notice not sent yet for the same session
    is superseded: the new one says "from the original time to the newest", and nothing is sent
    if the session is back where it was.
    """
    superseded = {
        row.registration_id: row
        for row in Notification.objects.select_for_update().filter(
            session=session, kind=Kind.CHANGED, status=Status.PENDING
        )
    }
    if superseded:
        Notification.objects.filter(pk__in=[row.pk for row in superseded.values()]).update(
            status=Status.SKIPPED, last_error="superseded by a later change"
        )
    rows = []
    new = (session.starts_at, session.ends_at, session.effective_venue_id)
    for registration in _active_registrations(session.event_id):
        earlier = superseded.get(registration.pk)
        params = (
            dict(earlier.params)
            if earlier is not None
            else {
                "old_starts_at": old_starts_at.isoformat(),
                "old_ends_at": old_ends_at.isoformat(),
                "old_venue_id": old_venue_id,
            }
        )
        original = (
            dt.datetime.fromisoformat(params["old_starts_at"]),
            dt.datetime.fromisoformat(params["old_ends_at"]),
            params["old_venue_id"],
        )
        if original == new:
            continue  # moved back before anyone was told: nothing changed for them
        params["sequence"] = session.sequence
        rows.append(_row(registration=registration, kind=Kind.CHANGED, session=session, params=params))
    return _insert(rows)


def notify_venue_changed(*, event: Event, old_venue_id: int | None) -> list[Notification]:
    """The event moved to another venue (its sessions without a venue of their own moved with it):
    one notice per active registrant, not one per session. Caller holds the event lock.

    Like a session move, a notice not sent yet is superseded by the next change, keeps the place
    people were first told about, and nothing is sent if the event is back there.
    """
    pending = {
        row.registration_id: row
        for row in Notification.objects.select_for_update().filter(
            registration__event_id=event.pk, kind=Kind.CHANGED, status=Status.PENDING, params__scope="venue"
        )
    }
    if pending:
        Notification.objects.filter(pk__in=[row.pk for row in pending.values()]).update(
            status=Status.SKIPPED, last_error="superseded by a later change"
        )
    # Each move bumps the sessions' sequence, so this names the change and a retry finds its own rows.
    marker = f"venue-{event.sessions.aggregate(n=Max('sequence'))['n'] or 0}"
    rows = []
    for registration in _active_registrations(event.pk):
        earlier = pending.get(registration.pk)
        original = earlier.params.get("old_venue_id") if earlier is not None else old_venue_id
        if original == event.venue_id:
            continue  # moved back before anyone was told
        params = {"scope": "venue", "old_venue_id": original, "venue_id": event.venue_id}
        rows.append(_row(registration=registration, kind=Kind.CHANGED, params=params, suffix=marker))
    return _insert(rows)


def notify_schedule_changed(*, event: Event, created: list[Session], cancelled_ids: list[int]) -> list[Notification]:
    """Sessions were generated for an event people registered for (a course rescheduled or extended):
    one notice per active registrant with the new dates, not one per session. Caller holds the event lock."""
    if not created and not cancelled_ids:
        return []
    marker = f"schedule-{min(session.pk for session in created)}" if created else f"schedule-x{min(cancelled_ids)}"
    params = {"scope": "schedule", "added": len(created), "cancelled": len(cancelled_ids)}
    rows = [
        _row(registration=registration, kind=Kind.CHANGED, params=params, suffix=marker)
        for registration in _active_registrations(event.pk)
    ]
    return _insert(rows)


def notify_session_cancelled(*, session: Session) -> list[Notification]:
    """One session was cancelled: every active registrant. Caller holds the event lock."""
    rows = [
        _row(registration=registration, kind=Kind.CANCELLED, session=session, params={"scope": "session"})
        for registration in _active_registrations(session.event_id)
    ]
    return _insert(rows)


def notify_event_cancelled(*, event: Event) -> list[Notification]:
    """The whole event was cancelled: every active registrant. Caller holds the event lock."""
    rows = [
        _row(registration=registration, kind=Kind.CANCELLED, params={"scope": "event"}, suffix="event")
        for registration in _active_registrations(event.pk)
    ]
    return _insert(rows)


# --- announcements -----------------------------------------------------------------------------


@transaction.atomic
def announcement_create(*, user, event_slugs: list[str], subject: object, body: object) -> Announcement:
    """An organizer's message to the active registrants of some of their events, one email per address.

    The events must all belong to one organization the user manages. Each language given needs a
    subject and a body; each recipient reads their own language if it is there, otherwise the
    organization's language and English.
    """
    slugs = list(dict.fromkeys(event_slugs or []))
    if not slugs:
        raise InvalidInput(fields={"events": [_("Choose at least one event.")]})
    events = list(Event.objects.for_organizer(user).filter(slug__in=slugs).select_related("organization").distinct())
    unknown = sorted(set(slugs) - {event.slug for event in events})
    if unknown:
        raise InvalidInput(fields={"events": [_("No such event of yours: %(slugs)s") % {"slugs": ", ".join(unknown)}]})
    if len({event.organization_id for event in events}) > 1:
        raise InvalidInput(fields={"events": [_("Choose events of one organization.")]})
    errors: dict[str, list[str]] = {}
    cleaned = {}
    for field, value, limit in (("subject_i18n", subject, 200), ("body_i18n", body, 20_000)):
        try:
            cleaned[field] = clean_translations(value, max_length=limit)
        except Exception as exc:  # django ValidationError: report it on the field
            errors[field] = list(getattr(exc, "messages", [str(exc)]))
    if not errors:
        if not cleaned["subject_i18n"]:
            errors["subject_i18n"] = [_("Write a subject in at least one language.")]
        elif set(cleaned["subject_i18n"]) != set(cleaned["body_i18n"]):
            errors["body_i18n"] = [_("Give a subject and a body in the same languages.")]
    if errors:
        raise InvalidInput(fields=errors)
    announcement = Announcement.objects.create(
        organization=events[0].organization,
        subject=cleaned["subject_i18n"],
        body=cleaned["body_i18n"],
        created_by=user if getattr(user, "is_authenticated", False) else None,
    )
    announcement.events.set(events)
    rows, seen = [], set()
    registrations = Registration.objects.filter(event__in=events, status__in=Registration.ACTIVE).order_by("id")
    for registration in registrations.only("pk", "email", "language", "event_id"):
        if registration.email in seen:
            continue  # registered for two of the chosen events: one email
        seen.add(registration.email)
        rows.append(
            _row(
                registration=registration,
                kind=Kind.ANNOUNCEMENT,
                announcement=announcement,
                suffix=f"ann-{announcement.pk}",
            )
        )
    _insert(rows)
    announcement.recipient_count = len(rows)
    announcement.save(update_fields=["recipient_count"])
    # One entry per announcement; it belongs to an event when it was sent about a single one.
    audit.record(
        actor=user,
        action=AuditAction.ANNOUNCEMENT_SEND,
        organization_id=events[0].organization_id,
        event_id=events[0].pk if len(events) == 1 else None,
        target_type="announcement",
        target_id=announcement.pk,
        target_label=", ".join(sorted(event.slug for event in events))[:200],
        details={"languages": sorted(cleaned["subject_i18n"]), "recipients": len(rows)},
    )
    return announcement


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
                count += len(_insert([_row(registration=r, kind=Kind.REMINDER, session=session) for r in batch]))
    return count


def feedback_requests_enqueue(*, now: dt.datetime | None = None) -> int:
    """After an event's last session: ask everyone who was checked in for feedback, once."""
    now = now or timezone.now()
    count = 0
    for event in selectors.events_due_for_feedback(now=now):
        with transaction.atomic():
            attendees = selectors.feedback_recipients(event=event)
            count += len(_insert([_row(registration=r, kind=Kind.FEEDBACK_REQUEST) for r in attendees]))
    return count


# --- sending -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    status: str  # sent | skipped | failed | retry | not_pending
    retry_in: float | None = None


def _is_permanent(exc: Exception) -> bool:
    """A 5xx answer (bad address, message refused) will not get better by trying again."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _message in exc.recipients.values())
    if isinstance(exc, smtplib.SMTPResponseException):
        return exc.smtp_code >= 500
    return False


def _finish(notification_id: int, **fields) -> None:
    Notification.objects.filter(pk=notification_id, status=Status.SENDING).update(**fields)


def _connection():
    timeout = getattr(settings, "EMAIL_TIMEOUT", None) or _setting("NOTIFICATION_SMTP_TIMEOUT", 30)
    return get_connection(timeout=timeout)


def _claim(notification: Notification, *, now: dt.datetime) -> bool:
    """``pending`` → ``sending`` (committed at once), or False if someone else got there first."""
    claimed = Notification.objects.filter(pk=notification.pk, status=Status.PENDING).update(
        status=Status.SENDING, claimed_at=now, attempts=F("attempts") + 1
    )
    if claimed:
        notification.attempts += 1
    return bool(claimed)


def notification_send(*, notification_id: int, now: dt.datetime | None = None) -> Outcome:
    """Send one outbox row if it is pending; no-op otherwise. Call outside a transaction.

    The claim (``pending`` → ``sending``) commits before the message goes to the mail server, so
    two deliveries of the same task can never both send. Everything that can be done before the
    claim is: reading, rendering and opening the SMTP connection. A worker killed while claimed
    leaves the row ``sending`` and it is not resent on its own (the server may have taken it),
    so the claimed stretch is kept to the SMTP transaction itself; a worker killed before the
    claim leaves the row ``pending`` for the next delivery or the sweeper.
    """
    now = now or timezone.now()
    notification = (
        Notification.objects.select_related(*messages.NOTIFICATION_RELATED)
        .filter(pk=notification_id, status=Status.PENDING)
        .first()
    )
    if notification is None:
        return Outcome("not_pending")
    try:
        built = messages.build(notification, now=now)
    except messages.Skip as exc:
        if not _claim(notification, now=now):
            return Outcome("not_pending")
        _finish(notification_id, status=Status.SKIPPED, last_error=str(exc))
        return Outcome("skipped")
    except Exception as exc:
        # Bad data or a bug in a template: trying again will not help. Visible in the admin.
        logger.exception("Could not build notification %s", notification_id)
        if not _claim(notification, now=now):
            return Outcome("not_pending")
        _finish(notification_id, status=Status.FAILED, last_error=f"could not build the message: {exc!r}"[:2000])
        return Outcome("failed")
    connection = _connection()
    try:
        try:
            connection.open()
        except Exception as exc:
            if not _claim(notification, now=now):
                return Outcome("not_pending")
            return _attempt_failed(notification, exc, subject=built.subject)
        if not _claim(notification, now=now):
            return Outcome("not_pending")
        try:
            built.message.connection = connection
            built.message.send()
        except Exception as exc:
            return _attempt_failed(notification, exc, subject=built.subject)
        # Stamped before QUIT, which is not part of the delivery. last_error stays: "sent on the
        # 2nd attempt after a 451" is worth seeing in the admin.
        _finish(notification_id, status=Status.SENT, sent_at=timezone.now(), subject=built.subject)
        return Outcome("sent")
    finally:
        connection.close()


def _attempt_failed(notification: Notification, exc: Exception, *, subject: str) -> Outcome:
    error = f"attempt {notification.attempts}: {exc!r}"[:2000]
    if _is_permanent(exc) or notification.attempts >= max_attempts():
        logger.warning("Notification %s failed for good: %s", notification.pk, error)
        _finish(notification.pk, status=Status.FAILED, last_error=error, subject=subject)
        return Outcome("failed")
    delay = retry_delay(notification.attempts)
    logger.info("Notification %s: %s; retrying in %s", notification.pk, error, delay)
    _finish(
        notification.pk,
        status=Status.PENDING,
        last_error=error,
        subject=subject,
        next_attempt_at=timezone.now() + delay,
    )
    return Outcome("retry", retry_in=delay.total_seconds())


def notifications_recover_stale(*, now: dt.datetime | None = None) -> int:
    """Rows left ``sending`` by a worker that died mid-send end ``failed``, not resent on their own:
    the server may have taken the message, and nothing is sent twice. An admin can retry them."""
    now = now or timezone.now()
    return Notification.objects.filter(status=Status.SENDING, claimed_at__lt=now - SENDING_TIMEOUT).update(
        status=Status.FAILED,
        last_error="interrupted while sending: delivery unknown. Use the admin's retry if it did not arrive.",
    )


def notifications_sweep(*, now: dt.datetime | None = None, limit: int = 500, budget_seconds: float = 50) -> int:
    """Beat: send what is left pending and due (broker was down, a retry was lost). Returns how many were sent.

    Sends in this process rather than queueing, so it also works while the broker is flaky, and
    stops after ``budget_seconds`` so runs do not pile up; overlapping runs are harmless.
    """
    now = now or timezone.now()
    notifications_recover_stale(now=now)
    deadline = time.monotonic() + budget_seconds
    sent = 0
    for pk in selectors.notifications_due(now=now, limit=limit):
        if time.monotonic() > deadline:
            break
        sent += notification_send(notification_id=pk).status == "sent"
    return sent


@transaction.atomic
def notification_retry(*, notification_id: int) -> bool:
    """Admin: give a failed (or skipped) row a fresh set of attempts. Never touches a sent row."""
    updated = Notification.objects.filter(pk=notification_id, status__in=[Status.FAILED, Status.SKIPPED]).update(
        status=Status.PENDING, attempts=0, next_attempt_at=timezone.now(), claimed_at=None
    )
    if updated:
        _queue_on_commit([notification_id])
    return bool(updated)


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
