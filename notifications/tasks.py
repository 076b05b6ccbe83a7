"""Celery tasks for the outbox. Arguments are primary keys only; every task is idempotent.

Retries: the outbox row, not the Celery message, holds the attempt count and the next attempt
time, so retries survive a lost message or a restarted worker (the sweeper picks them up) and
show in the admin. A worker schedules the next attempt itself with ``self.retry(countdown=...)``;
in eager mode (no broker) nothing sleeps in the web request, the sweeper does the retry.
"""

from __future__ import annotations

from celery import shared_task

from notifications import services


@shared_task(bind=True, acks_late=True, ignore_result=True)
def send_notification(self, *, notification_id: int) -> str:
    outcome = services.notification_send(notification_id=notification_id)
    if outcome.retry_in is not None and not self.request.is_eager:
        # Celery's own limit is off: the outbox row counts attempts (NOTIFICATION_MAX_ATTEMPTS).
        raise self.retry(countdown=outcome.retry_in, max_retries=None)
    return outcome.status


@shared_task(ignore_result=True)
def sweep_notifications() -> int:
    """Beat, every minute: send what is still pending past its time (broker was down, a retry got lost)."""
    return services.notifications_sweep()


@shared_task(ignore_result=True)
def send_reminders() -> int:
    """Beat, every few minutes: record reminders for sessions whose reminder time has come."""
    return services.reminders_enqueue()


@shared_task(ignore_result=True)
def send_feedback_requests() -> int:
    """Beat: after an event's last session, ask the people who were checked in for feedback."""
    return services.feedback_requests_enqueue()
