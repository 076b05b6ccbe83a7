"""A Redis cache that degrades to "no cache" while Redis is unreachable, instead of failing requests.

Everything this project keeps in the cache can be recomputed or skipped: cached API tokens and
check-in roles are read from the database again, a cached session likewise, and rate-limit
counters move to a per-process cache for as long as Redis is away (``common.throttling``: the
limits hold per worker process rather than across them; the database constraints, not the
cache, are what keep registrations and check-ins exact). So a Redis
restart must not turn a registration or a door scan into a 500: reads miss, writes and deletes
are dropped, and a warning is logged at most once every few seconds per process.

One consequence to know: a delete that fails (a token revoked, a membership changed while Redis
is unreachable but still holds data, e.g. a network split) leaves the old entry until it expires
(``TOKEN_CACHE_SECONDS``, 60 s by default). A restarted Redis is empty, so it has nothing stale.
"""

from __future__ import annotations

import logging
import time

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)


WARN_EVERY_SECONDS = 10.0


class CacheDown(Exception):
    """Raised inside the backend while Redis is being left alone after a failure."""


UNAVAILABLE = (RedisConnectionError, RedisTimeoutError, OSError, CacheDown)


class ResilientRedisCache(RedisCache):
    """Django's ``RedisCache`` where an unreachable server counts as a miss (reads) or a no-op (writes).

    After a failure the process leaves Redis alone for ``OPTIONS["down_for"]`` seconds (default 2):
    a Redis that does not answer at all costs one socket timeout per process, not one per cache
    call (a scan makes several).
    """

    _last_warning = 0.0
    _down_until = 0.0  # per process, shared by the per-thread instances

    def __init__(self, server, params):
        params = {**params, "OPTIONS": dict(params.get("OPTIONS") or {})}
        self.down_for = float(params["OPTIONS"].pop("down_for", 2.0))
        super().__init__(server, params)

    @property
    def _cache(self):
        if time.monotonic() < ResilientRedisCache._down_until:
            raise CacheDown()
        client = self.__dict__.get("_client")
        if client is None:  # what RedisCache._cache builds once (a cached_property there)
            client = self.__dict__["_client"] = self._class(self._servers, **self._options)
        return client

    @classmethod
    def is_down(cls) -> bool:
        """True while this process is leaving Redis alone after a failure."""
        return time.monotonic() < cls._down_until

    def _unavailable(self, operation: str, exc: Exception) -> None:
        if isinstance(exc, CacheDown):
            return
        now = time.monotonic()
        ResilientRedisCache._down_until = now + self.down_for
        if now - ResilientRedisCache._last_warning >= WARN_EVERY_SECONDS:
            ResilientRedisCache._last_warning = now
            logger.warning("Cache unavailable (%s), carrying on without it: %r", operation, exc)

    def get(self, key, default=None, version=None):
        try:
            return super().get(key, default, version)
        except UNAVAILABLE as exc:
            self._unavailable("get", exc)
            return default

    def get_many(self, keys, version=None):
        try:
            return super().get_many(keys, version)
        except UNAVAILABLE as exc:
            self._unavailable("get_many", exc)
            return {}

    def has_key(self, key, version=None):
        try:
            return super().has_key(key, version)
        except UNAVAILABLE as exc:
            self._unavailable("has_key", exc)
            return False

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        try:
            return super().add(key, value, timeout, version)
        except UNAVAILABLE as exc:
            self._unavailable("add", exc)
            return False

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        try:
            super().set(key, value, timeout, version)
        except UNAVAILABLE as exc:
            self._unavailable("set", exc)

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        try:
            return super().set_many(data, timeout, version)
        except UNAVAILABLE as exc:
            self._unavailable("set_many", exc)
            return list(data)  # Django's contract: the keys that were not stored

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        try:
            return super().touch(key, timeout, version)
        except UNAVAILABLE as exc:
            self._unavailable("touch", exc)
            return False

    def delete(self, key, version=None):
        try:
            return super().delete(key, version)
        except UNAVAILABLE as exc:
            self._unavailable("delete", exc)
            return False

    def delete_many(self, keys, version=None):
        try:
            super().delete_many(keys, version)
        except UNAVAILABLE as exc:
            self._unavailable("delete_many", exc)
