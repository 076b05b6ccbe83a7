"""Several cache reads of one request in one round trip.

On the door's hot path each cache read is a Redis round trip, and the round trips cost more
than the SQL the scan cannot skip. A view that knows from the request alone which entries its
use case will read (the token's, the scanned session's) asks for them together, once (with the
rate limits' round trip: ``common.throttling.PrefetchingRateLimits``), and the code below it
reads them with ``get``: from that batch, or from the cache for anything the view did not ask for.

Each prefetched value is handed out once (the entry leaves the batch when read), so a later read
in the same request, after a write or a delete of that entry, goes to the cache and sees it. The
batch lives for one ``batch()`` block (a context variable: threads and tasks don't share it), so
nothing outlives the request, and a copy is never older than the request that read it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.core.cache import cache

_batch: ContextVar[dict[str, Any] | None] = ContextVar("huiguan_cache_reads", default=None)
_MISSING = object()  # asked for and not in the cache: ``get`` answers None without asking again


@contextmanager
def batch() -> Iterator[None]:
    """Open a (still empty) batch for the block: ``prefetch`` fills it, ``get`` empties it."""
    token = _batch.set({})
    try:
        yield
    finally:
        _batch.reset(token)


def prefetch(keys: Iterable[str | None]) -> None:
    """Read these entries in one ``get_many`` into the open batch (None keys are skipped; outside
    a ``batch()`` block nothing is read: each ``get`` then asks the cache itself)."""
    reads = _batch.get()
    if reads is None:
        return
    wanted = [key for key in keys if key is not None and key not in reads]
    if wanted:
        found = cache.get_many(wanted)
        provide({key: found.get(key) for key in wanted})


def provide(found: dict[str, Any]) -> None:
    """Put entries read along with something else (the rate limits' round trip) into the open
    batch; None means not in the cache."""
    reads = _batch.get()
    if reads is None:
        return
    for key, value in found.items():
        reads[key] = _MISSING if value is None else value


def get(key: str) -> Any:
    """The entry as prefetched for this request (once), else as the cache has it now."""
    reads = _batch.get()
    if reads:
        value = reads.pop(key, None)
        if value is _MISSING:
            return None
        if value is not None:
            return value
    return cache.get(key)
