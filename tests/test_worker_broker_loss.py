"""The Celery worker and a lost broker: the kombu 5.7 crash (backend/broker.py), retries, liveness.

The crash needs a channel closed after its connection was detached from the transport, with
unacknowledged messages on it; in a worker that order depends on timing (two bench runs in three).
Here the order is forced, on a real Redis (skipped without one on 127.0.0.1:6379).
"""

from __future__ import annotations

import os
import time
import uuid

import pytest
from kombu import Connection, Exchange, Queue
from kombu.common import ignore_errors
from kombu.transport.redis import Transport as KombuTransport

from backend import broker, worker_liveness

REDIS_DB = int(os.environ.get("HUIGUAN_TEST_REDIS_DB", "14"))
URL = f"redis://127.0.0.1:6379/{REDIS_DB}"


def _redis_or_skip():
    import redis

    client = redis.Redis(host="127.0.0.1", port=6379, db=REDIS_DB, socket_connect_timeout=1)
    try:
        client.ping()
    except redis.RedisError:
        pytest.skip("Redis is not answering on 127.0.0.1:6379")
    return client


def _channel_closed_after_its_connection(transport):
    """A second channel holding one unacknowledged message, left open while the connection is
    closed and detached (what kombu's close_connection leaves when an earlier close fails)."""
    connection = Connection(URL, transport=transport)
    name = f"broker-loss-{uuid.uuid4().hex[:8]}"
    queue = Queue(name, Exchange(name), name, auto_delete=True)
    with connection.Producer() as producer:
        producer.publish({"n": 1}, exchange=queue.exchange, routing_key=name, declare=[queue])
    channel = connection.channel()
    message = queue(channel).get(no_ack=False)
    assert message is not None
    connection._do_close_transport()  # transport.client = None, as Connection._close does
    return connection, channel, message


def test_stock_kombu_raises_attributeerror_which_celery_does_not_treat_as_a_connection_error():
    """Pins the upstream bug: if a kombu upgrade fixes it, this fails and backend/broker.py can go."""
    _redis_or_skip()
    connection, channel, _message = _channel_closed_after_its_connection(KombuTransport)
    with pytest.raises(AttributeError, match="hostname"):
        ignore_errors(connection, channel.close)


def test_our_transport_makes_it_a_connection_error_and_the_message_stays_in_redis():
    client = _redis_or_skip()
    connection, channel, message = _channel_closed_after_its_connection(broker.Transport)
    assert issubclass(broker.Channel, KombuTransport.Channel)
    ignore_errors(connection, channel.close)  # swallowed as a connection error: the worker reconnects
    # Not restored now (no connection to do it with), not lost either: still in the unacked hash,
    # redelivered after the visibility timeout.
    assert client.hexists("unacked", message.delivery_tag)
    client.hdel("unacked", message.delivery_tag)
    client.zrem("unacked_index", message.delivery_tag)


def test_celery_uses_it_for_redis_and_retries_forever():
    from django.conf import settings

    assert settings.CELERY_BROKER_CONNECTION_MAX_RETRIES is None
    assert settings.CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS is False


def test_settings_pick_the_transport_for_redis_urls_only(tmp_path):
    import json
    import subprocess
    import sys

    code = (
        "import json, django; django.setup(); from django.conf import settings; "
        "print(json.dumps(getattr(settings, 'CELERY_BROKER_TRANSPORT', None)))"
    )
    seen = {}
    for url in ("redis://127.0.0.1:6379/0", "memory://", ""):
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HUIGUAN_VAR_DIR": str(tmp_path),
            "DJANGO_SETTINGS_MODULE": "backend.settings",
            "SECRET_KEY": "x" * 50,
            "CELERY_BROKER_URL": url,
        }
        out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
        seen[url] = json.loads(out.stdout.strip().splitlines()[-1])
    assert seen == {"redis://127.0.0.1:6379/0": "backend.broker:Transport", "memory://": None, "": None}


# --- liveness ---------------------------------------------------------------------------------------


def test_liveness_probe_reads_the_file_age(tmp_path):
    path = tmp_path / "worker-alive"
    assert worker_liveness.main(["--file", str(path)]) == 1  # never started
    worker_liveness.touch(path)
    assert worker_liveness.main(["--file", str(path), "--max-age", "60"]) == 0
    old = time.time() - 300
    os.utime(path, (old, old))
    assert worker_liveness.main(["--file", str(path), "--max-age", "120"]) == 1
    assert worker_liveness.is_fresh(path, max_age=400)


def test_liveness_file_comes_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("WORKER_LIVENESS_FILE", str(tmp_path / "w1"))
    assert worker_liveness.liveness_file() == tmp_path / "w1"
    monkeypatch.delenv("WORKER_LIVENESS_FILE")
    monkeypatch.setenv("HUIGUAN_VAR_DIR", str(tmp_path))
    assert worker_liveness.liveness_file() == tmp_path / "worker-alive"


def test_the_worker_registers_the_liveness_step():
    from backend.celery import app

    assert "backend.worker_liveness:LivenessFile" in app.steps["consumer"]
