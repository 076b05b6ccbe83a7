"""Content-Security-Policy: the header on every page, and pages that need nothing it forbids.

The browser test (tests/browser/test_csp.py) proves the pages run under it; these tests pin
the header and check the served HTML for inline scripts and styles, which the policy blocks.
"""

from html.parser import HTMLParser

import pytest
from django.test import Client

from organizations.models import Membership
from tests.factories import EventFactory, MembershipFactory, RegistrationFactory, UserFactory

pytestmark = pytest.mark.django_db

EXPECTED = {
    "default-src": {"'self'"},
    "script-src": {"'self'"},
    "style-src": {"'self'"},
    "img-src": {"'self'", "data:", "blob:"},
    "connect-src": {"'self'"},
    "worker-src": {"'self'"},
    "object-src": {"'none'"},
    "base-uri": {"'self'"},
    "frame-ancestors": {"'none'"},
    "form-action": {"'self'", "https://checkout.stripe.com"},
}


def policy(response) -> dict[str, set[str]]:
    header = response["Content-Security-Policy"]
    directives = {}
    for part in header.split(";"):
        name, *values = part.split()
        directives[name] = set(values)
    return directives


class InlineFinder(HTMLParser):
    """Inline <script>/<style> blocks, style="" and on*="" attributes: all blocked by the policy."""

    def __init__(self):
        super().__init__()
        self.found: list[str] = []
        self._script_without_src = False

    def handle_starttag(self, tag, attrs):
        names = dict(attrs)
        if tag == "style":
            self.found.append("<style>")
        if tag == "script":
            # json_script data (type="application/json") is not run, so the policy allows it.
            executable = names.get("type", "text/javascript") in ("text/javascript", "module", "")
            self._script_without_src = executable and "src" not in names
        for name, value in attrs:
            if name == "style" or name.startswith("on"):
                self.found.append(f"<{tag} {name}={value!r}>")
            if name in ("href", "src", "action") and (value or "").lower().startswith("javascript:"):
                self.found.append(f"<{tag} {name}={value!r}>")

    def handle_endtag(self, tag):
        if tag == "script":
            self._script_without_src = False

    def handle_data(self, data):
        if self._script_without_src and data.strip():
            self.found.append(f"<script>{data.strip()[:60]}")


def inline_parts(response) -> list[str]:
    finder = InlineFinder()
    finder.feed(response.content.decode())
    return finder.found


@pytest.fixture
def event(organization):
    return EventFactory(organization=organization)


@pytest.fixture
def staff_client(manager):
    manager.is_staff = True
    manager.save(update_fields=["is_staff"])
    client = Client()
    client.force_login(manager)
    return client


def test_public_pages_carry_the_policy_and_nothing_inline(client, event):
    registration = RegistrationFactory(event=event)
    for url in ["/", f"/events/{event.slug}/", f"/manage/{registration.manage_token}/", "/scan/login/"]:
        response = client.get(url)
        assert response.status_code == 200, url
        assert policy(response) == EXPECTED, url
        assert inline_parts(response) == [], url


def test_scanner_page_and_its_service_worker(client, organization):
    volunteer = UserFactory()
    MembershipFactory(user=volunteer, organization=organization, role=Membership.Role.VOLUNTEER)
    client.force_login(volunteer)
    page = client.get("/scan/")
    assert page.status_code == 200
    assert policy(page) == EXPECTED
    assert inline_parts(page) == []
    worker = client.get("/scan/sw.js")
    assert worker.status_code == 200 and "Content-Security-Policy" in worker


def test_admin_and_report_pages_have_nothing_inline(staff_client, event):
    for url in [
        "/admin/",
        f"/admin/events/event/{event.pk}/change/",
        "/admin/events/session/calendar/",
        f"/organizer/reports/events/{event.slug}/",
    ]:
        response = staff_client.get(url)
        assert response.status_code == 200, url
        assert policy(response) == EXPECTED, url
        assert inline_parts(response) == [], url


def test_api_and_errors_carry_the_policy(client):
    assert policy(client.get("/api/v1/events/")) == EXPECTED
    assert policy(client.get("/events/no-such-event/")) == EXPECTED


def test_the_api_docs_page_serves_swagger_itself_and_only_widens_styles(client):
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    widened = policy(docs)
    assert widened["script-src"] == EXPECTED["script-src"]  # Swagger UI comes from our static files
    assert "'unsafe-inline'" in widened["style-src"]  # the template's <style> block
    assert widened["frame-ancestors"] == {"'none'"} and widened["object-src"] == {"'none'"}
    assert "cdn.jsdelivr.net" not in docs.content.decode()
    assert not [part for part in inline_parts(docs) if part.startswith("<script>")]
    init = client.get("/api/docs/?script=")  # the init script, served as a file
    assert init.status_code == 200 and "SwaggerUIBundle" in init.content.decode()
