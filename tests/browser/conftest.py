"""Headless Chromium for browser tests: Debian's /usr/bin/chromium driven by Playwright's sync API.

Fixtures (generic, for any page of the site):

- ``browser``   one Chromium for the whole run;
- ``page``      a fresh phone-sized tab (390×844, its own cookies) per test;
- ``live_site`` the live server's base URL, with ``SITE_URL`` pointed at it so absolute links
  (QR images, calendar links) resolve to the server under test;

and ``screenshot(page, name)``, which saves ``test-artifacts/screenshots/<name>.png``, and
``logged_in(context, user, live_site)``, which logs a user in for a browser context.

Tests need ``@pytest.mark.django_db(transaction=True)`` (the live server runs in another thread)
and ``@pytest.mark.browser``. Without Chromium every test here is skipped, with the reason.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings as django_settings
from django.test import Client

# Playwright's sync API runs an asyncio loop in this thread; Django's ORM calls made by the test
# itself (factories, asserts) would otherwise be refused as "called from an async context".
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = os.environ.get("HUIGUAN_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PHONE = {"width": 390, "height": 844}
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
BROWSER_DIR = Path(__file__).resolve().parent


def _missing_reason() -> str | None:
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        return f"Chromium not found at {CHROMIUM}: run `make install-browser` (Debian's chromium package)."
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright is not installed: run `make install-dev`."
    return None


def pytest_collection_modifyitems(config, items):
    reason = _missing_reason()
    if reason is None:
        return
    skip = pytest.mark.skip(reason=reason)
    for item in items:
        if BROWSER_DIR in item.path.parents:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def browser():
    reason = _missing_reason()
    if reason:
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    try:
        yield chromium
    finally:
        chromium.close()
        playwright.stop()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport=PHONE, device_scale_factor=1, locale="en-US", timezone_id="Asia/Shanghai")
    context.set_default_timeout(10_000)
    tab = context.new_page()
    try:
        yield tab
    finally:
        context.close()


@pytest.fixture
def live_site(live_server, settings) -> str:
    """The live server's URL; SITE_URL points there and cookies work over plain http."""
    settings.SITE_URL = live_server.url
    settings.CSRF_COOKIE_SECURE = False
    settings.SESSION_COOKIE_SECURE = False
    return live_server.url


def screenshot(page, name: str, *, full_page: bool = True) -> Path:
    """Save the page as ``test-artifacts/screenshots/<name>.png`` (kept by CI as an artifact)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{re.sub(r'[^A-Za-z0-9_.-]+', '-', name)}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path


def logged_in(context, user, live_site: str) -> None:
    """Log the user in as the admin login would: a real session, its cookie in the browser."""
    client = Client()
    client.force_login(user)
    context.add_cookies(
        [
            {
                "name": django_settings.SESSION_COOKIE_NAME,
                "value": client.cookies[django_settings.SESSION_COOKIE_NAME].value,
                "domain": urlsplit(live_site).hostname,
                "path": "/",
            }
        ]
    )
