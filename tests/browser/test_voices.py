"""Residents' comments and demands in real headless Chromium, on a phone in Chinese and in
Japanese: a resident writes on /voices/ and lands on their private page; the office finds it in
the desk's inbox, previews and sends the answer, and the resident's email arrives in their
language; the published questions and answers show no email. Every screen has no WCAG 2.1 AA
violation (axe-core) and nothing wider than the phone. Screenshots: test-artifacts/screenshots/."""

from __future__ import annotations

import pytest
from django.core import mail

from organizations.models import Membership
from tests.browser.conftest import logged_in, screenshot
from tests.factories import MembershipFactory, OrganizationFactory, UserFactory
from tests.helpers import axe_violations
from voices import services
from voices.models import Comment

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
# English words of these screens that must not show through in the chosen language.
ENGLISH = ["Comments and demands", "Office", "Your message", "Topic", "Status", "Answer", "Publish", "Preview"]
TEXTS = {
    "zh-hans": {
        "question": "请问外国人可以在社区医院预约英文门诊吗？需要带什么证件？",
        "published": "小区附近哪里可以办理居住证？",
        "answer": "可以。请携带护照，每周二、周四上午有英文门诊。",
        "reply_subject": "我们对您留言的答复",
    },
    "ja": {
        "question": "地域の病院で英語の診察を予約できますか？何を持って行けばよいですか？",
        "published": "近くで居住証の手続きができる場所はどこですか？",
        "answer": "できます。パスポートをお持ちください。毎週火・木の午前に英語の診察があります。",
        "reply_subject": "お問い合わせへの回答",
    },
}


def no_english(page) -> None:
    text = page.locator("main").inner_text()
    shown = [word for word in ENGLISH if word in text]
    assert not shown, f"English on a {page.locator('html').get_attribute('lang')} page: {shown}"


def fits_the_phone(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], width


@pytest.mark.parametrize("language", ["zh-hans", "ja"])
def test_a_resident_writes_the_office_answers_in_their_language(browser, live_site, language):
    texts = TEXTS[language]
    org = OrganizationFactory(
        slug="foreign-affairs", name={"en": "Foreign Affairs Office", "zh-hans": "外事办公室", "ja": "外事弁公室"}
    )
    owner = UserFactory(username="owner", first_name="Lin", last_name="Fang")
    MembershipFactory(user=owner, organization=org, role=Membership.Role.OWNER)
    earlier = services.comment_create(
        organization_id=org.pk,
        topic="visas",
        kind="question",
        text=texts["published"],
        language=language,
        email="earlier.writer@example.org",
        publish_consent=True,
    )
    services.comment_reply_send(comment_id=earlier.pk, user=owner, text=texts["answer"], language=language)
    services.comment_publish(comment_id=earlier.pk, user=owner, published=True)
    mail.outbox.clear()

    # axe runs as an injected script: CSP is bypassed in this context only; the CSP itself is
    # checked by the console errors of the same pages (a blocked resource logs one).
    context = browser.new_context(
        viewport=PHONE, device_scale_factor=1, locale="en-US", timezone_id="Asia/Shanghai", bypass_csp=True
    )
    context.set_default_timeout(30_000)
    context.add_cookies([{"name": "django_language", "value": language, "url": live_site}])
    errors: list[str] = []
    found: dict[str, list] = {}

    def check(page, name: str) -> None:
        fits_the_phone(page)
        violations = axe_violations(page)
        if violations:
            found[name] = violations

    try:
        page = context.new_page()
        page.on("console", lambda message: message.type == "error" and errors.append(message.text))
        page.goto(f"{live_site}/voices/")
        assert page.locator("html").get_attribute("lang") == language
        public = page.locator(".voice-list").inner_text()
        assert texts["published"] in public and texts["answer"] in public
        assert "@" not in page.locator("main").inner_text()
        no_english(page)
        screenshot(page, f"voices-{language}")
        check(page, "/voices/")

        page.select_option("#id_organization", "foreign-affairs")
        page.check("input[name=kind][value=question]")
        page.select_option("#id_topic", "health")
        page.fill("#id_text", texts["question"])
        page.fill("#id_email", "resident@example.org")
        page.check("#id_publish_consent")
        assert page.locator("#id_website").is_hidden() or page.locator(".voice-hp").bounding_box()["x"] < 0
        page.locator("main form button[type=submit]").click()
        page.wait_for_url("**/voices/mine/**")
        assert texts["question"] in page.locator("main").inner_text()
        assert page.locator(".voice-steps [aria-current=step]").count() == 1
        no_english(page)
        screenshot(page, f"voices-mine-{language}")
        check(page, "/voices/mine/")
        comment = Comment.objects.get(text=texts["question"])
        assert comment.language == language and comment.email == "resident@example.org"

        logged_in(context, owner, live_site)
        page.goto(f"{live_site}/organizer/voices/")
        assert page.locator("html").get_attribute("lang") == language
        row = page.locator(".desk-row", has_text=texts["question"][:10])
        assert row.is_visible()
        no_english(page)
        screenshot(page, f"desk-voices-inbox-{language}")
        check(page, "/organizer/voices/")

        row.locator("a").click()
        page.wait_for_url(f"**/organizer/voices/{comment.pk}/")
        assert page.locator("#id_language").input_value() == language
        page.fill("#id_reply", texts["answer"])
        page.locator("button[name=preview]").click()
        page.wait_for_selector(".voice-preview")
        assert texts["reply_subject"] in page.locator(".voice-preview").inner_text()
        screenshot(page, f"desk-voice-preview-{language}")
        check(page, "/organizer/voices/<pk>/ (preview)")
        page.locator("button[name=send]").click()
        page.wait_for_url(f"**/organizer/voices/{comment.pk}/")
        page.locator("form[action$='/publish/'] button").click()
        page.wait_for_url(f"**/organizer/voices/{comment.pk}/")
        screenshot(page, f"desk-voice-answered-{language}")
        check(page, "/organizer/voices/<pk>/")
    finally:
        context.close()
    assert not found, found
    assert not [e for e in errors if "Content Security Policy" in e], errors
    replies = [m for m in mail.outbox if m.to == ["resident@example.org"] and texts["reply_subject"] in m.subject]
    assert len(replies) == 1 and texts["answer"] in replies[0].body
    comment.refresh_from_db()
    assert comment.status == Comment.Status.ANSWERED and comment.published
