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
from collections.abc import Callable, Iterable
from functools import wraps

from django.conf import settings
from django.core import signing
from django.core.cache import BaseCache, caches
from django.core.cache.backends.locmem import LocMemCache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import ngettext
from rest_framework.throttling import BaseThrottle, SimpleRateThrottle

from common.cache import ResilientRedisCache

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


class SettingsRateThrottle(SimpleRateThrottle):
    cache = counter_store  # what DRF's SimpleRateThrottle reads and writes

    def get_rate(self):
        return settings.THROTTLE_RATES.get(self.scope)


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
    """Scans per volunteer account (token): far above a real door, low enough to stop a script."""

    scope = "checkin"

    def get_cache_key(self, request, view):
        if not request.user or not request.user.is_authenticated:
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.user.pk}


def throttle_waits(request: HttpRequest, throttles: Iterable[SimpleRateThrottle]) -> float | None:
    """Ask every throttle, as DRF does (each one counts the attempt); the longest wait, or None."""
    waits = [throttle.wait() for throttle in throttles if not throttle.allow_request(request, None)]
    return max((w or 1 for w in waits), default=None)


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
