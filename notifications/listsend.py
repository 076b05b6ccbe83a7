"""List sending: one message (a notice, a bulletin issue) to many subscribers, each copy once.

The desks post through ``post``; everything after it happens here:

1. ``start`` (on commit) queues ``list_prepare``: the recipients are expanded once, under the
   message's row lock, into ListDelivery rows grouped in ListChunks of ``LIST_CHUNK_SIZE``
   (bulk inserts, one transaction), and one ``send_list_chunk`` task per chunk is queued on commit.
2. ``chunk_send`` claims its chunk with one conditional ``UPDATE … RETURNING`` (``pending`` →
   ``sending``, or a ``sending`` chunk whose lease ran out: its worker died), opens one SMTP
   connection and sends the chunk's pending deliveries over it. Each language's message is
   rendered to bytes once; per copy only the ``To``/``Message-ID``/``List-Unsubscribe`` headers and
   the ``[[unsubscribe_url]]`` / ``[[preferences_url]]`` placeholders are filled in (bytes replaced).
3. Each copy is marked ``sent`` (committed) after the server has the whole message but before the
   final ``.`` of DATA is written: a worker killed before that point never delivered the copy (a
   server discards a DATA it never saw end) and it stays pending; killed after it, the copy is
   both delivered and recorded. So a resumed chunk sends only the copies still pending: no copy
   is sent twice. If the server then refuses the message, the row is put back (4xx) or failed (5xx).
4. ``list_sweep`` (beat) prepares messages whose task was lost and re-queues chunks that are
   pending past their time or whose lease expired.

Limits for relays that cap senders (settings, from the environment): ``LIST_SEND_RATE`` messages
per second per chunk being sent (a list worker sends several at once), and
``LIST_SEND_WINDOW_CAP`` messages per ``LIST_SEND_WINDOW_SECONDS`` across all workers (counted
from the deliveries' ``sent_at``; a chunk over the cap goes back to ``pending`` until the window
has room). A 5xx for an address fails that copy and counts on its Suppression row; after
``LIST_SUPPRESS_AFTER`` such failures the address gets no more list mail. Transient failures
(4xx, connection lost) retry the chunk with back-off.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import smtplib
import socket
import time
from dataclasses import dataclass

from celery import shared_task
from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.message import sanitize_address
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError

from notifications.models import Bulletin, ListChunk, ListDelivery, ListMessage, Notice, Subscription, Suppression
from organizations.models import Organization

logger = logging.getLogger(__name__)

PLACEHOLDERS = ("[[unsubscribe_url]]", "[[preferences_url]]")
PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2}
# Placeholders of the per-copy headers, filled in with the placeholders of the body.
_MESSAGE_ID = "[[message_id]]"
_UNSUBSCRIBE = PLACEHOLDERS[0].encode()
_PREFERENCES = PLACEHOLDERS[1].encode()
_DOT_STUFF = re.compile(rb"(?m)^\.")


def _setting(name: str, default):
    return getattr(settings, name, default)


def chunk_size() -> int:
    return int(_setting("LIST_CHUNK_SIZE", 250))


def lease() -> dt.timedelta:
    """How long a claimed chunk is its worker's; the worker renews it while it sends."""
    return dt.timedelta(seconds=float(_setting("LIST_CHUNK_LEASE_SECONDS", 120)))


def max_attempts() -> int:
    return int(_setting("LIST_CHUNK_MAX_ATTEMPTS", 5))


def suppress_after() -> int:
    return int(_setting("LIST_SUPPRESS_AFTER", 3))


def retry_delay(attempts: int) -> dt.timedelta:
    base = float(_setting("NOTIFICATION_RETRY_BASE_SECONDS", 60))
    return dt.timedelta(seconds=base * 2 ** max(attempts - 1, 0))


# --- posting -----------------------------------------------------------------------------------


def post(
    *,
    organization: Organization,
    dedupe_key: str,
    rendered: dict[str, dict[str, str]],
    notice: Notice | None = None,
    bulletin: Bulletin | None = None,
) -> ListMessage:
    """Record one list message inside the caller's transaction; its sending starts on commit.

    Exactly one of ``notice`` / ``bulletin`` names what is sent, and so who receives it (the
    confirmed subscribers of that notice's category, or of the bulletin). Posting the same
    ``dedupe_key`` twice returns the first message: nothing is sent twice.
    """
    if (notice is None) == (bulletin is None):
        raise ValueError("a list message sends either a notice or a bulletin")
    existing = ListMessage.objects.filter(dedupe_key=dedupe_key).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            message = ListMessage.objects.create(
                organization=organization,
                dedupe_key=dedupe_key,
                rendered=rendered,
                notice=notice,
                bulletin=bulletin,
            )
    except IntegrityError:  # the same key posted concurrently: theirs wins
        return ListMessage.objects.get(dedupe_key=dedupe_key)
    message_id = message.pk
    transaction.on_commit(lambda: start(message_id))
    return message


def _publish(task, **kwargs) -> bool:
    """Queue a task; a broker outage leaves the work to the sweeper (never fails the caller)."""
    try:
        task.apply_async(kwargs=kwargs, retry_policy=PUBLISH_RETRY_POLICY)
    except (BrokerError, OSError) as exc:
        logger.warning("Broker unavailable, list sending left to the sweeper: %s", exc)
        return False
    return True


def start(message_id: int) -> None:
    """Begin sending a posted message (after commit): queue its preparation."""
    _publish(prepare_list_message, message_id=message_id)


# --- recipients --------------------------------------------------------------------------------


def recipients(message: ListMessage):
    """Who receives ``message``: confirmed, still subscribed, not suppressed, following its
    organization (all, or by name), and asking for this bulletin or this notice's category."""
    through = Subscription.organizations.through
    following = Q(all_organizations=True) | Q(
        pk__in=through.objects.filter(organization_id=message.organization_id).values("subscription_id")
    )
    subscriptions = (
        Subscription.objects.filter(confirmed_at__isnull=False, unsubscribed_at__isnull=True)
        .filter(following)
        .exclude(email__in=Suppression.objects.filter(suppressed_at__isnull=False).values("email"))
    )
    if message.bulletin_id is not None:
        return subscriptions.filter(bulletin=True)
    category = message.notice.category
    if connection.features.supports_json_field_contains:
        return subscriptions.filter(notice_categories__contains=[category])
    # SQLite has no JSON containment: the stored list is JSON text, and categories are plain slugs.
    return subscriptions.filter(notice_categories__icontains=f'"{category}"')


def list_prepare(*, message_id: int) -> int:
    """Expand the recipients of a ``preparing`` message into chunks of deliveries, once.

    One transaction under the message's row lock (``select_for_update``): a second run finds it
    no longer ``preparing`` and does nothing. The chunks' tasks are queued on commit. Returns
    the number of chunks written.
    """
    size = chunk_size()
    with transaction.atomic():
        message = (
            ListMessage.objects.select_for_update(of=("self",))  # the notice is an outer join
            .filter(pk=message_id, status=ListMessage.Status.PREPARING)
            .select_related("notice")
            .first()
        )
        if message is None:
            return 0
        rows = recipients(message).order_by("pk").values_list("pk", "email", "language")
        count = 0
        chunk_ids: list[int] = []
        batch: list[tuple[int, str, str]] = []

        def flush() -> None:
            chunk = ListChunk.objects.create(message_id=message_id, number=len(chunk_ids) + 1)
            chunk_ids.append(chunk.pk)
            ListDelivery.objects.bulk_create(
                ListDelivery(message_id=message_id, chunk_id=chunk.pk, subscription_id=pk, email=email, language=lang)
                for pk, email, lang in batch
            )
            batch.clear()

        for row in rows.iterator(chunk_size=2000):
            batch.append(row)
            count += 1
            if len(batch) >= size:
                flush()
        if batch:
            flush()
        done = not chunk_ids
        ListMessage.objects.filter(pk=message_id).update(
            status=ListMessage.Status.DONE if done else ListMessage.Status.SENDING,
            recipient_count=count,
            finished_at=timezone.now() if done else None,
        )
        if done:
            _mark_bulletin_sent(message_id=message_id)

        def queue_chunks() -> None:
            for pk in chunk_ids:
                if not _publish(send_list_chunk, chunk_id=pk):
                    return

        transaction.on_commit(queue_chunks, robust=True)
    return len(chunk_ids)


# --- rendering once per language ----------------------------------------------------------------


def _link(name: str) -> str:
    """The absolute link with a placeholder where the subscription's token goes."""
    return settings.SITE_URL + reverse(name, kwargs={"token": "TOKEN"})


def _domain() -> str:
    return settings.SITE_URL.split("://")[-1].split("/")[0].split(":")[0] or "huiguan.local"


class Template:
    """One language's message as bytes with placeholders, and how to fill them in for one copy."""

    def __init__(self, *, subject: str, text: str, html: str, language: str, message_id: int):
        self.subject, self.text, self.html, self.language = subject, text, html, language
        self.headers = {
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "List-Id": f"<list-{message_id}.{_domain()}>",
            "Content-Language": language,
            "Auto-Submitted": "auto-generated",
        }
        self.from_address = sanitize_address(settings.DEFAULT_FROM_EMAIL, "utf-8")
        self.unsubscribe = _link("pages:subscription-unsubscribe")
        self.preferences = _link("pages:subscription-preferences")
        self.domain = _domain()
        self.raw = (
            self._email(text=text, html=html, message_id=f"<{_MESSAGE_ID}>", unsubscribe=f"<{PLACEHOLDERS[0]}>")
            .message()
            .as_bytes(linesep="\r\n")
        )
        # Placeholders survive verbatim in 8-bit bodies (Django's choice for UTF-8 with short
        # lines); a body it had to quote-print is built per copy instead.
        self.verbatim = self.raw.count(_UNSUBSCRIBE) == (text + html).count(PLACEHOLDERS[0]) + 1 and self.raw.count(
            _PREFERENCES
        ) == (text + html).count(PLACEHOLDERS[1])
        self._unsubscribe_b = self.unsubscribe.encode()
        self._preferences_b = self.preferences.encode()

    def _email(self, *, text: str, html: str, message_id: str, unsubscribe: str, to: str | None = None):
        email = EmailMultiAlternatives(
            subject=self.subject,
            body=text,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[to] if to else None,
            headers={"Message-ID": message_id, "List-Unsubscribe": unsubscribe, **self.headers},
        )
        if html:
            email.attach_alternative(html, "text/html")
        return email

    def email(self, delivery_id: int, email: str, token: str) -> EmailMultiAlternatives:
        """The copy as a Django message, for backends other than SMTP (locmem, console, file)."""
        unsubscribe = self.unsubscribe.replace("TOKEN", token)
        preferences = self.preferences.replace("TOKEN", token)
        text, html = self.text, self.html
        for key, value in ((PLACEHOLDERS[0], unsubscribe), (PLACEHOLDERS[1], preferences)):
            text, html = text.replace(key, value), html.replace(key, value)
        return self._email(
            text=text,
            html=html,
            to=email,
            message_id=f"<list-{delivery_id}@{self.domain}>",
            unsubscribe=f"<{unsubscribe}>",
        )

    def copy(self, delivery_id: int, email: str, token: str) -> bytes:
        """The copy as bytes on the wire: the language's bytes with the per-copy parts replaced."""
        if not self.verbatim:
            return self.email(delivery_id, email, token).message().as_bytes(linesep="\r\n")
        token_b = token.encode()
        raw = self.raw.replace(_UNSUBSCRIBE, self._unsubscribe_b.replace(b"TOKEN", token_b))
        raw = raw.replace(_PREFERENCES, self._preferences_b.replace(b"TOKEN", token_b))
        raw = raw.replace(_MESSAGE_ID.encode(), f"list-{delivery_id}@{self.domain}".encode(), 1)
        return b"To: " + sanitize_address(email, "utf-8").encode() + b"\r\n" + raw


def templates(message: ListMessage) -> dict[str, Template]:
    rendered = message.rendered or {}
    fallback = rendered.get(settings.LANGUAGE_CODE) or next(iter(rendered.values()), None)
    result = {}
    for language in {*rendered, *(code for code, _name in settings.LANGUAGES)}:
        parts = rendered.get(language) or fallback
        if parts:
            result[language] = Template(
                subject=parts.get("subject", ""),
                text=parts.get("text", ""),
                html=parts.get("html", ""),
                language=language,
                message_id=message.pk,
            )
    return result


# --- sending one chunk ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ChunkOutcome:
    status: str  # done | retry | not_claimed
    sent: int = 0
    failed: int = 0
    retry_in: float | None = None


class _Refused(Exception):
    """The server said no to one copy. ``about_address``: at RCPT or at the end of DATA, so a 5xx
    says something about the recipient; a refused MAIL FROM or DATA is about us or the session."""

    def __init__(self, code: int, reply: bytes | str, *, about_address: bool = True):
        self.code = code
        self.about_address = about_address
        self.reply = reply.decode(errors="replace") if isinstance(reply, bytes) else str(reply)
        super().__init__(f"{code} {self.reply}")


def claim(*, chunk_id: int, now: dt.datetime) -> int | None:
    """One conditional ``UPDATE … RETURNING``: the chunk is ours if it was pending and due, or
    sending with its lease run out (its worker died). Returns the attempt number, or None."""
    table = ListChunk._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET status = %s, claimed_at = %s, attempts = attempts + 1 "  # noqa: S608 (our table name)
            "WHERE id = %s AND ((status = %s AND next_attempt_at <= %s) OR (status = %s AND claimed_at < %s)) "
            "RETURNING attempts",
            [
                ListChunk.Status.SENDING,
                now,
                chunk_id,
                ListChunk.Status.PENDING,
                now,
                ListChunk.Status.SENDING,
                now - lease(),
            ],
        )
        row = cursor.fetchone()
    return row[0] if row else None


class Pacer:
    """``LIST_SEND_RATE`` for one chunk's connection, and the ``LIST_SEND_WINDOW_CAP`` across all workers."""

    def __init__(self):
        rate = float(_setting("LIST_SEND_RATE", 0) or 0)
        self.interval = 1.0 / rate if rate > 0 else 0.0
        self.cap = int(_setting("LIST_SEND_WINDOW_CAP", 0) or 0)
        self.window = dt.timedelta(seconds=float(_setting("LIST_SEND_WINDOW_SECONDS", 3600)))
        self.next_at = 0.0

    def wait(self) -> None:
        if self.interval:
            now = time.monotonic()
            if now < self.next_at:
                time.sleep(self.next_at - now)
            self.next_at = max(now, self.next_at) + self.interval

    def room_until(self) -> dt.datetime | None:
        """None while the window has room; otherwise when it will again."""
        if not self.cap:
            return None
        since = timezone.now() - self.window
        in_window = ListDelivery.objects.filter(sent_at__gte=since)
        if in_window.count() < self.cap:
            return None
        oldest = in_window.order_by("sent_at").values_list("sent_at", flat=True).first()
        return (oldest or timezone.now()) + self.window


def _is_permanent(exc: Exception) -> bool:
    if isinstance(exc, _Refused):
        return exc.code >= 500 and exc.about_address
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _message in exc.recipients.values())
    if isinstance(exc, smtplib.SMTPResponseException):
        return exc.smtp_code >= 500
    return False


def _record_permanent_failure(email: str, error: str) -> None:
    """Count a 5xx on the address; after ``LIST_SUPPRESS_AFTER`` of them it is suppressed."""
    with transaction.atomic():
        row, _created = Suppression.objects.select_for_update().get_or_create(email=email)
        row.permanent_failures += 1
        row.last_error = error[:300]
        if row.suppressed_at is None and row.permanent_failures >= suppress_after():
            row.suppressed_at = timezone.now()
        row.save(update_fields=["permanent_failures", "last_error", "suppressed_at", "updated_at"])


MARK_SENT_SQL = f"UPDATE {ListDelivery._meta.db_table} SET status = %s, sent_at = %s WHERE id = %s AND status = %s"


def _send_one(smtp: smtplib.SMTP, *, sender: str, delivery_id: int, email: str, raw: bytes) -> None:
    """One SMTP transaction; the copy is marked sent just before DATA's final ``.`` (see module doc)."""
    code, reply = smtp.mail(sender)
    if code != 250:
        smtp.rset()
        raise _Refused(code, reply, about_address=False)
    code, reply = smtp.rcpt(email)
    if code not in (250, 251):
        smtp.rset()
        raise _Refused(code, reply)
    smtp.putcmd("data")
    code, reply = smtp.getreply()
    if code != 354:
        smtp.rset()
        raise _Refused(code, reply, about_address=False)
    payload = _DOT_STUFF.sub(b"..", raw)  # raw already has CRLF line ends (as_bytes(linesep="\r\n"))
    if not payload.endswith(b"\r\n"):
        payload += b"\r\n"
    smtp.send(payload)
    # The one committed write a copy costs (autocommit: its own transaction), straight through the
    # cursor: on the hot path of every copy, the ORM's query building is most of the CPU it takes.
    with connection.cursor() as cursor:
        cursor.execute(
            MARK_SENT_SQL, [ListDelivery.Status.SENT, timezone.now(), delivery_id, ListDelivery.Status.PENDING]
        )
        marked = cursor.rowcount
    if not marked:  # another worker took it meanwhile (cannot happen inside a lease): abandon this DATA
        raise smtplib.SMTPServerDisconnected("delivery no longer pending")
    try:
        smtp.send(b".\r\n")
        code, reply = smtp.getreply()
    except smtplib.SMTPServerDisconnected:
        # The whole message and its end reached the socket: the server has it or decides alone.
        logger.warning("List delivery %s: connection lost after the end of DATA; counted as sent", delivery_id)
        raise
    if code != 250:
        back = ListDelivery.Status.FAILED if code >= 500 else ListDelivery.Status.PENDING
        ListDelivery.objects.filter(pk=delivery_id).update(status=back, sent_at=None)
        raise _Refused(code, reply)


def chunk_send(*, chunk_id: int, now: dt.datetime | None = None) -> ChunkOutcome:
    """Send the pending deliveries of one chunk over one SMTP connection. Call outside a transaction."""
    now = now or timezone.now()
    attempt = claim(chunk_id=chunk_id, now=now)
    if attempt is None:
        return ChunkOutcome("not_claimed")
    chunk = ListChunk.objects.select_related("message").get(pk=chunk_id)
    pending = list(
        ListDelivery.objects.filter(chunk_id=chunk_id, status=ListDelivery.Status.PENDING)
        .order_by("pk")
        .values_list("pk", "email", "language", "subscription__token", "subscription__unsubscribed_at")
    )
    # Unsubscribed (or erased) since the message was prepared: that copy is not sent.
    gone = [pk for pk, _email, _lang, token, unsubscribed_at in pending if token is None or unsubscribed_at]
    if gone:
        ListDelivery.objects.filter(pk__in=gone, status=ListDelivery.Status.PENDING).update(
            status=ListDelivery.Status.SUPPRESSED, error="unsubscribed before sending"
        )
    pending = [row[:4] for row in pending if row[0] not in set(gone)]
    sent = failed = 0
    retry_reason = ""
    if pending:
        by_language = templates(chunk.message)
        pacer = Pacer()
        renew_every = max(lease().total_seconds() / 3, 0.5)
        renewed = time.monotonic()
        timeout = getattr(settings, "EMAIL_TIMEOUT", None) or _setting("NOTIFICATION_SMTP_TIMEOUT", 30)
        backend = get_connection(timeout=timeout)
        try:
            backend.open()
        except Exception as exc:  # the relay is down: the whole chunk waits
            return _release(chunk, attempt, reason=f"could not connect: {exc!r}")
        smtp = getattr(backend, "connection", None)
        smtp = smtp if isinstance(smtp, smtplib.SMTP) else None
        try:
            if smtp is not None:
                smtp.ehlo_or_helo_if_needed()
                # A copy ends with two small writes (the body, then the final dot after its row is
                # marked): without this, Nagle's algorithm holds the dot for the server's delayed ACK.
                smtp.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            for delivery_id, email, language, token in pending:
                room = pacer.room_until()
                if room is not None:
                    return _release(chunk, attempt, reason="sending window full", at=room, count=False, sent=sent)
                pacer.wait()
                if time.monotonic() - renewed > renew_every:
                    ListChunk.objects.filter(pk=chunk_id, status=ListChunk.Status.SENDING).update(
                        claimed_at=timezone.now()
                    )
                    renewed = time.monotonic()
                template = by_language.get(language) or by_language[settings.LANGUAGE_CODE]
                try:
                    if smtp is not None:
                        raw = template.copy(delivery_id, email, token)
                        _send_one(smtp, sender=template.from_address, delivery_id=delivery_id, email=email, raw=raw)
                    else:
                        backend.send_messages([template.email(delivery_id, email, token)])
                        ListDelivery.objects.filter(pk=delivery_id, status=ListDelivery.Status.PENDING).update(
                            status=ListDelivery.Status.SENT, sent_at=timezone.now()
                        )
                except (_Refused, smtplib.SMTPRecipientsRefused, smtplib.SMTPResponseException) as exc:
                    if _is_permanent(exc):
                        ListDelivery.objects.filter(pk=delivery_id).update(
                            status=ListDelivery.Status.FAILED, error=str(exc)[:300], sent_at=None
                        )
                        _record_permanent_failure(email, str(exc))
                        failed += 1
                    else:
                        retry_reason = str(exc)
                    continue
                except (smtplib.SMTPException, OSError) as exc:
                    return _release(chunk, attempt, reason=f"connection lost: {exc!r}", sent=sent)
                sent += 1
        finally:
            try:
                backend.close()
            except Exception:  # noqa: BLE001, S110 (QUIT is not part of any delivery)
                pass
    if retry_reason:
        return _release(chunk, attempt, reason=retry_reason, sent=sent)
    return _finish_chunk(chunk, sent=sent, failed=failed)


def _release(
    chunk: ListChunk,
    attempt: int,
    *,
    reason: str,
    at: dt.datetime | None = None,
    count: bool = True,
    sent: int = 0,
) -> ChunkOutcome:
    """Back to ``pending`` for a later attempt; after ``LIST_CHUNK_MAX_ATTEMPTS`` the rest fail."""
    if count and attempt >= max_attempts():
        ListDelivery.objects.filter(chunk_id=chunk.pk, status=ListDelivery.Status.PENDING).update(
            status=ListDelivery.Status.FAILED, error=f"gave up after {attempt} attempts: {reason}"[:300]
        )
        logger.warning("List chunk %s gave up after %s attempts: %s", chunk.pk, attempt, reason)
        return _finish_chunk(chunk, sent=sent, failed=0)
    at = at or timezone.now() + retry_delay(attempt)
    ListChunk.objects.filter(pk=chunk.pk, status=ListChunk.Status.SENDING).update(
        status=ListChunk.Status.PENDING,
        next_attempt_at=at,
        attempts=F("attempts") if count else F("attempts") - 1,
    )
    logger.info("List chunk %s: %s; again at %s", chunk.pk, reason, at)
    return ChunkOutcome("retry", sent=sent, retry_in=max((at - timezone.now()).total_seconds(), 0.0))


def _finish_chunk(chunk: ListChunk, *, sent: int, failed: int) -> ChunkOutcome:
    now = timezone.now()
    ListChunk.objects.filter(pk=chunk.pk, status=ListChunk.Status.SENDING).update(
        status=ListChunk.Status.DONE, finished_at=now
    )
    if not ListChunk.objects.filter(message_id=chunk.message_id).exclude(status=ListChunk.Status.DONE).exists():
        finished = ListMessage.objects.filter(pk=chunk.message_id, status=ListMessage.Status.SENDING).update(
            status=ListMessage.Status.DONE, finished_at=now
        )
        if finished:
            _mark_bulletin_sent(message_id=chunk.message_id)
    return ChunkOutcome("done", sent=sent, failed=failed)


def _mark_bulletin_sent(*, message_id: int) -> None:
    """A bulletin issue is "sent" once its list message has gone to everyone (the desk and the
    archive say so); a notice's message needs no mark of its own."""
    Bulletin.objects.filter(list_messages__pk=message_id, status=Bulletin.Status.SENDING).update(
        status=Bulletin.Status.SENT
    )


# --- the sweeper ----------------------------------------------------------------------------------


def list_sweep(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Beat: prepare messages whose task was lost; re-queue chunks pending past their time (plus
    the sweep grace, so a queued task is not doubled needlessly) and chunks whose lease expired.
    Re-queueing is always safe: a chunk is sent by whoever claims it."""
    now = now or timezone.now()
    grace = dt.timedelta(seconds=float(_setting("NOTIFICATION_SWEEP_GRACE_SECONDS", 120)))
    prepared = 0
    for pk in ListMessage.objects.filter(status=ListMessage.Status.PREPARING, created_at__lt=now - grace).values_list(
        "pk", flat=True
    ):
        list_prepare(message_id=pk)
        prepared += 1
    due = ListChunk.objects.filter(
        Q(status=ListChunk.Status.PENDING, next_attempt_at__lte=now - grace)
        | Q(status=ListChunk.Status.SENDING, claimed_at__lt=now - lease())
    ).values_list("pk", flat=True)[:2000]
    queued = 0
    for pk in due:
        if not _publish(send_list_chunk, chunk_id=pk):
            break
        queued += 1
    return {"prepared": prepared, "queued": queued}


# --- tasks ----------------------------------------------------------------------------------------


@shared_task(ignore_result=True, name="notifications.tasks.prepare_list_message")
def prepare_list_message(*, message_id: int) -> int:
    return list_prepare(message_id=message_id)


@shared_task(bind=True, acks_late=True, ignore_result=True, name="notifications.tasks.send_list_chunk")
def send_list_chunk(self, *, chunk_id: int) -> str:
    outcome = chunk_send(chunk_id=chunk_id)
    if outcome.retry_in is not None and not self.request.is_eager:
        raise self.retry(countdown=outcome.retry_in, max_retries=None)
    return outcome.status


@shared_task(ignore_result=True, name="notifications.tasks.sweep_list_messages")
def sweep_list_messages() -> dict[str, int]:
    return list_sweep()
