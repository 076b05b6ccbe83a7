"""Money screens in real headless Chromium, with axe-core: an attendee's manage page with their
bill, receipt and fapiao request on a phone in Chinese; the organizer's refund page and fapiao
list on a laptop in Japanese. Screenshots go to test-artifacts/screenshots/."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import transaction
from django.utils import timezone

from organizations.models import Membership
from registrations.models import FapiaoRequest, Payment
from registrations.services.receipts import receipt_issue
from tests.browser.conftest import logged_in, screenshot
from tests.factories import EventFactory, MembershipFactory, OrganizationFactory, RegistrationFactory, UserFactory
from tests.helpers import axe_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1366, "height": 900}


def paid_world():
    org = OrganizationFactory(slug="tea-club", name={"en": "Tea club", "zh-hans": "茶会", "ja": "お茶の会"})
    owner = UserFactory(username="owner")
    MembershipFactory(user=owner, organization=org, role=Membership.Role.OWNER)
    event = EventFactory(
        organization=org,
        slug="dumplings",
        title={"en": "Dumplings", "zh-hans": "包饺子", "ja": "餃子"},
        price=Decimal("120"),
        refund_full_days=7,
        refund_partial_percent=50,
        refund_partial_days=2,
    )
    registration = RegistrationFactory(
        event=event, name="王小明", email="xiaoming@example.org", language="zh-hans", amount_due=Decimal("120")
    )
    with transaction.atomic():
        payment = Payment.objects.create(
            registration=registration,
            provider="stripe",
            status="paid",
            amount=Decimal("120"),
            currency="CNY",
            payment_intent_id="pi_browser_1",
            paid_at=timezone.now(),
        )
        receipt_issue(payment=payment)
    FapiaoRequest.objects.create(
        registration=registration, company_name="上海茶叶贸易有限公司", taxpayer_id="91350100M000100Y43"
    )
    return owner, event, registration


def test_the_attendees_receipt_and_the_organizers_refund_page(browser, live_site):
    owner, event, registration = paid_world()
    found = {}

    phone = browser.new_context(viewport=PHONE, locale="zh-CN", timezone_id="Asia/Shanghai", bypass_csp=True)
    phone.set_default_timeout(15_000)
    phone.add_cookies([{"name": "django_language", "value": "zh-hans", "url": live_site}])
    page = phone.new_page()
    try:
        page.goto(f"{live_site}/manage/{registration.manage_token}/")
        section = page.locator("#payment-heading").locator("xpath=..")
        assert "收据" in section.inner_text() and "上海茶叶贸易有限公司" in section.inner_text()
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        screenshot(page, "money-manage-phone-zh-hans")
        found["manage"] = axe_violations(page)
    finally:
        phone.close()

    desk = browser.new_context(viewport=LAPTOP, locale="ja-JP", timezone_id="Asia/Shanghai", bypass_csp=True)
    desk.set_default_timeout(15_000)
    desk.add_cookies([{"name": "django_language", "value": "ja", "url": live_site}])
    logged_in(desk, owner, live_site)
    page = desk.new_page()
    try:
        page.goto(f"{live_site}/organizer/events/{event.slug}/refunds/{registration.pk}/")
        assert page.locator("html").get_attribute("lang") == "ja"
        assert "120" in page.locator("main").inner_text()
        screenshot(page, "money-desk-refund-laptop-ja")
        found["refund"] = axe_violations(page)
        page.goto(f"{live_site}/organizer/events/{event.slug}/fapiao/")
        assert "上海茶叶贸易有限公司" in page.locator("main").inner_text()
        screenshot(page, "money-desk-fapiao-laptop-ja")
        found["fapiao"] = axe_violations(page)
    finally:
        desk.close()
    assert {name: v for name, v in found.items() if v} == {}
