"""Rate limits on the endpoints worth abusing, counted in the cache (Redis when CACHE_URL says so).

Rates come from settings.THROTTLE_RATES at request time (``None`` switches a scope off), so
operators set them per deployment and tests can change them. A limit hit answers 429 with
Retry-After, in the usual error shape.
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle


class SettingsRateThrottle(SimpleRateThrottle):
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
        email = request.data.get("email") if hasattr(request.data, "get") else None
        if not isinstance(email, str) or not email.strip():
            return None
        digest = hashlib.sha256(email.strip().lower().encode()).hexdigest()[:32]
        return self.cache_format % {"scope": self.scope, "ident": digest}


class CheckinPerUserThrottle(SettingsRateThrottle):
    """Scans per volunteer account (token): far above a real door, low enough to stop a script."""

    scope = "checkin"

    def get_cache_key(self, request, view):
        if not request.user or not request.user.is_authenticated:
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.user.pk}
