"""The main pages run in Chromium under the Content-Security-Policy without a single violation.

Each page is loaded with a listener for ``securitypolicyviolation`` events (installed as a
Playwright init script, which the policy does not apply to) and the console watched for
"Refused to ..." messages; any of either fails the test.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from organizations.models import Membership
from tests.browser.conftest import logged_in
from tests.factories import EventFactory, MembershipFactory, RegistrationFactory, SessionFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "pw-for-tests-1"  # tests/factories.UserFactory

WATCH = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', (e) => {
  const where = `${e.sourceFile}:${e.lineNumber}`;
  window.__cspViolations.push(`${e.violatedDirective} blocked ${e.blockedURI || 'inline'} at ${where}`);
});
"""


def visit(page, url: str, console: list[str]) -> list[str]:
    page.goto(url)
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(200)  # violation events are dispatched asynchronously
    found = list(page.evaluate("window.__cspViolations || []"))
    found += [text for text in console if "Content Security Policy" in text or "Refused to" in text]
    console.clear()
    return found


def test_main_pages_raise_no_csp_violation(page, live_site):
    membership = MembershipFactory(role=Membership.Role.MANAGER)
    organization = membership.organization
    event = EventFactory(organization=organization, with_session=False, title={"en": "Tea evening"})
    start = timezone.now().replace(microsecond=0) + dt.timedelta(minutes=30)
    SessionFactory(event=event, starts_at=start, ends_at=start + dt.timedelta(hours=2))
    registration = RegistrationFactory(event=event, name="Mei Chen")
    volunteer = UserFactory()
    MembershipFactory(user=volunteer, organization=organization, role=Membership.Role.VOLUNTEER)
    manager = membership.user
    manager.is_staff = True
    manager.save(update_fields=["is_staff"])

    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))
    page.context.add_init_script(WATCH)

    violations = {}
    for name, url in [
        ("event list", "/"),
        ("event page", f"/events/{event.slug}/"),
        ("manage page", f"/manage/{registration.manage_token}/"),
        ("scanner login", "/scan/login/"),
    ]:
        violations[name] = visit(page, live_site + url, console)
    assert page.locator("#id_password").count() == 1  # the login page did render

    # The volunteer logs in through the form (a form post under form-action) and scans nothing.
    page.fill("#id_username", volunteer.username)
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(live_site + "/scan/")
    page.locator("[data-session]").first.wait_for()
    page.wait_for_load_state("networkidle")
    violations["scanner"] = visit(page, live_site + "/scan/", console)
    worker = page.evaluate("navigator.serviceWorker.ready.then(() => true)")  # registered under worker-src
    assert worker is True

    page.context.clear_cookies()
    logged_in(page.context, manager, live_site)
    for name, url in [
        ("admin event", f"/admin/events/event/{event.pk}/change/"),
        ("admin calendar", "/admin/events/session/calendar/"),
        ("report", f"/organizer/reports/events/{event.slug}/"),
    ]:
        violations[name] = visit(page, live_site + url, console)
    assert page.locator("svg").count() > 0  # the report's charts rendered

    assert {name: found for name, found in violations.items() if found} == {}


def test_api_docs_render_swagger_ui_from_our_own_files(page, live_site):
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))
    page.context.add_init_script(WATCH)
    outside: list[str] = []
    page.on("request", lambda request: None if request.url.startswith(live_site) else outside.append(request.url))

    violations = visit(page, live_site + "/api/docs/", console)
    page.locator(".opblock").first.wait_for()  # the operations, read from /api/schema/

    assert violations == []
    assert outside == []  # no CDN: works offline
    assert page.locator(".opblock").count() > 20
    assert page.get_by_text("Huiguan API").first.is_visible()
