"""Sending outbox rows, each exactly once, and the sweeper that finishes what the queue missed.

Sending (``notification_send``) is idempotent: it claims the row with a conditional UPDATE
(``pending`` → ``sending``, committed before any network traffic), so a duplicated, retried or
concurrently delivered task finds nothing to do. A transient SMTP failure puts the row back to
``pending`` with an exponential backoff; after ``NOTIFICATION_MAX_ATTEMPTS`` it ends ``failed``.

Retries: the outbox row, not the Celery message, holds the attempt count and the next attempt
time, so retries survive a lost message or a restarted worker (the sweeper picks them up) and
show in the admin. A worker schedules the next attempt itself with ``self.retry(countdown=...)``;
in eager mode (no broker) nothing sleeps in the web request, the sweeper does the retry.
"""

from __future__ import annotations

import datetime as dt
import logging
import smtplib
import time
from dataclasses import dataclass

from celery import shared_task
from django.conf import settings
from django.core.mail import get_connection
from django.db.models import F
from django.utils import timezone

from notifications import messages, selectors, voice_mail
from notifications.models import Notification

logger = logging.getLogger(__name__)

Status = Notification.Status


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


# --- sending one row -----------------------------------------------------------------------------------


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
        # A row about a resident's comment names no registration: it has its own builder.
        builder = voice_mail.build if notification.comment_id is not None else messages.build
        built = builder(notification, now=now)
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


# --- tasks (names kept from notifications/tasks.py: messages already queued still run) ----------


@shared_task(bind=True, acks_late=True, ignore_result=True, name="notifications.tasks.send_notification")
def send_notification(self, *, notification_id: int) -> str:
    outcome = notification_send(notification_id=notification_id)
    if outcome.retry_in is not None and not self.request.is_eager:
        # Celery's own limit is off: the outbox row counts attempts (NOTIFICATION_MAX_ATTEMPTS).
        raise self.retry(countdown=outcome.retry_in, max_retries=None)
    return outcome.status


@shared_task(ignore_result=True, name="notifications.tasks.sweep_notifications")
def sweep_notifications() -> int:
    """Beat, every minute: send what is still pending past its time (broker was down, a retry got lost)."""
    return notifications_sweep()
