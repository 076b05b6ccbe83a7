"""The first-look tour on the demo data, in real headless Chromium (issue 16).

On a phone (390×844) and a desktop (1366×900), in English, Chinese and Japanese: the list →
today's event → a registration with a mistake (the page lands on the error summary) → fixed →
the ticket card with its short code → the volunteer checks that code in at today's session →
the organizer's report with charts → a certificate of the finished course. Screenshots go to
test-artifacts/screenshots/first-look-*.png; axe-core (vendored, tests/browser/vendor/) must find
no violations on the pages this issue added or rebuilt.
"""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.cache import cache
from django.core.management import call_command

from registrations.models import Registration
from tests.browser.conftest import (
    CHROMIUM_ARGS,  # noqa: F401 - the harness, for readers
    screenshot,
)
from tests.helpers import axe_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

VIEWPORTS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1366, "height": 900}}
LOCALES = {"en": "en-US", "zh-hans": "zh-CN", "ja": "ja-JP"}
TODAY = "chaoyang-newcomers-welcome-afternoon"
WORDS = {  # what the tour reads on the pages, per language
    "en": {"title": "Welcome Afternoon for Newcomers", "tz": "China Time", "week": "This week"},
    "zh-hans": {"title": "新居民欢迎下午茶", "tz": "中国时间", "week": "本周"},
    "ja": {"title": "新しく来た方の歓迎会", "tz": "中国時間", "week": "今週"},
}


@pytest.fixture
def demo(live_site):
    cache.clear()  # checkin.selectors caches by id, and a flushed database reuses ids
    call_command("demo_data", stdout=StringIO())
    yield live_site
    cache.clear()


class Audit:
    """axe-core runs in its own browser context that ignores the CSP (the script is injected);
    the tour's own context keeps the site's strict CSP, so what it sees is what a resident sees."""

    def __init__(self, browser, viewport: dict, locale: str):
        self.context = browser.new_context(viewport=viewport, locale=locale, bypass_csp=True)
        self.page = self.context.new_page()

    def of(self, url: str, *, then=None) -> list[dict]:
        self.page.goto(url)
        if then is not None:
            then(self.page)
        return axe_violations(self.page, wcag_aa_only=False)

    def close(self) -> None:
        self.context.close()


def submit_with_a_mistake(page) -> None:
    page.locator('input[name="name"]').fill("Ada Lovelace")
    page.locator('input[name="email"]').fill("ada@example")
    page.locator('form.form button[type="submit"]').click()
    page.wait_for_load_state()


def in_view(page, selector: str) -> bool:
    return page.eval_on_selector(
        selector, "e => { const r = e.getBoundingClientRect(); return r.top >= -1 && r.top < window.innerHeight; }"
    )


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
@pytest.mark.parametrize("language", list(LOCALES))
def test_first_look_tour(browser, demo, language, viewport):
    live_site = demo
    words = WORDS[language]
    shot = f"first-look-{language}-{viewport}"
    context = browser.new_context(
        viewport=VIEWPORTS[viewport], device_scale_factor=1, locale=LOCALES[language], timezone_id="Asia/Shanghai"
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    missing = []
    page.on("response", lambda response: response.status == 404 and missing.append(response.url))
    violations = {}
    audit = Audit(browser, VIEWPORTS[viewport], LOCALES[language])

    # The list, grouped by date, with the cover images.
    page.goto(f"{live_site}/?lang={language}")
    assert page.locator("html").get_attribute("lang") == language
    assert page.locator(".group-heading").first.inner_text() == words["week"]
    assert page.locator("img.card__image").count() >= 7
    screenshot(page, f"{shot}-1-list")
    violations["list"] = audit.of(page.url)

    # Today's event: two columns on a desktop, a Register bar on a phone; share tags in the page's language.
    page.get_by_role("link", name=words["title"]).first.click()
    page.wait_for_url(f"**/events/{TODAY}/**")
    assert page.locator('meta[property="og:title"]').get_attribute("content") == words["title"]
    assert page.locator('meta[property="og:image"]').get_attribute("content").startswith(live_site + "/media/")
    assert words["tz"] in page.locator(".event-panel").inner_text()
    panel = page.locator(".event-panel").bounding_box()
    body = page.locator(".event__body").bounding_box()
    if viewport == "desktop":
        assert panel["x"] > body["x"] + body["width"]  # beside, not below
        assert not page.locator(".register-bar").is_visible()
    else:
        bar = page.locator(".register-bar").bounding_box()
        assert bar["y"] + bar["height"] == pytest.approx(VIEWPORTS["phone"]["height"], abs=1)  # at the bottom
    screenshot(page, f"{shot}-2-event", full_page=False)
    violations["event"] = audit.of(page.url)

    # A registration with a mistake: the page lands on the error summary, with the focus.
    submit_with_a_mistake(page)
    page.wait_for_function("() => document.activeElement && document.activeElement.id === 'error-summary'")
    assert in_view(page, "#error-summary"), page.eval_on_selector(
        "#error-summary", "e => [e.getBoundingClientRect().top, window.scrollY, window.innerHeight]"
    )
    assert page.locator("#error-summary a").count() == 2  # the address and the consent
    screenshot(page, f"{shot}-3-error", full_page=False)
    violations["error"] = audit.of(page.url.split("/register/")[0] + "/", then=submit_with_a_mistake)

    # Fixed: the ticket card with its short code.
    page.locator('input[name="email"]').fill(f"ada.{language}.{viewport}@example.org")
    page.locator('input[name="privacy"]').check()
    page.locator('form.form button[type="submit"]').click()
    page.wait_for_url("**/manage/**")
    card = page.locator(".ticket-card").first
    assert words["title"] in card.inner_text() and "Ada Lovelace" in card.inner_text()
    short = card.locator(".ticket-card__code").inner_text()
    assert len(short) == 9 and short[4] == "-"
    assert page.eval_on_selector(".ticket__qr", "img => img.complete && img.naturalWidth > 0")
    registration = Registration.objects.get(email=f"ada.{language}.{viewport}@example.org")
    assert registration.tickets.get().short_code == short.replace("-", "")
    screenshot(page, f"{shot}-4-ticket")
    violations["ticket"] = audit.of(page.url)

    # The volunteer types the short code at today's session.
    scanner = browser.new_context(viewport=VIEWPORTS["phone"], locale=LOCALES[language], timezone_id="Asia/Shanghai")
    door = scanner.new_page()
    door.goto(f"{live_site}/scan/")
    door.locator("#id_username").fill("volunteer")
    door.locator("#id_password").fill("huiguan-demo")
    door.locator("button.btn--big").click()
    door.wait_for_url(f"{live_site}/scan/")
    session = registration.event.sessions.get()
    door.locator(f'[data-session="{session.pk}"]').click()
    door.locator("#door").wait_for()
    door.locator("#tab-code").click()
    door.locator("#code-input").fill(short.lower())
    door.locator("#code-form button[type=submit]").click()
    door.wait_for_function("() => document.getElementById('result').dataset.status === 'ok'")
    assert "Ada Lovelace" in door.locator("#result-name").inner_text()
    screenshot(door, f"{shot}-5-scanner", full_page=False)
    scanner.close()
    assert registration.checkins.filter(direction="in", reverted_at__isnull=True).count() == 1

    # The organizer: the past café's report has its charts, the finished course its certificates.
    office = browser.new_context(viewport=VIEWPORTS[viewport], locale=LOCALES[language], timezone_id="Asia/Shanghai")
    desk = office.new_page()
    desk.goto(f"{live_site}/admin/login/?next=/organizer/reports/")
    desk.locator("#id_username").fill("organizer")
    desk.locator("#id_password").fill("huiguan-demo")
    desk.locator('input[type="submit"]').click()
    desk.wait_for_url("**/organizer/reports/")
    desk.goto(f"{live_site}/organizer/reports/events/chaoyang-language-exchange-cafe/?lang={language}")
    bars = desk.eval_on_selector_all("svg.chart", "svgs => svgs.map(svg => svg.querySelectorAll('rect').length)")
    assert len(bars) >= 3 and all(count > 0 for count in bars)
    screenshot(desk, f"{shot}-6-report")
    desk.goto(f"{live_site}/organizer/reports/events/chaoyang-paper-cutting-course/?lang={language}")
    certificate = desk.locator("table.matrix tr.completed a").first.get_attribute("href")
    response = desk.request.get(live_site + certificate)
    assert response.status == 200 and response.headers["content-type"] == "application/pdf"
    screenshot(desk, f"{shot}-7-course")
    office.close()

    # The poster and My registrations (new pages).
    page.goto(f"{live_site}/events/{TODAY}/poster/?lang={language}")
    assert page.eval_on_selector(".poster__qr img", "img => img.complete && img.naturalWidth > 0")
    screenshot(page, f"{shot}-8-poster")
    violations["poster"] = audit.of(page.url)
    violations["my"] = audit.of(f"{live_site}/my/?lang={language}")
    audit.close()
    context.close()

    assert not [url for url in missing if "favicon" in url or "/static/" in url or "/media/" in url]
    assert {name: found for name, found in violations.items() if found} == {}
