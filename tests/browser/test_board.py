"""The notice board, the Weekly Bulletin's archive and the desk's notice editor in real headless
Chromium on a phone (390×844), in Chinese and in Japanese: what residents and office staff see,
screenshots in test-artifacts/screenshots/board-*.png, and axe-core (vendored) finds no WCAG 2.1
A/AA violation on any of them. Nothing may overflow the phone's width."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from notifications import board, bulletins
from notifications.models import Notice
from organizations.models import Membership
from tests.browser.conftest import PHONE, logged_in, screenshot
from tests.factories import EventFactory, MembershipFactory, OrganizationFactory, SessionFactory, UserFactory
from tests.helpers import axe_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# English words of these screens that must not show through in the chosen language.
ENGLISH = ["Notice board", "Current notices", "Weekly Bulletin", "Urgent", "Valid from", "Preview", "Category"]


def board_world():
    org = OrganizationFactory(
        slug="fao",
        default_language="zh-hans",
        timezone="Asia/Shanghai",
        name={"en": "Foreign Affairs Office", "zh-hans": "外事办", "ja": "外事弁公室"},
    )
    owner = UserFactory(username="desk-owner")
    MembershipFactory(user=owner, organization=org, role=Membership.Role.OWNER)
    today = timezone.localdate()
    works = board.notice_create(
        user=owner,
        organization=org,
        category=Notice.Category.WORKS,
        title={"zh-hans": "解放路夜间施工", "en": "Night works on Jiefang Road", "ja": "解放路で夜間工事"},
        body={"zh-hans": "本周每晚22:00至次日5:00施工。", "en": "22:00–5:00 every night.", "ja": "毎晩22時〜翌5時。"},
        area={"zh-hans": "解放路（鼓楼区）", "ja": "解放路（鼓楼区）"},
        valid_from=today,
        valid_until=today + dt.timedelta(days=6),
        urgent=True,
    )
    board.notice_publish(user=owner, notice=works)
    service = board.notice_create(
        user=owner,
        organization=org,
        category=Notice.Category.SERVICE,
        title={"zh-hans": "签证咨询新增周六时段"},
        body={"zh-hans": "周六9:00至12:00。"},
    )
    board.notice_publish(user=owner, notice=service)
    event = EventFactory(
        organization=org, with_session=False, title={"en": "Tea", "zh-hans": "品茶会", "ja": "お茶会"}, capacity=12
    )
    SessionFactory(event=event, starts_at=timezone.now() + dt.timedelta(days=3))
    issue = bulletins.bulletin_send(
        organization=org, week_start=bulletins.week_start_of(organization=org, moment=timezone.now())
    )
    return owner, works, issue


@pytest.mark.parametrize("language", ["zh-hans", "ja"])
def test_board_bulletin_and_notice_editor_on_a_phone(browser, live_site, language):
    owner, works, issue = board_world()
    context = browser.new_context(
        viewport=PHONE, device_scale_factor=1, locale="en-US", timezone_id="Asia/Shanghai", bypass_csp=True
    )
    context.set_default_timeout(10_000)
    context.add_cookies([{"name": "django_language", "value": language, "url": live_site}])
    found = {}
    try:
        page = context.new_page()
        pages = [
            ("notices", "/notices/", "解放路夜间施工" if language == "zh-hans" else "解放路で夜間工事"),
            ("notice", f"/notices/{works.pk}/", "22"),
            ("bulletin-archive", "/bulletin/", "外事办" if language == "zh-hans" else "外事弁公室"),
            ("bulletin-issue", f"/bulletin/{issue.pk}/", "品茶会" if language == "zh-hans" else "お茶会"),
        ]
        for name, url, expected in pages:
            page.goto(live_site + url)
            assert page.locator("html").get_attribute("lang") == language
            assert expected in page.locator("main").inner_text()
            no_english(page)
            fits(page)
            screenshot(page, f"board-{name}-phone-{language}")
            violations = axe_violations(page)
            if violations:
                found[url] = violations
        if language == "ja":  # the Chinese-only notice says, in Japanese, that it is shown in Chinese
            page.goto(live_site + "/notices/")
            assert "このお知らせは" in page.locator("main").inner_text()

        logged_in(context, owner, live_site)
        page.goto(live_site + f"/organizer/notices/{works.pk}/")
        for code in ("en", "zh-hans", "ja"):
            assert page.locator(f"[name='title_{code}']").is_visible()
        assert page.locator(".desk-mail").count() == 3
        no_english(page)
        fits(page)
        screenshot(page, f"board-desk-notice-editor-phone-{language}")
        violations = axe_violations(page)
        if violations:
            found["editor"] = violations

        page.goto(live_site + "/organizer/notices/new/")
        page.select_option("#id_category", "safety")
        page.fill("[name='title_zh-hans']", "台风预警")
        page.fill("[name='body_zh-hans']", "请留在室内。")
        page.locator("button[name=preview]").click()
        page.wait_for_selector(".desk-preview")
        assert "台风预警" in page.locator(".desk-preview").inner_text()
        screenshot(page, f"board-desk-notice-preview-phone-{language}")
        violations = axe_violations(page)
        if violations:
            found["preview"] = violations

        page.goto(live_site + "/organizer/bulletin/")
        assert "Asia/Shanghai" in page.locator("main").inner_text()
        fits(page)
        screenshot(page, f"board-desk-bulletin-phone-{language}")
        violations = axe_violations(page)
        if violations:
            found["desk-bulletin"] = violations
    finally:
        context.close()
    assert not found, found


def fits(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{page.url} is {width}px wide"


def no_english(page) -> None:
    text = page.locator("main").inner_text() + page.locator("header").inner_text()
    shown = [word for word in ENGLISH if word in text]
    assert not shown, f"English on a {page.locator('html').get_attribute('lang')} page {page.url}: {shown}"
