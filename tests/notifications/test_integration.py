"""Real parts: a Celery worker process on Redis, a real SMTP server, the database the test uses.

The worker is ``celery -A backend worker`` with the normal settings, pointed at this test's
database (committed data: ``transaction=True``), at Redis, and at an aiosmtpd server in this
process. Skipped cleanly when Redis is not answering on 127.0.0.1:6379.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.core import mail
from django.db import connection
from django.utils import timezone

from notifications import outbox, selectors, sending
from notifications.models import Notification
from notifications.sending import send_notification
from registrations.tickets import ticket_code
from tests.factories import EventFactory
from tests.qr import decode_qr

ROOT = Path(__file__).resolve().parents[2]
# A database of its own, flushed by these tests only (parallel runs on one Redis pick different ones).
REDIS_DB = int(os.environ.get("HUIGUAN_TEST_REDIS_DB", "14"))
REDIS_URL = f"redis://127.0.0.1:6379/{REDIS_DB}"


@contextlib.contextmanager
def celery_broker(url: str):
    """Make this process publish to ``url`` for real (not eager), then restore the test settings."""
    from backend.celery import app

    def reset_pools():
        # kombu keeps connection and producer pools in a global registry keyed by broker URL:
        # close and forget them all, or the next publish would reuse a pool for the other URL.
        from kombu import pools

        pools.reset()
        app._pool = None
        app.amqp._producer_pool = None
        outbox._broker_down_until = 0.0  # a failed publish in one test must not hold back the next

    saved = (app.conf.task_always_eager, app.conf.broker_url, settings.CELERY_TASK_ALWAYS_EAGER)
    settings.CELERY_TASK_ALWAYS_EAGER = False
    app.conf.task_always_eager = False
    app.conf.broker_url = url
    reset_pools()
    try:
        yield app
    finally:
        reset_pools()
        app.conf.task_always_eager, app.conf.broker_url, settings.CELERY_TASK_ALWAYS_EAGER = saved


def redis_or_skip():
    import redis

    client = redis.Redis(host="127.0.0.1", port=6379, db=REDIS_DB, socket_connect_timeout=1, socket_timeout=2)
    try:
        client.ping()
    except redis.RedisError:
        pytest.skip("Redis is not answering on 127.0.0.1:6379")
    return client


def database_url() -> str:
    """The test database as a URL for another process (pytest-django renamed it to the test name)."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@contextlib.contextmanager
def celery_worker(*, smtp_port: int, log: Path):
    """A worker process with the production settings, this test's database and SMTP server."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("CELERY_", "DJANGO_"))}
    env.pop("HUIGUAN_TESTING", None)  # that switch would make the worker eager and its mail local
    env.update(
        DJANGO_SETTINGS_MODULE="tests.notifications.worker_settings",  # backend.settings, 1 s backoff
        DATABASE_URL=database_url(),
        CONN_MAX_AGE="0",
        CELERY_BROKER_URL=REDIS_URL,
        EMAIL_URL=f"smtp://127.0.0.1:{smtp_port}",
        SECRET_KEY="integration-test-only",
        SITE_URL=settings.SITE_URL,
        HUIGUAN_VAR_DIR=str(settings.VAR_DIR),  # same ticket signing key file as this process
        TICKET_SIGNING_KEY=settings.TICKET_SIGNING_KEY,
        PYTHONPATH=str(ROOT),
    )
    name = f"hg-notif-{uuid.uuid4().hex[:8]}@%h"
    command = [sys.executable, "-m", "celery", "-A", "backend", "worker", "--pool=solo", "-l", "info", "-n", name]
    command += ["--without-gossip", "--without-mingle", "--without-heartbeat"]
    with log.open("wb") as output:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT)
    try:
        wait_for(lambda: b" ready." in log.read_bytes() or process.poll() is not None, timeout=60)
        if process.poll() is not None:
            pytest.fail(f"the worker exited:\n{log.read_text(errors='replace')}")
        yield process
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_for(condition, *, timeout: float, interval: float = 0.1) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)
    return condition()


def register(client, event, email: str, language: str = "zh-hans"):
    return client.post(
        f"/api/v1/events/{event.slug}/registrations/",
        {"name": "林小梅", "email": email, "language": language, "consents": {"privacy": True}},
        format="json",
    )


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_real_worker_sends_the_confirmation_over_smtp_and_a_duplicate_task_sends_nothing(
    api_client, smtp_sink, tmp_path
):
    redis_client = redis_or_skip()
    redis_client.flushdb()
    event = EventFactory(title={"en": "Tea tasting", "zh-hans": "品茶会"})
    log = tmp_path / "worker.log"
    with celery_worker(smtp_port=smtp_sink.port, log=log), celery_broker(REDIS_URL):
        response = register(api_client, event, "lin@example.org")
        assert response.status_code == 201
        row = Notification.objects.get(kind="confirmation")
        assert wait_for(lambda: len(smtp_sink.messages) == 1, timeout=30), log.read_text(errors="replace")

        received = smtp_sink.parsed()[0]
        assert received["Subject"] == "报名成功：品茶会"
        assert received["To"] == "lin@example.org"
        ticket = row.registration.tickets.get()
        png = next(
            part
            for part in received.walk()
            if part.get_content_disposition() == "attachment" and part.get_content_type() == "image/png"
        )
        assert decode_qr(png.get_content()) == [ticket_code(ticket_id=ticket.pk)]
        calendar = next(part for part in received.walk() if part.get_content_type() == "text/calendar")
        assert calendar.get_param("method") == "REQUEST"
        row.refresh_from_db()
        assert row.status == "sent" and row.attempts == 1

        # The same task delivered twice more: nothing is sent again.
        send_notification.delay(notification_id=row.pk)
        send_notification.delay(notification_id=row.pk)
        # A second registration afterwards is the marker: the solo worker takes tasks in order,
        # so once its email is in, both duplicates have been processed.
        assert register(api_client, event, "mark@example.org", "en").status_code == 201
        assert wait_for(lambda: len(smtp_sink.messages) == 2, timeout=30), log.read_text(errors="replace")
        assert wait_for(lambda: log.read_text(errors="replace").count("'not_pending'") == 2, timeout=10)
        time.sleep(0.5)

        # The mail server says "try later" once: the worker retries after the backoff and sends once.
        smtp_sink.reject_data = ["451 4.3.0 Try again later"]
        assert register(api_client, event, "retry@example.org", "ja").status_code == 201
        assert wait_for(lambda: len(smtp_sink.messages) == 3, timeout=30), log.read_text(errors="replace")
        retried = Notification.objects.get(recipient="retry@example.org")
        assert retried.status == "sent" and retried.attempts == 2 and "451" in retried.last_error
        assert "retry: Retry in 1.0s" in log.read_text(errors="replace")  # Celery scheduled it
        assert smtp_sink.parsed()[2]["Subject"].startswith("お申し込み完了")

    assert [message["To"] for message in smtp_sink.parsed()] == [
        "lin@example.org",
        "mark@example.org",
        "retry@example.org",
    ]
    row.refresh_from_db()
    assert row.status == "sent" and row.attempts == 1
    redis_client.flushdb()


@pytest.mark.django_db(transaction=True)
def test_registration_succeeds_while_the_broker_is_down_and_the_sweeper_sends_later(api_client):
    event = EventFactory(title={"en": "Tea tasting", "zh-hans": "品茶会"})
    started = time.monotonic()
    with celery_broker("redis://127.0.0.1:1/0"):  # nothing listens on port 1
        response = register(api_client, event, "lin@example.org")
    assert response.status_code == 201 and response.json()["status"] == "confirmed"
    assert time.monotonic() - started < 10  # a dead broker does not hold up the request for long
    row = Notification.objects.get()
    assert row.status == "pending" and row.attempts == 0
    assert mail.outbox == []

    # Beat runs the sweeper (eagerly here): it sends what the broker never got.
    later = timezone.now() + selectors.sweep_grace() + timezone.timedelta(seconds=1)
    assert sending.notifications_sweep(now=later) == 1
    row.refresh_from_db()
    assert row.status == "sent"
    assert len(mail.outbox) == 1 and mail.outbox[0].subject == "报名成功：品茶会"


@pytest.mark.django_db(transaction=True)
def test_a_broker_that_hangs_delays_one_registration_not_all(api_client):
    """A Redis that accepts connections and never answers (a failover, a cut network) made the
    publish after commit wait forever, so every registration hung until gunicorn killed its
    worker. Now the socket waits are bounded (settings), and after one failure the process leaves
    the broker alone for a while; the sweeper sends the rows."""
    import socket

    from backend.celery import app

    event = EventFactory(capacity=10)
    saved = app.conf.broker_transport_options
    assert 0 < saved["socket_timeout"] <= 5 and 0 < saved["socket_connect_timeout"] <= 5  # the deployed default
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)  # the kernel completes connections; nothing ever answers
        app.conf.broker_transport_options = {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}
        try:
            with celery_broker(f"redis://127.0.0.1:{silent.getsockname()[1]}/0"):
                started = time.monotonic()
                first = register(api_client, event, "first@example.org")
                first_took = time.monotonic() - started
                started = time.monotonic()
                others = [register(api_client, event, f"p{i}@example.org") for i in range(3)]
                others_took = time.monotonic() - started
        finally:
            app.conf.broker_transport_options = saved
    assert [r.status_code for r in [first, *others]] == [201] * 4
    assert first_took < 10  # bounded by the socket timeouts (and one retry), not forever
    assert others_took < 2  # no broker round trips at all while it is known to be down
    assert set(Notification.objects.values_list("status", flat=True)) == {"pending"}
    later = timezone.now() + selectors.sweep_grace() + timezone.timedelta(seconds=1)
    assert sending.notifications_sweep(now=later) == 4
    expected = ["first@example.org"] + [f"p{i}@example.org" for i in range(3)]
    assert sorted(m.to[0] for m in mail.outbox) == sorted(expected)
