"""Rate limits on the endpoints worth abusing, counted in the cache (Redis when CACHE_URL says so).

Rates come from settings.THROTTLE_RATES at request time (``None`` switches a scope off), so
operators set them per deployment and tests can change them. A limit hit answers 429 with
Retry-After, in the usual error shape.
"""

from __future__ import annotations

import hashlib
import math
import secrets
import time
from collections.abc import Callable, Iterable, Sequence
from functools import wraps

from django.conf import settings
from django.core import signing
from django.core.cache import BaseCache, caches
from django.core.cache.backends.locmem import LocMemCache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import ngettext
from rest_framework.exceptions import ParseError
from rest_framework.throttling import BaseThrottle, SimpleRateThrottle

from common import cache_reads
from common.cache import UNAVAILABLE, ResilientRedisCache

# While Redis is unreachable the shared cache forgets everything, which would switch every limit
# off. Counters go to a per-process cache instead: each worker process then enforces the limits
# on its own (looser by the number of processes, but not open) until Redis is back.
_fallback = LocMemCache("huiguan-rate-limits", {"OPTIONS": {"MAX_ENTRIES": 20_000}})


class CounterStore:
    """The cache rate-limit counters are kept in: the shared one, or the per-process fallback
    while ``ResilientRedisCache`` is leaving Redis alone. A read that is the one to find Redis
    gone (it answers a miss) reads the fallback instead, so the counts kept there between two
    probes of Redis are not lost."""

    @staticmethod
    def _current() -> BaseCache:
        shared = caches["default"]
        if isinstance(shared, ResilientRedisCache) and shared.is_down():
            return _fallback
        return shared

    def get(self, key: str, default=None):
        store = self._current()
        value = store.get(key, default)
        if store is not _fallback and self._current() is _fallback:
            return _fallback.get(key, default)
        return value

    def set(self, key: str, value, timeout: float | None) -> None:
        self._current().set(key, value, timeout)

    def delete(self, key: str) -> None:
        self._current().delete(key)


counter_store = CounterStore()


def _digest(text: str) -> str:
    """Cache keys and cookies name emails and usernames by this, never in clear."""
    return hashlib.sha256(text.encode()).hexdigest()[:32]


class SettingsRateThrottle(BaseThrottle):
    """A rate limit of ``scope`` per identity (``get_cache_key``), counted in a sliding window.

    Every limit of a request is decided at once, in one round trip (``rate_limits_check``): DRF
    asks each throttle of the view in turn, the first one asks the cache for all of them and the
    others read the answer kept on the request. A refused request counts against none of them.
    """

    scope = ""
    cache_format = "throttle_%(scope)s_%(ident)s"

    def get_rate(self) -> str | None:
        return settings.THROTTLE_RATES.get(self.scope)

    def get_cache_key(self, request, view) -> str | None:
        raise NotImplementedError

    def allow_request(self, request, view) -> bool:
        decided = getattr(request, _DECIDED, None)
        if decided is None or self.scope not in decided:
            throttles = view.get_throttles() if view is not None else [self]
            if not any(getattr(throttle, "scope", None) == self.scope for throttle in throttles):
                throttles = [*throttles, self]
            decided = rate_limits_check(request, throttles, view=view)
            setattr(request, _DECIDED, decided)
        self._wait = decided[self.scope]
        return self._wait is None

    def wait(self) -> float | None:
        return getattr(self, "_wait", None)


_DECIDED = "_huiguan_rate_limits"


class PrefetchingRateLimits:
    """APIView mixin for a hot path: its rate limits and the cache entries its use case will read
    (``cache_read_keys``), in one round trip before anything else.

    The limits are counted first and enforced where DRF always does (after authentication and
    permissions: a stranger still gets 401, not 429); what was read is handed out by
    ``common.cache_reads`` for the rest of the request. A body that does not parse gets its 400
    after those checks, as without the mixin.
    """

    def cache_read_keys(self, request) -> list[str | None]:
        return []

    def dispatch(self, request, *args, **kwargs):
        with cache_reads.batch():
            return super().dispatch(request, *args, **kwargs)

    def initial(self, request, *args, **kwargs):
        try:
            keys = self.cache_read_keys(request)
        except ParseError:
            super().initial(request, *args, **kwargs)
            raise
        decided = rate_limits_check(request, self.get_throttles(), view=self, reads=keys)
        setattr(request, _DECIDED, decided)
        super().initial(request, *args, **kwargs)


# One call decides every limit of a request. KEYS: per limit the previous and the current window's
# counter, then the cache entries the request will read (``reads``); ARGV: the number of limits,
# per limit its size and how far into the current window we are (0..1), then the counters' time to
# live. Allowed when every estimate (the previous window's count, weighted by the part of it still
# inside the sliding window, plus the current one's) is under its limit; then, and only then, every
# current counter goes up by one. Returns [allowed, prev1, cur1, prev2, cur2, ..., read1, read2, ...].
_SLIDING_WINDOW_LUA = """
local n = tonumber(table.remove(ARGV, 1))
local allowed = 1
local counts = {}
for i = 1, n do
  local previous = tonumber(redis.call('GET', KEYS[2 * i - 1]) or '0')
  local current = tonumber(redis.call('GET', KEYS[2 * i]) or '0')
  counts[2 * i - 1] = previous
  counts[2 * i] = current
  if previous * (1 - tonumber(ARGV[2 * i])) + current >= tonumber(ARGV[2 * i - 1]) then allowed = 0 end
end
if allowed == 1 then
  for i = 1, n do
    redis.call('INCR', KEYS[2 * i])
    redis.call('EXPIRE', KEYS[2 * i], tonumber(ARGV[2 * n + i]))
  end
end
local answer = {allowed}
for i = 1, 2 * n do answer[i + 1] = counts[i] end
if #KEYS > 2 * n then
  local values = redis.call('MGET', unpack(KEYS, 2 * n + 1))
  for i = 1, #values do answer[2 * n + 1 + i] = values[i] end
end
return answer
"""
_scripts: dict[int, object] = {}  # per Redis client: the registered script (EVALSHA, loaded once)


class _Limit:
    """One limit of one request: its counters' keys and where in its window ``now`` falls."""

    def __init__(self, scope: str, key: str, rate: str, now: float):
        self.scope = scope
        self.limit, self.duration = SimpleRateThrottle.parse_rate(None, rate)
        window = int(now // self.duration)
        self.elapsed = now - window * self.duration
        self.fraction = self.elapsed / self.duration
        self.previous_key = f"{key}:{window - 1}"
        self.current_key = f"{key}:{window}"

    def wait(self, previous: int, current: int) -> float:
        """Seconds until the estimate is under the limit again (the Retry-After of a refusal)."""
        limit, duration = self.limit, self.duration
        if current < limit:  # the previous window's weight has to fade first
            needed = 1 - (limit - 1 - current) / previous if previous else 0.0
            return max(needed * duration - self.elapsed, 1.0)
        # This window is full by itself: wait for it to end and, then, for its own weight to fade.
        later = max(0.0, 1 - (limit - 1) / current) * duration
        return max(duration - self.elapsed + later, 1.0)


def rate_limits_check(
    request, throttles: Iterable[SettingsRateThrottle], *, view=None, reads: Sequence[str | None] = ()
) -> dict[str, float | None]:
    """Decide every rate limit of a request at once: ``{scope: None (allowed) or seconds to wait}``.

    On Redis this is one ``EVALSHA`` (read, decide and count atomically, whatever the number of
    limits); on another cache, or on the per-process fallback while Redis is away, the same
    arithmetic over ``get_many`` and ``incr``. ``reads``: cache entries the request will read,
    fetched in the same round trip into the open ``common.cache_reads`` batch.
    """
    reads = [key for key in reads if key is not None]
    now = time.time()
    decided: dict[str, float | None] = {}
    limits: list[_Limit] = []
    for throttle in throttles:
        rate = throttle.get_rate()
        key = throttle.get_cache_key(request, view) if rate else None
        decided[throttle.scope] = None
        if key is not None:
            limits.append(_Limit(throttle.scope, key, rate, now))
    if not limits:
        cache_reads.prefetch(reads)
        return decided
    counts = _counts_redis(limits, reads)
    if counts is None:
        counts = _counts_cache(counter_store._current(), limits)
        cache_reads.prefetch(reads)
    allowed, pairs = counts
    if not allowed:
        for limit, (previous, current) in zip(limits, pairs, strict=True):
            if previous * (1 - limit.fraction) + current >= limit.limit:
                decided[limit.scope] = limit.wait(previous, current)
    return decided


def _counts_redis(limits: list[_Limit], reads: list[str]) -> tuple[bool, list[tuple[int, int]]] | None:
    shared = caches["default"]
    if not isinstance(shared, ResilientRedisCache) or shared.is_down():
        return None
    keys = []
    for limit in limits:
        keys += [shared.make_and_validate_key(limit.previous_key), shared.make_and_validate_key(limit.current_key)]
    keys += [shared.make_and_validate_key(key) for key in reads]
    args = [len(limits)] + [value for limit in limits for value in (limit.limit, repr(limit.fraction))]
    args += [int(2 * limit.duration) + 1 for limit in limits]
    try:
        client = shared._cache.get_client(keys[0], write=True)
        script = _scripts.get(id(client))
        if script is None:
            script = _scripts[id(client)] = client.register_script(_SLIDING_WINDOW_LUA)
        answer = script(keys=keys, args=args, client=client)
    except UNAVAILABLE as exc:
        shared._unavailable("rate limits", exc)
        return None
    split = 1 + 2 * len(limits)
    numbers = [int(value) for value in answer[:split]]
    values = answer[split:] + [None] * (len(reads) - len(answer[split:]))  # a missing reply is a miss
    loads = shared._cache._serializer.loads  # as RedisCache.get_many decodes what MGET answers
    cache_reads.provide(
        {key: None if value is None else loads(value) for key, value in zip(reads, values, strict=True)}
    )
    return bool(numbers[0]), list(zip(numbers[1::2], numbers[2::2], strict=True))


def _counts_cache(store: BaseCache, limits: list[_Limit]) -> tuple[bool, list[tuple[int, int]]]:
    found = store.get_many([key for limit in limits for key in (limit.previous_key, limit.current_key)])
    pairs = [(int(found.get(limit.previous_key, 0)), int(found.get(limit.current_key, 0))) for limit in limits]
    allowed = all(p * (1 - limit.fraction) + c < limit.limit for limit, (p, c) in zip(limits, pairs, strict=True))
    if allowed:
        for limit in limits:
            if not store.add(limit.current_key, 1, int(2 * limit.duration) + 1):
                try:
                    store.incr(limit.current_key)
                except ValueError:  # expired between add and incr
                    store.set(limit.current_key, 1, int(2 * limit.duration) + 1)
    return allowed, pairs


class RegistrationPerIPThrottle(SettingsRateThrottle):
    """Registrations from one client address (behind a proxy: set NUM_PROXIES for X-Forwarded-For)."""

    scope = "register_ip"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class RegistrationPerEmailThrottle(SettingsRateThrottle):
    """Attempts for one email address, wherever they come from (stops mail-bombing a stranger)."""

    scope = "register_email"

    def get_cache_key(self, request, view):
        # request.data behind the API; request.POST for the event page's form (same limit for both).
        data = getattr(request, "data", None)
        data = data if hasattr(data, "get") else request.POST
        email = data.get("email")
        if not isinstance(email, str) or not email.strip():
            return None
        return self.cache_format % {"scope": self.scope, "ident": _digest(email.strip().lower())}


class VoicePerIPThrottle(RegistrationPerIPThrottle):
    """Residents' comments from one client address (the /voices/ form and POST /api/v1/comments/)."""

    scope = "voice_ip"


class VoicePerEmailThrottle(RegistrationPerEmailThrottle):
    """Residents' comments left with one email address, wherever they come from."""

    scope = "voice_email"


class CheckinPerUserThrottle(SettingsRateThrottle):
    """Scans per door credential: far above a real door, low enough to stop a script.

    A token (a door phone's) is counted by its digest, which is known before the login, so the
    scan's limit is decided in the round trip that also reads the token's cache entry
    (``PrefetchingRateLimits``); a signed-in browser is counted by its account.
    """

    scope = "checkin"

    def get_cache_key(self, request, view):
        header = request.META.get("HTTP_AUTHORIZATION")
        if header:
            return self.cache_format % {"scope": self.scope, "ident": _digest(header)}
        if not request.user or not request.user.is_authenticated:
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.user.pk}


def throttle_waits(request: HttpRequest, throttles: Iterable[SettingsRateThrottle]) -> float | None:
    """The HTML forms' check of the API's limits (one round trip for all): the longest wait, or None."""
    waits = [wait for wait in rate_limits_check(request, throttles).values() if wait is not None]
    return max(waits, default=None)


def too_many_requests(request: HttpRequest, wait: float) -> HttpResponse:
    """The 429 page of the HTML forms: a translated message and Retry-After, like the API's."""
    seconds = max(1, math.ceil(wait))
    minutes = math.ceil(seconds / 60)
    message = ngettext(
        "Too many attempts. Please try again in %(minutes)d minute.",
        "Too many attempts. Please try again in %(minutes)d minutes.",
        minutes,
    ) % {"minutes": minutes}
    response = render(
        request,
        "pages/throttled.html",
        {"message": message, "switcher_next": request.path, "lang_query": "", "back_url": request.path},
        status=429,
    )
    response["Retry-After"] = str(seconds)
    return response


class FailureCounter:
    """Failed attempts per scope and identity within the scope's window (settings.THROTTLE_RATES).

    Unlike the request throttles above, only failures are counted, so a person who types their
    password right is never held up by how often they log in.
    """

    def __init__(self, scope: str, ident: str):
        self.scope = scope
        self.rate = settings.THROTTLE_RATES.get(scope)
        self.key = f"throttle_failures_{scope}_{_digest(ident)}"
        if self.rate:
            self.limit, self.duration = SimpleRateThrottle.parse_rate(None, self.rate)

    def _history(self, now: float) -> list[float]:
        return [t for t in counter_store.get(self.key, []) if t > now - self.duration]

    def wait(self) -> float | None:
        """Seconds until another attempt may be made, or None when one may be made now."""
        if not self.rate:
            return None
        now = time.time()
        history = self._history(now)
        if len(history) < self.limit:
            return None
        return min(history) + self.duration - now  # when the oldest failure leaves the window

    def record(self) -> None:
        if self.rate:
            now = time.time()
            history = [*self._history(now), now][-self.limit :]
            counter_store.set(self.key, history, self.duration)

    def clear(self) -> None:
        counter_store.delete(self.key)


# A browser that has logged in as someone gets a signed cookie saying so (OWASP's "device
# cookies"). Failed logins from such a browser count against that cookie only, so someone who
# knows a volunteer's username can lock out the world's attempts at it, but not the volunteer's
# own phone. The cookie holds a digest of the username, not the username.
DEVICE_COOKIE = "hg_login_device"
_DEVICE_SALT = "huiguan.login-device"


def _trusted_device(request: HttpRequest, username: str) -> str | None:
    """The device cookie's id when this browser has logged in as ``username`` before, else None."""
    raw = request.COOKIES.get(DEVICE_COOKIE)
    if not raw or not username:
        return None
    try:
        value = signing.loads(raw, salt=_DEVICE_SALT, max_age=settings.LOGIN_DEVICE_COOKIE_AGE)
    except signing.BadSignature:  # tampered, expired, or signed with another key
        return None
    if not isinstance(value, dict) or value.get("u") != _digest(username):
        return None
    return str(value.get("d"))


def _set_device_cookie(response: HttpResponse, username: str) -> None:
    value = signing.dumps({"u": _digest(username), "d": secrets.token_hex(8)}, salt=_DEVICE_SALT)
    response.set_cookie(
        DEVICE_COOKIE,
        value,
        max_age=settings.LOGIN_DEVICE_COOKIE_AGE,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )


def throttle_login(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Limit failed logins per client address and per username (login_ip, login_username), or,
    from a browser that has logged in as that username before, per that browser (login_device).

    Works on any Django login view: a POST answered with the form again (200) failed, a redirect
    succeeded. Once a limit is reached every POST is refused with 429 before the password is even
    checked, so guessing cannot go on; a success clears the username's (or browser's) count.
    """

    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if request.method != "POST":
            return view(request, *args, **kwargs)
        username = request.POST.get("username", "")
        username = username.strip().casefold() if isinstance(username, str) else ""
        device = _trusted_device(request, username)
        if device:
            counters = [FailureCounter("login_device", device)]
        else:
            counters = [FailureCounter("login_ip", BaseThrottle().get_ident(request))]
            if username:
                counters.append(FailureCounter("login_username", username))
        waits = [w for w in (c.wait() for c in counters) if w is not None]
        if waits:
            return too_many_requests(request, max(waits))
        response = view(request, *args, **kwargs)
        if response.status_code == 200:
            for counter in counters:
                counter.record()
        elif 300 <= response.status_code < 400:
            for counter in counters:
                if counter.scope != "login_ip":  # an address is shared; one success says little about it
                    counter.clear()
            if username:
                _set_device_cookie(response, username)
        return response

    return wrapped
