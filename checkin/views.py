"""The volunteers' scanner page (``/scan/``): a login page, the scanner, and a polite refusal.

The page is a shell: everything it shows comes from the check-in API (``checkin/apis.py``) via
``checkin/static/checkin/scanner.js``, with the session cookie and the CSRF token. The view only
decides who gets the scanner -- the same rule as the API (``selectors.is_checkin_staff``) -- and
hands the script the few URLs and settings it needs.
"""

from __future__ import annotations

import functools
import hashlib
import json
from pathlib import Path

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.staticfiles import finders
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse, reverse_lazy
from django.utils.translation import get_language_info
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_GET

from checkin import selectors
from checkin.answers import CURRENCY_SYMBOLS, display_name
from common.i18n import active_language

# What the scanner needs to start without the network (see templates/checkin/sw.js).
OFFLINE_ASSETS = (
    "checkin/scanner.css",
    "checkin/offline.js",
    "checkin/scanner.js",
    "checkin/vendor/jsQR-1.4.0.js",
)


def _languages() -> list[dict]:
    """The language switcher's choices, each named in its own language (简体中文, 日本語)."""
    return [{"code": code, "name": get_language_info(code)["name_local"]} for code, _name in settings.LANGUAGES]


def _page(request: HttpRequest, template: str, context: dict | None = None, *, status: int = 200) -> HttpResponse:
    base = {"languages": _languages(), "current_language": active_language(), "switcher_next": request.path}
    return render(request, template, {**base, **(context or {})}, status=status)


class ScanLoginView(auth_views.LoginView):
    """Django's login with the scanner's look; back to ``/scan/`` (or a safe ``next``) after."""

    template_name = "checkin/login.html"
    redirect_authenticated_user = True
    next_page = reverse_lazy("scan:scanner")

    def get_context_data(self, **kwargs):
        return {
            **super().get_context_data(**kwargs),
            "languages": _languages(),
            "current_language": active_language(),
            "switcher_next": self.request.get_full_path(),
        }


class ScanLogoutView(auth_views.LogoutView):
    next_page = reverse_lazy("scan:login")


@never_cache
@ensure_csrf_cookie  # the script reads csrftoken for its POSTs (SessionAuthentication checks it)
@login_required(login_url=reverse_lazy("scan:login"))
def scanner(request: HttpRequest) -> HttpResponse:
    """The scanner for owners, managers and volunteers; a refusal (403) for anybody else."""
    if not selectors.is_checkin_staff(user=request.user):
        return _page(request, "checkin/refused.html", status=403)
    config = {
        "api": reverse("checkin:scan"),
        "sessions": reverse("checkin:sessions"),
        "login": reverse("scan:login"),
        "language": active_language(),
        "user": display_name(request.user),
        "userId": request.user.pk,
        "currencySymbols": CURRENCY_SYMBOLS,
        # Loaded only where the browser has no BarcodeDetector (desktop Chromium, Firefox, iOS).
        "jsqr": static("checkin/vendor/jsQR-1.4.0.js"),
        "serviceWorker": reverse("scan:service-worker"),
    }
    return _page(request, "checkin/scanner.html", {"config": config, "user_name": config["user"]})


def _assets_version() -> str:
    """A hash of the offline files' contents: a deploy that changes one changes the worker's
    text, so browsers install the new worker, which drops the old cache."""
    digest = hashlib.sha256()
    for name in OFFLINE_ASSETS:
        found = finders.find(name)
        digest.update(Path(found).read_bytes() if found else name.encode())
    return digest.hexdigest()[:16]


_cached_assets_version = functools.cache(_assets_version)


@require_GET
def service_worker(request: HttpRequest) -> HttpResponse:
    """The scanner's service worker. Served from /scan/ (not /static/) so its scope is the
    scanner; public, like any static file: it holds no data, only which URLs to keep."""
    context = {
        "version": _assets_version() if settings.DEBUG else _cached_assets_version(),
        "page_url": reverse("scan:scanner"),
        "catalog_url": reverse("javascript-catalog"),
        "assets_json": json.dumps([static(name) for name in OFFLINE_ASSETS]),
    }
    response = render(request, "checkin/sw.js", context, content_type="text/javascript; charset=utf-8")
    response["Cache-Control"] = "no-cache"
    return response
