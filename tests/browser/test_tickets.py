"""Ticket types and codes in real headless Chromium: an organizer adds a Student type and a code
on the desk's Tickets tab (laptop, Japanese), a resident registers a mixed party with the code on
a phone in Chinese and sees the total before booking. Screenshots go to test-artifacts/screenshots/."""

from __future__ import annotations

from decimal import Decimal

import pytest

from events.models import PromoCode, TicketType
from organizations.models import Membership
from registrations.models import Registration
from tests.browser.conftest import logged_in, screenshot
from tests.factories import EventFactory, MembershipFactory, OrganizationFactory, TicketTypeFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1366, "height": 900}


def test_organizer_adds_a_type_and_a_code_then_a_resident_books_a_mixed_party(browser, live_site):
    org = OrganizationFactory(slug="tea-club", name={"en": "Tea club", "zh-hans": "茶会", "ja": "お茶の会"})
    owner = UserFactory(username="owner")
    MembershipFactory(user=owner, organization=org, role=Membership.Role.OWNER)
    event = EventFactory(
        organization=org,
        slug="dumplings",
        title={"en": "Dumplings", "zh-hans": "包饺子", "ja": "餃子"},
        max_guests=2,
        allow_pay_at_door=True,
        price=Decimal("120"),
    )
    standard = TicketTypeFactory(
        event=event, name={"en": "Standard", "zh-hans": "标准票", "ja": "一般"}, price=Decimal("120")
    )

    desk = browser.new_context(viewport=LAPTOP, locale="ja-JP", timezone_id="Asia/Shanghai")
    desk.set_default_timeout(10_000)
    desk.add_cookies([{"name": "django_language", "value": "ja", "url": live_site}])
    logged_in(desk, owner, live_site)
    page = desk.new_page()
    try:
        page.goto(f"{live_site}/organizer/events/dumplings/")
        page.locator(".event-tabs a[href$='/tickets/']").click()
        page.wait_for_url("**/tickets/")
        page.fill("[name='type-name_en']", "Student")
        page.fill("[name='type-name_zh-hans']", "学生票")
        page.fill("[name='type-name_ja']", "学生")
        page.fill("[name='type-price']", "80")
        page.fill("[name='type-door_note_zh-hans']", "请携带学生证")
        page.fill("[name='type-position']", "1")
        page.locator("button[name=add_type]").click()
        page.wait_for_selector(".desk-row >> text=学生")
        page.fill("[name='code-code']", "DEMO10")
        page.fill("[name='code-value']", "10")
        page.locator("button[name=add_code]").click()
        page.wait_for_selector(".desk-row >> text=DEMO10")
        screenshot(page, "desk-tickets-laptop-ja")
    finally:
        desk.close()
    student = TicketType.objects.get(event=event, name__en="Student")
    assert PromoCode.objects.filter(code="DEMO10", event=event).exists()

    phone = browser.new_context(viewport=PHONE, locale="zh-CN", timezone_id="Asia/Shanghai")
    phone.set_default_timeout(10_000)
    phone.add_cookies([{"name": "django_language", "value": "zh-hans", "url": live_site}])
    page = phone.new_page()
    try:
        page.goto(f"{live_site}/events/dumplings/")
        page.fill("[name=name]", "王小明")
        page.fill("[name=email]", "xiaoming@example.org")
        page.select_option("[name=ticket_type]", str(standard.pk))
        page.fill("[name=guest_0_name]", "李娜")
        page.select_option("[name=guest_0_type]", str(student.pk))
        page.fill("[name=code]", "demo10")
        page.check("[name=privacy]")
        page.locator("button[name=apply_code]").click()
        page.wait_for_selector("#quote")
        assert "180" in page.locator("[data-total]").inner_text()  # (120 + 80) less 10 %
        assert "DEMO10" in page.locator("#quote").inner_text()
        screenshot(page, "register-mixed-party-phone-zh-hans")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], width
        page.check("[name=privacy]")
        page.locator("button.button--wide[type=submit]").click()
        page.wait_for_url("**/manage/**")
    finally:
        phone.close()
    registration = Registration.objects.get(email="xiaoming@example.org")
    assert registration.amount_due == Decimal("180.00")
    assert sorted(line.ticket_type.name["en"] for line in registration.lines.all()) == ["Standard", "Student"]
