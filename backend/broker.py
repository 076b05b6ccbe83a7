"""The Redis broker transport, with one kombu 5.7 failure turned into the recoverable error it is.

What killed the worker when Redis went away (bench/fault.py, two runs in three before this
module): on a lost connection Celery closes the consumer's connection, and kombu's
``Connection._close`` detaches the transport (``transport.client = None``). A channel that is
closed after that — the task consumer's channel is closed again when the consumer restarts its
steps, and kombu's ``close_connection`` stops closing channels at the first one whose close
fails — first drops its connection pools (``_disconnect_pools``), then tries to put its
unacknowledged messages back (``QoS.restore_unacked_once``). That needs a new pool, whose
parameters come from ``self.connection.client.hostname``: ``AttributeError: 'NoneType' object has
no attribute 'hostname'``. An AttributeError is not a connection error, so Celery's
``ignore_errors`` lets it through and the worker stops with "Unrecoverable error" instead of
reconnecting. Whether it happens depends on which close runs first, hence "sometimes".

Here the same situation raises ``redis.ConnectionError`` (which it is: the connection is gone),
so Celery logs it and reconnects. The messages that could not be restored stay in Redis's
``unacked`` hash and are redelivered after the visibility timeout; every task checks its row
first, and the outbox sweeper re-queues what is still due, so nothing is lost or done twice.

Used through ``CELERY_BROKER_TRANSPORT`` (``backend/settings.py``) for ``redis://`` brokers; the
kombu versions on PyPI up to 5.7.0 all build the pool this way.
"""

from __future__ import annotations

from kombu.transport import redis as kombu_redis
from redis.exceptions import ConnectionError as RedisConnectionError


class Channel(kombu_redis.Channel):
    def _connparams(self, asynchronous: bool = False) -> dict:
        if self.connection is None or self.connection.client is None:
            raise RedisConnectionError("the broker connection was closed; reconnecting")
        return super()._connparams(asynchronous=asynchronous)


class Transport(kombu_redis.Transport):
    Channel = Channel
