"""List sending with real parts: a Celery worker on Redis, an aiosmtpd server, 10,000 subscribers.

The worker is SIGKILLed in the worst place for doubles: the mail server has received the whole
message (DATA's final dot) and the worker waits for its "250". A second worker and the beat
sweeper then finish the list: every subscriber ends with exactly one copy.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import Counter

import pytest
from django.db import transaction
from django.utils import timezone

from notifications import listsend, selectors
from notifications.models import ListChunk, ListDelivery, Subscription
from tests.factories import NoticeFactory
from tests.notifications.conftest import free_port
from tests.notifications.test_integration import REDIS_URL, celery_broker, celery_worker, redis_or_skip, wait_for

SUBSCRIBERS = 10_000
KILL_AT = 3_000  # the copy during whose "250" the worker dies
LANGUAGES = ("en", "zh-hans", "ja")


class HoldingSink:
    """Counts copies per recipient; holds the answer to the ``hold_at``-th DATA until released."""

    def __init__(self, hold_at: int):
        self.received: Counter[str] = Counter()
        self.subjects: dict[str, str] = {}
        self.count = 0
        self.hold_at = hold_at
        self.holding = threading.Event()
        self.release = threading.Event()
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.count += 1
            number = self.count
            for rcpt in envelope.rcpt_tos:
                self.received[rcpt] += 1
            raw = envelope.original_content or b""
            subject = next((line for line in raw.split(b"\r\n") if line.startswith(b"Subject:")), b"")
            self.subjects[envelope.rcpt_tos[0]] = subject.decode(errors="replace")
        if number == self.hold_at:
            self.holding.set()
            while not self.release.is_set():
                await asyncio.sleep(0.05)
        return "250 OK"


def make_subscribers(count: int) -> None:
    now = timezone.now()
    Subscription.objects.bulk_create(
        (
            Subscription(
                email=f"reader{i}@example.org",
                language=LANGUAGES[i % 3],
                token=f"tok{i:06d}-" + "x" * 30,
                notice_categories=["works"],
                confirmed_at=now,
            )
            for i in range(count)
        ),
        batch_size=2000,
    )


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_send_leaves_every_subscriber_exactly_one_copy(tmp_path, monkeypatch, settings):
    from aiosmtpd.controller import Controller

    redis_client = redis_or_skip()
    redis_client.flushdb()
    monkeypatch.setenv("LIST_CHUNK_LEASE_SECONDS", "3")  # the workers'
    settings.LIST_CHUNK_LEASE_SECONDS = 3  # this process runs the sweeper
    make_subscribers(SUBSCRIBERS)
    notice = NoticeFactory(category="works")
    rendered = {
        "en": {"subject": "Road works", "text": "Closed. [[unsubscribe_url]]\n", "html": ""},
        "zh-hans": {"subject": "道路施工", "text": "封闭。[[unsubscribe_url]]\n", "html": ""},
        "ja": {"subject": "道路工事", "text": "通行止め。[[unsubscribe_url]]\n", "html": ""},
    }
    sink = HoldingSink(hold_at=KILL_AT)
    controller = Controller(sink, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        with celery_broker(REDIS_URL):
            with celery_worker(smtp_port=controller.port, log=tmp_path / "worker-1.log") as first:
                with transaction.atomic():
                    message = listsend.post(
                        organization=notice.organization, dedupe_key="works-1", rendered=rendered, notice=notice
                    )
                assert sink.holding.wait(timeout=120), (tmp_path / "worker-1.log").read_text(errors="replace")
                first.kill()  # SIGKILL while it waits for the 250 of copy KILL_AT
                first.wait()
            sink.release.set()
            killed = ListChunk.objects.filter(message=message, status="sending")
            assert killed.count() == 1  # the dead worker's chunk, claimed and unfinished
            assert sum(sink.received.values()) == KILL_AT
            assert ListDelivery.objects.filter(message=message, status="sent").count() == KILL_AT

            with celery_worker(smtp_port=controller.port, log=tmp_path / "worker-2.log"):
                # The queued chunks go out; the killed one waits for its lease to run out, then beat's
                # sweeper re-queues it and it resumes with the copies still pending.
                time.sleep(3.5)
                assert wait_for(
                    lambda: (
                        listsend.list_sweep()["queued"] >= 0
                        and selectors.list_message_status(message_id=message.pk)["status"] == "done"
                    ),
                    timeout=240,
                    interval=2,
                ), (tmp_path / "worker-2.log").read_text(errors="replace")
                time.sleep(1)  # a copy sent twice would arrive now
    finally:
        controller.stop()
        redis_client.flushdb()

    expected = {f"reader{i}@example.org" for i in range(SUBSCRIBERS)}
    assert set(sink.received) == expected
    doubled = {address: n for address, n in sink.received.items() if n != 1}
    assert doubled == {}
    status = selectors.list_message_status(message_id=message.pk)
    assert (status["recipients"], status["sent"], status["failed"], status["pending"]) == (
        SUBSCRIBERS,
        SUBSCRIBERS,
        0,
        0,
    )
    assert sink.subjects["reader1@example.org"].startswith("Subject: =?utf-8?")  # zh-hans, encoded header
    assert sink.subjects["reader0@example.org"] == "Subject: Road works"
