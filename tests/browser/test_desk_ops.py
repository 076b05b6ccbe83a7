"""The desk's registrations and messages in real headless Chromium, on a phone in Chinese and on
a laptop in Japanese: find the registration on the desk, write an announcement in two languages,
preview it, send it, and see it delivered. Screenshots go to test-artifacts/screenshots/."""

from __future__ import annotations

import pytest
from django.core import mail

from organizations.models import Membership
from registrations import services
from tests.browser.conftest import logged_in, screenshot
from tests.factories import EventFactory, MembershipFactory, OrganizationFactory, QuestionFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SIZES = {"phone": {"width": 390, "height": 844}, "laptop": {"width": 1366, "height": 900}}
# English words of these screens that must not show through in the chosen language.
ENGLISH = ["Registrations", "Message attendees", "Recipients", "Preview", "Delivery", "Waiting list", "Resend ticket"]


@pytest.mark.parametrize("size, language", [("phone", "zh-hans"), ("laptop", "ja")])
def test_see_a_registration_send_an_announcement_see_it_delivered(browser, live_site, size, language):
    org = OrganizationFactory(slug="tea-club", name={"en": "Tea club", "zh-hans": "茶会", "ja": "お茶の会"})
    owner = UserFactory(username="owner")
    MembershipFactory(user=owner, organization=org, role=Membership.Role.OWNER)
    event = EventFactory(
        organization=org, slug="tea-evening", title={"en": "Tea evening", "zh-hans": "品茶之夜", "ja": "お茶の夕べ"}
    )
    QuestionFactory(event=event, key="diet", label={"en": "Diet", "zh-hans": "饮食", "ja": "食事"}, required=False)
    services.registration_create(
        event_id=event.pk,
        name="王小明",
        email="xiaoming@example.org",
        language="zh-hans",
        answers={"diet": "素食"},
        consents={"privacy": True},
    )
    services.registration_create(
        event_id=event.pk, name="Sato Hana", email="hana@example.org", language="ja", consents={"privacy": True}
    )
    mail.outbox.clear()

    context = browser.new_context(
        viewport=SIZES[size], device_scale_factor=1, locale="en-US", timezone_id="Asia/Shanghai"
    )
    context.set_default_timeout(10_000)
    context.add_cookies([{"name": "django_language", "value": language, "url": live_site}])
    logged_in(context, owner, live_site)
    page = context.new_page()
    try:
        page.goto(f"{live_site}/organizer/events/tea-evening/registrations/")
        assert page.locator("html").get_attribute("lang") == language
        row = page.locator(".desk-row", has_text="王小明")
        assert row.is_visible() and "素食" in row.inner_text()
        assert page.locator(".desk-row", has_text="Sato Hana").is_visible()
        assert "xiaoming@example.org" in row.inner_text()
        no_english(page)
        screenshot(page, f"desk-registrations-{size}-{language}")

        # Search narrows the list to one person.
        page.fill("#id_q", "Sato")
        page.locator(".desk-filters button[type=submit]").click()
        page.wait_for_url("**q=Sato**")
        assert page.locator(".desk-list > .desk-row").count() == 1

        page.locator(".event-tabs a[href$='/message/']").click()
        page.fill("[name='subject_zh-hans']", "下周带伞")
        page.fill("[name='body_zh-hans']", "天气预报下周有雨。")
        page.fill("[name='subject_ja']", "来週は傘を")
        page.fill("[name='body_ja']", "来週は雨の予報です。")
        page.check("input[name=audience][value=confirmed]")
        page.locator("button[name=preview]").click()
        page.wait_for_selector(".desk-preview")
        preview = page.locator(".desk-preview")
        assert "下周带伞" in preview.inner_text() and "来週は傘を" in preview.inner_text()
        readers = page.locator(".desk-readers__list li").all_inner_texts()
        assert len(readers) == 2 and all("1" in reader for reader in readers)
        no_english(page)
        screenshot(page, f"desk-message-preview-{size}-{language}")

        page.locator("button[name=send]").click()
        page.wait_for_url("**/message/*/")
        sent = page.locator("dd[data-status=sent]")
        for _ in range(20):  # the outbox sends after commit (eager Celery): usually already done
            if sent.inner_text() == "2":
                break
            page.reload()
        assert sent.inner_text() == "2"
        assert page.locator("dd[data-status=failed]").inner_text() == "0"
        no_english(page)
        screenshot(page, f"desk-message-delivered-{size}-{language}")
        subjects = sorted(message.subject for message in mail.outbox)
        assert any("来週は傘を" in subject for subject in subjects)
        assert any("下周带伞" in subject for subject in subjects)
    finally:
        context.close()


def no_english(page) -> None:
    text = page.locator("main").inner_text() + page.locator("header").inner_text()
    shown = [word for word in ENGLISH if word in text]
    assert not shown, f"English on a {page.locator('html').get_attribute('lang')} page: {shown}"
