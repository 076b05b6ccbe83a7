"""The outbox: messages are rows first, written with the change that causes them, then queued.

The only module of ``notifications`` the floors below import (registrations record a
confirmation, a promotion, a cancellation through here). Rows are written inside the caller's
transaction, so they commit or roll back with the change; their sending tasks are published by
``transaction.on_commit``. If the broker is down then, the rows stay ``pending`` and the sweeper
(``notifications.sending``) sends them later: the change itself never fails because of mail.
Each row's ``dedupe_key`` names the change, so recording it twice sends one message.
"""

from __future__ import annotations

import datetime as dt
import logging
import time

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError

from common.i18n import normalize_language
from common.sql import insert_rows
from events.models import Session
from notifications.models import Announcement, Notification
from notifications.sending import send_notification
from registrations.models import Registration

logger = logging.getLogger(__name__)

Kind = Notification.Kind
Status = Notification.Status
RS = Registration.Status

# Links mailed on request (manage link, calendar feed): at most one per registration in this window,
# so hammering a button cannot flood someone's inbox.
MANAGE_LINK_WINDOW_SECONDS = 600
# Publishing a task: one quick retry, then leave the row to the sweeper rather than hold up a request.
PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2}

STATUS_KINDS = {
    RS.CONFIRMED: Kind.CONFIRMATION,
    RS.PENDING_PAYMENT: Kind.PAYMENT_DUE,
    RS.PENDING_EMAIL: Kind.EMAIL_CONFIRM,
    RS.WAITLISTED: Kind.WAITLISTED,
}


def reader_language(registration: Registration) -> str:
    """The language every part of a message to this registrant is written in (subject, body,
    calendar file, links): resolved once, when the outbox row is written, and stored on the row."""
    return normalize_language(registration.language) or settings.LANGUAGE_CODE


# --- writing rows ------------------------------------------------------------------------------


def dedupe_key(*, kind: str, registration_id: int, session: Session | None = None, suffix: str = "") -> str:
    """``kind:reg-<id>[:session-<id>:seq-<n>][:suffix]`` — one message per change, whoever records it."""
    key = f"{kind}:reg-{registration_id}"
    if session is not None:
        key += f":session-{session.pk}"
        if kind == Kind.CHANGED:
            key += f":seq-{session.sequence}"
    return f"{key}:{suffix}" if suffix else key


def row(
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
        language=reader_language(registration),
        params=params or {},
        dedupe_key=dedupe_key(kind=kind, registration_id=registration.pk, session=session, suffix=suffix),
    )


def insert(rows: list[Notification], *, known_new: bool = False) -> list[Notification]:
    """Insert the rows whose dedupe key is new and queue their sending after commit.

    ``known_new``: the keys cannot exist yet (they name a registration created in this
    transaction), so the existence check and the savepoint are skipped on the hot path.
    Returns the rows inserted.
    """
    if not rows:
        return []
    if known_new:
        created = insert_rows(rows)
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
        queue_on_commit(ids)
    return created


def queue_on_commit(ids: list[int]) -> None:
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
    if time.monotonic() < _broker_down_until:
        logger.info("Broker failed recently, %d notification(s) left pending for the sweeper", len(ids))
        return 0
    for index, pk in enumerate(ids):
        try:
            send_notification.apply_async(kwargs={"notification_id": pk}, retry_policy=PUBLISH_RETRY_POLICY)
        except (BrokerError, OSError) as exc:
            _broker_down_until = time.monotonic() + getattr(settings, "BROKER_BACKOFF_SECONDS", BROKER_BACKOFF_SECONDS)
            logger.warning(
                "Broker unavailable, %d notification(s) left pending for the sweeper: %s", len(ids) - index, exc
            )
            return index
    return len(ids)


def notify_registration(
    *, registration: Registration, kind: str, params: dict | None = None, known_new: bool = False
) -> Notification | None:
    """Record one message about one registration. Call inside the transaction that made the change."""
    created = insert([row(registration=registration, kind=kind, params=params)], known_new=known_new)
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
    with transaction.atomic():
        created = insert([row(registration=registration, kind=Kind.MANAGE_LINK, suffix=_window(now))])
    return created[0] if created else None


def notify_calendar_feed(*, registration: Registration, now: dt.datetime | None = None) -> Notification | None:
    """Mail the address its private feed link, once per window however often it is asked for.

    Returns None when the link was already sent in this window (the caller then changes nothing).
    """
    created = insert([row(registration=registration, kind=Kind.CALENDAR_FEED, suffix=_window(now))])
    return created[0] if created else None


def notify_my_registrations(
    *, registration: Registration, language: str, now: dt.datetime | None = None
) -> Notification | None:
    """Mail the address of ``registration`` (its latest) the link to all its registrations, in
    the language the form was used in; once per window however often it is asked (None then)."""
    message = row(registration=registration, kind=Kind.MY_REGISTRATIONS, suffix=_window(now))
    message.language = normalize_language(language) or message.language
    created = insert([message])
    return created[0] if created else None


@transaction.atomic
def notification_retry(*, notification_id: int) -> bool:
    """Admin: give a failed (or skipped) row a fresh set of attempts. Never touches a sent row."""
    updated = Notification.objects.filter(pk=notification_id, status__in=[Status.FAILED, Status.SKIPPED]).update(
        status=Status.PENDING, attempts=0, next_attempt_at=timezone.now(), claimed_at=None
    )
    if updated:
        queue_on_commit([notification_id])
    return bool(updated)


def notify_comment(*, comment, kind: str, params: dict | None = None, suffix: str = "") -> Notification | None:
    """Record one message to the writer of a resident's comment (``voices.Comment``): the receipt
    with its private link, or the office's answer. Call inside the transaction that made the change.

    The language is resolved here, once: the answer's language for an answer, the comment's for
    the receipt. None when the comment has no address, or the same message was already recorded.
    """
    if not comment.email:
        return None
    language = comment.reply_language if kind == Kind.VOICE_REPLY and comment.reply_language else comment.language
    key = f"{kind}:comment-{comment.pk}"
    message = Notification(
        registration=None,
        comment=comment,
        recipient=comment.email,
        kind=kind,
        language=normalize_language(language) or settings.LANGUAGE_CODE,
        params=params or {},
        dedupe_key=f"{key}:{suffix}" if suffix else key,
    )
    created = insert([message])
    return created[0] if created else None


def comment_messages_erase(*, comment_ids: list[int]) -> int:
    """The writer of these comments asked us to erase their data: their rows lose the address,
    subject and frozen answer, and whatever was still waiting is not sent. Caller's transaction."""
    rows = Notification.objects.filter(comment_id__in=comment_ids)
    rows.filter(status=Status.PENDING).update(status=Status.SKIPPED, last_error="personal data erased")
    return rows.update(recipient="erased@anonymised.invalid", subject="", params={})


def notify_ticket_resend(*, registration: Registration, now: dt.datetime | None = None) -> Notification | None:
    """The organizer sends a confirmed registration its ticket again (the confirmation, with the QR
    codes and calendar). Once per window however often the button is pressed: None when it was
    already sent in this window."""
    created = insert(
        [
            row(
                registration=registration,
                kind=Kind.CONFIRMATION,
                params={"resent": True},
                suffix=f"resend-{_window(now)}",
            )
        ]
    )
    return created[0] if created else None
