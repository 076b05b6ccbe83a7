"""Reminder emails through the outbox and real Celery workers, against the bare send rate of the same SMTP sink.

    .venv/bin/python -m bench.notifications [--emails 10000] [--workers 2]    # ~4 min on 2 cores

PostgreSQL (a fresh database), Redis (db 15, flushed) and an aiosmtpd sink in this process, all on
loopback. Each run records one reminder per confirmed attendee of a session starting in 20 hours,
exactly as the beat task does (``reminders_enqueue``: outbox rows in batches of 1000, one sending
task per row published after each batch commits), and N ``celery worker --pool=solo`` processes
render and send them. Timed from the first row written to the last message accepted by the sink.

Baseline, same run, same sink: the same rendered reminder (bytes) sent N times with smtplib over
one connection. The ratio is worker throughput / bare throughput. A second baseline opens one
connection per message, as Django's SMTP backend does per task, to show where time goes.
Exits non-zero if any message is missing or sent twice.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import signal
import smtplib
import subprocess
import sys
import threading
import time
from collections import Counter
from contextlib import contextmanager
from pathlib import Path

from bench import harness

REDIS_URL = os.environ.get("BENCH_NOTIFICATIONS_REDIS_URL", "redis://127.0.0.1:6379/15")
DATABASE = "huiguan_bench_notifications"
LANGUAGES = ("en", "zh-hans", "ja")


class Sink:
    """aiosmtpd handler that only counts: what a fast mail relay looks like from our side."""

    def __init__(self):
        self.recipients: Counter[str] = Counter()
        self.accepted = 0
        self.bytes = 0
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.accepted += 1
            self.bytes += len(envelope.original_content or b"")
            self.recipients.update(envelope.rcpt_tos)
        return "250 OK"

    def reset(self) -> None:
        with self.lock:
            self.recipients.clear()
            self.accepted = 0
            self.bytes = 0


@contextmanager
def workers(
    count: int,
    *,
    database_url: str,
    smtp_port: int,
    log_dir: Path,
    pool: str = "solo",
    concurrency: int = 1,
    queues: str = "",
):
    """``count`` worker processes with the production settings, on Redis, sending to the sink."""
    env = harness.base_env(
        database_url,
        CELERY_BROKER_URL=REDIS_URL,
        EMAIL_URL=f"smtp://127.0.0.1:{smtp_port}",
        DJANGO_SETTINGS_MODULE="backend.settings",
    )
    processes = []
    logs = []
    for index in range(count):
        log = log_dir / f"worker-{count}-{index}.log"
        logs.append(log)
        command = [sys.executable, "-m", "celery", "-A", "backend", "worker", f"--pool={pool}", "-l", "warning"]
        if pool != "solo":
            command += [f"--concurrency={concurrency}"]
        if queues:
            command += ["-Q", queues]
        command += ["-n", f"bench-{count}-{index}@%h", "--without-gossip", "--without-mingle", "--without-heartbeat"]
        with log.open("wb") as output:
            processes.append(
                subprocess.Popen(command, cwd=harness.ROOT, env=env, stdout=output, stderr=subprocess.STDOUT)
            )
    try:
        # Ready when every worker answers a ping over the broker.
        from backend.celery import app

        deadline = time.time() + 60
        while time.time() < deadline:
            if any(process.poll() is not None for process in processes):
                raise RuntimeError("a worker exited:\n" + "\n".join(log.read_text(errors="replace") for log in logs))
            if len(app.control.ping(timeout=0.5)) >= count:
                break
        else:
            raise RuntimeError("the workers did not come up")
        yield processes
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()


def make_attendees(count: int):
    """One event, one session starting in 20 h (reminder due: 24 h), ``count`` confirmed attendees."""
    from django.utils import timezone

    from events.models import Event, Session
    from organizations.models import Organization, Venue
    from registrations.models import Registration
    from registrations.services import event_recount

    organization = Organization.objects.create(
        slug="bench-notify", name={"en": "Riverside Centre", "zh-hans": "河畔中心", "ja": "リバーサイド"}
    )
    venue = Venue.objects.create(
        organization=organization,
        name={"en": "Hall 2", "zh-hans": "二号厅", "ja": "2号ホール"},
        address={"en": "1 River Road", "zh-hans": "滨江路1号"},
        latitude="31.230400",
        longitude="121.473700",
    )
    event = Event.objects.create(
        organization=organization,
        slug="bench-reminders",
        title={"en": "Dumpling night", "zh-hans": "包饺子之夜", "ja": "餃子の夜"},
        summary={"en": "Bring an apron.", "zh-hans": "请带围裙。", "ja": "エプロンをご持参ください。"},
        venue=venue,
        capacity=count,
        status=Event.Status.PUBLISHED,
        reminder_hours=24,
    )
    start = timezone.now() + dt.timedelta(hours=20)
    session = Session.objects.create(event=event, starts_at=start, ends_at=start + dt.timedelta(hours=2))
    confirmed_at = timezone.now() - dt.timedelta(days=3)
    Registration.objects.bulk_create(
        (
            Registration(
                event=event,
                name=f"Attendee {i}",
                email=f"attendee{i}@example.org",
                language=LANGUAGES[i % 3],
                status=Registration.Status.CONFIRMED,
                confirmed_at=confirmed_at,
            )
            for i in range(count)
        ),
        batch_size=2000,
    )
    event_recount(event_id=event.pk)
    return event, session


def sample_message() -> bytes:
    """One rendered reminder, as bytes on the wire: the baseline sends exactly this."""
    from notifications import messages
    from notifications.outbox import Kind
    from notifications.outbox import row as outbox_row
    from registrations.models import Registration

    registration = Registration.objects.select_related("event__organization", "event__venue").order_by("id").first()
    row = outbox_row(registration=registration, kind=Kind.REMINDER, session=registration.event.sessions.get())
    row.registration = registration
    row.pk = 0  # never saved: only rendered
    return messages.build(row).message.message().as_bytes(linesep="\r\n")


def bare_rate(port: int, raw: bytes, count: int, *, reconnect: bool) -> float:
    """Messages per second straight from smtplib: one connection, or one per message."""
    start = time.perf_counter()
    if reconnect:
        for i in range(count):
            with smtplib.SMTP("127.0.0.1", port) as client:
                client.sendmail("noreply@huiguan.local", [f"bare{i}@example.org"], raw)
    else:
        with smtplib.SMTP("127.0.0.1", port) as client:
            for i in range(count):
                client.sendmail("noreply@huiguan.local", [f"bare{i}@example.org"], raw)
    return count / (time.perf_counter() - start)


def run_workers(count: int, *, emails: int, sink: Sink, timeout: float) -> dict:
    """Record the reminders (as beat would) and wait until the sink has them all."""
    from notifications import services
    from notifications.models import Notification

    Notification.objects.all().delete()
    sink.reset()
    start = time.perf_counter()
    recorded = services.reminders_enqueue()
    enqueued = time.perf_counter() - start
    deadline = start + timeout
    while sink.accepted < emails and time.perf_counter() < deadline:
        time.sleep(0.05)
    elapsed = time.perf_counter() - start
    time.sleep(1)  # anything sent twice would arrive now
    sent_rows = Notification.objects.filter(status="sent").count()
    duplicates = sum(n - 1 for n in sink.recipients.values() if n > 1)
    return {
        "workers": count,
        "recorded": recorded,
        "enqueue_s": enqueued,
        "elapsed_s": elapsed,
        "accepted": sink.accepted,
        "sent_rows": sent_rows,
        "duplicates": duplicates,
        "rate": sink.accepted / elapsed,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--emails", type=int, default=10_000)
    parser.add_argument("--workers", default="2", help="comma-separated worker counts, one run each, e.g. 1,2")
    parser.add_argument("--timeout", type=float, default=420, help="seconds per run before giving up")
    args = parser.parse_args()
    counts = [int(n) for n in args.workers.split(",")]

    os.environ["CELERY_BROKER_URL"] = REDIS_URL  # this process publishes for real (not eager)
    database_url = harness.fresh_database(DATABASE)
    harness.django_setup(database_url)
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()
    make_attendees(args.emails)
    log_dir = harness.ROOT / "var" / "bench"
    log_dir.mkdir(parents=True, exist_ok=True)

    print(
        f"Notifications benchmark — {harness.machine()}; {args.emails} reminder emails; PostgreSQL, Redis, "
        "aiosmtpd sink on loopback"
    )
    results = []
    failed = False
    with harness.smtp_sink(Sink()) as (sink, port):
        raw = sample_message()
        bare = bare_rate(port, raw, args.emails, reconnect=False)
        sink.reset()
        per_connection = bare_rate(port, raw, min(args.emails, 2000), reconnect=True)
        sink.reset()
        print(f"{'bare smtplib, one connection':<44} {bare:>9.1f} msg/s   ({len(raw)} bytes per message)")
        print(f"{'bare smtplib, one connection per message':<44} {per_connection:>9.1f} msg/s")
        for count in counts:
            with workers(count, database_url=database_url, smtp_port=port, log_dir=log_dir):
                result = run_workers(count, emails=args.emails, sink=sink, timeout=args.timeout)
            results.append(result)
            label = f"outbox → Celery, {count} worker{'s' if count > 1 else ''} (solo pool)"
            print(
                f"{label:<44} {result['rate']:>9.1f} msg/s   {result['elapsed_s']:6.1f} s total, "
                f"enqueue {result['enqueue_s']:5.1f} s, ratio to bare {result['rate'] / bare:.3f} "
                f"(to per-connection bare {result['rate'] / per_connection:.2f}); "
                f"accepted {result['accepted']}, rows sent {result['sent_rows']}, duplicates {result['duplicates']}"
            )
            right = result["accepted"] == result["recorded"] == result["sent_rows"] == args.emails
            failed |= not right or result["duplicates"] > 0
    best = max(results, key=lambda r: r["rate"])
    print(
        f"ratio outbox-through-workers / bare SMTP (best, {best['workers']} workers): {best['rate'] / bare:.3f}; "
        f"every message exactly once: {'yes' if not failed else 'NO'}"
    )
    if failed:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
