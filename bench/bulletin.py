"""One Weekly Bulletin to 100,000 subscribers through list sending, against bare smtplib in the same run.

    .venv/bin/python -m bench.bulletin [--subscribers 100000] [--workers 2] [--bare 20000]

PostgreSQL (a fresh database), Redis (``BENCH_BULLETIN_REDIS_URL``, flushed) and an aiosmtpd sink
in this process, all on loopback. N confirmed subscribers in three languages (en / zh-hans / ja);
one bulletin issue is posted exactly as a desk posts it (``notifications.listsend.post`` in a
transaction); two list workers (``celery worker -Q lists --pool=threads --concurrency=8``, as
``docker/entrypoint.sh list-worker`` runs them) prepare it (recipients into chunks) and
send the chunks. Timed from the post to the last copy accepted by the sink.

Baseline, same run, same sink: one real copy (bytes, as a chunk sends it) sent ``--bare`` times
with smtplib over one connection. The ratio is list throughput / bare throughput (target ≥ 0.5).
Exits non-zero if any subscriber is missing a copy or got two.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import smtplib
import time

from bench import harness
from bench import notifications as reminders_bench
from bench.notifications import Sink, workers

REDIS_URL = os.environ.get("BENCH_BULLETIN_REDIS_URL", "redis://127.0.0.1:6379/3")
DATABASE = "huiguan_bench_bulletin"
LANGUAGES = ("en", "zh-hans", "ja")
RENDERED = {
    "en": {
        "subject": "Weekly Bulletin — Riverside Centre",
        "text": "This week: dumpling night, Chinese for beginners, road works on River Road.\n\n"
        "Your choices: [[preferences_url]]\nUnsubscribe: [[unsubscribe_url]]\n",
        "html": "<h1>Weekly Bulletin</h1><p>This week: dumpling night, Chinese for beginners.</p>"
        '<p><a href="[[preferences_url]]">Your choices</a> · <a href="[[unsubscribe_url]]">Unsubscribe</a></p>',
    },
    "zh-hans": {
        "subject": "每周简报 — 河畔中心",
        "text": "本周：包饺子之夜、初级中文课、滨江路施工。\n\n偏好：[[preferences_url]]\n退订：[[unsubscribe_url]]\n",
        "html": "<h1>每周简报</h1><p>本周：包饺子之夜、初级中文课。</p>"
        '<p><a href="[[preferences_url]]">偏好</a> · <a href="[[unsubscribe_url]]">退订</a></p>',
    },
    "ja": {
        "subject": "週刊ニュースレター — リバーサイド",
        "text": "今週：餃子の夜、初級中国語、リバー通りの工事。\n\n"
        "設定：[[preferences_url]]\n配信停止：[[unsubscribe_url]]\n",
        "html": "<h1>週刊ニュースレター</h1><p>今週：餃子の夜、初級中国語。</p>"
        '<p><a href="[[preferences_url]]">設定</a> · <a href="[[unsubscribe_url]]">配信停止</a></p>',
    },
}


def make_subscribers(count: int):
    from django.utils import timezone

    from notifications.models import Bulletin, Subscription
    from notifications.subscriptions import new_token
    from organizations.models import Organization

    organization = Organization.objects.create(
        slug="bench-bulletin", name={"en": "Riverside Centre", "zh-hans": "河畔中心", "ja": "リバーサイド"}
    )
    now = timezone.now()
    for start in range(0, count, 5000):
        Subscription.objects.bulk_create(
            Subscription(
                email=f"reader{i}@example.org",
                language=LANGUAGES[i % 3],
                token=new_token(),
                confirmed_at=now,
            )
            for i in range(start, min(start + 5000, count))
        )
    bulletin = Bulletin.objects.create(
        organization=organization, week_start=dt.date(2026, 11, 30), contents=RENDERED, status="sending"
    )
    return organization, bulletin


def sample_copy() -> bytes:
    """One real copy as a chunk sends it (the zh-hans bytes with its links filled in)."""
    from notifications import listsend
    from notifications.models import ListMessage

    message = ListMessage(pk=0, rendered=RENDERED)
    template = listsend.templates(message)["zh-hans"]
    return template.copy(1, "reader1@example.org", "x" * 43)


def bare_rate(port: int, raw: bytes, count: int) -> float:
    start = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port) as client:
        for i in range(count):
            client.sendmail("noreply@huiguan.local", [f"bare{i}@example.org"], raw)
    return count / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--subscribers", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--bare", type=int, default=20_000, help="copies for the bare smtplib rate")
    parser.add_argument("--timeout", type=float, default=1800)
    parser.add_argument("--threads", type=int, default=8, help="chunks each worker sends at once (1: solo pool)")
    args = parser.parse_args()

    os.environ["CELERY_BROKER_URL"] = REDIS_URL  # this process publishes for real (not eager)
    reminders_bench.REDIS_URL = REDIS_URL  # its workers() starts them on this Redis database
    database_url = harness.fresh_database(DATABASE)
    harness.django_setup(database_url)
    import redis
    from django.db import transaction

    from notifications import listsend, selectors
    from notifications.models import ListDelivery

    redis.Redis.from_url(REDIS_URL).flushdb()
    organization, bulletin = make_subscribers(args.subscribers)
    log_dir = harness.ROOT / "var" / "bench"
    log_dir.mkdir(parents=True, exist_ok=True)
    print(
        f"Bulletin benchmark — {harness.machine()}; {args.subscribers} subscribers (en/zh-hans/ja); "
        f"{args.workers} workers; PostgreSQL, Redis, aiosmtpd sink on loopback"
    )
    with harness.smtp_sink(Sink()) as (sink, port):
        raw = sample_copy()
        bare = bare_rate(port, raw, args.bare)
        sink.reset()
        print(f"{'bare smtplib, one connection':<40} {bare:>9.1f} msg/s   ({len(raw)} bytes per copy)")
        pool = {"pool": "threads", "concurrency": args.threads, "queues": "lists"} if args.threads > 1 else {}
        with workers(args.workers, database_url=database_url, smtp_port=port, log_dir=log_dir, **pool):
            start = time.perf_counter()
            with transaction.atomic():
                message = listsend.post(
                    organization=organization,
                    dedupe_key=f"bulletin:{bulletin.pk}",
                    rendered=RENDERED,
                    bulletin=bulletin,
                )
            deadline = start + args.timeout
            prepared_at = None
            while sink.accepted < args.subscribers and time.perf_counter() < deadline:
                if prepared_at is None and message.chunks.exists():
                    prepared_at = time.perf_counter()
                time.sleep(0.05)
            elapsed = time.perf_counter() - start
            time.sleep(2)  # anything sent twice would arrive now
    expected = {f"reader{i}@example.org" for i in range(args.subscribers)}
    missing = len(expected - set(sink.recipients))
    doubled = sum(n - 1 for n in sink.recipients.values() if n > 1)
    status = selectors.list_message_status(message_id=message.pk)
    rate = sink.accepted / elapsed
    chunks = message.chunks.count()
    print(
        f"{f'list sending, {args.workers} workers × {args.threads} threads':<40} {rate:>9.1f} msg/s   "
        f"{elapsed:6.1f} s from post to the sink's last copy ({chunks} chunks; first chunk written after "
        f"{(prepared_at or start) - start:4.1f} s)"
    )
    print(
        f"ratio list / bare: {rate / bare:.3f}; accepted {sink.accepted}, deliveries sent {status['sent']}, "
        f"failed {status['failed']}, missing {missing}, doubled {doubled}; "
        f"rows {ListDelivery.objects.filter(message=message).count()}"
    )
    if missing or doubled or status["sent"] != args.subscribers:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
