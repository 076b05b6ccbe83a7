"""/subscribe/ on a phone in Chinese and in Japanese: the form in the page's language (the email
language chosen to match), subscribing says "check your inbox" and mails only the confirmation,
and axe-core (vendored) finds no WCAG 2.1 AA violation. Screenshots in test-artifacts/screenshots/."""

from __future__ import annotations

import pytest
from django.core import mail

from notifications.models import Subscription
from tests.browser.conftest import screenshot
from tests.factories import OrganizationFactory
from tests.helpers import axe_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
ENGLISH = ["Subscribe to notices", "Weekly Bulletin", "Language of the emails", "Check your inbox", "Policy", "Safety"]


@pytest.mark.parametrize("language", ["zh-hans", "ja"])
def test_subscribe_on_a_phone(browser, live_site, language):
    OrganizationFactory(slug="riverside", name={"en": "Riverside Centre", "zh-hans": "河畔中心", "ja": "リバーサイド"})
    context = browser.new_context(
        viewport=PHONE, device_scale_factor=1, locale="en-US", timezone_id="Asia/Shanghai", bypass_csp=True
    )
    context.set_default_timeout(30_000)
    context.add_cookies([{"name": "django_language", "value": language, "url": live_site}])
    page = context.new_page()
    try:
        page.goto(f"{live_site}/subscribe/")
        assert page.locator("html").get_attribute("lang") == language
        assert page.locator('select[name="language"]').input_value() == language
        body = page.locator("main").inner_text()
        assert not [word for word in ENGLISH if word in body], body
        assert axe_violations(page) == []
        screenshot(page, f"subscribe-phone-{language}")

        page.fill('input[name="email"]', f"reader-{language}@example.org")
        page.check('input[name="consent"]')
        page.locator('form.form button[type="submit"]').click()
        page.wait_for_load_state()
        assert page.locator("#sent").is_visible()
        assert axe_violations(page) == []
        screenshot(page, f"subscribe-sent-phone-{language}")
    finally:
        context.close()
    subscription = Subscription.objects.get()
    assert subscription.language == language and subscription.confirmed_at is None
    assert [m.to for m in mail.outbox] == [[f"reader-{language}@example.org"]]
