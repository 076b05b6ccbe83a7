"""The public pages in real headless Chromium, on a phone-sized screen."""

import json
import re
from pathlib import Path

import pytest
from django.core import mail

from events.models import Question
from registrations.models import Registration
from registrations.tickets import parse_ticket_code
from tests.browser.conftest import screenshot
from tests.factories import EventFactory, QuestionFactory, RegistrationFactory
from tests.qr import decode_qr

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def tea_evening(**kwargs):
    event = EventFactory(
        slug="tea-evening",
        title={"en": "Tea evening", "zh-hans": "茶艺之夜", "ja": "お茶の夕べ"},
        summary={"en": "Taste three teas with neighbours.", "zh-hans": "和邻居一起品尝三种茶。"},
        description={"en": "We drink tea together.", "zh-hans": "我们一起喝茶，聊聊天。"},
        **kwargs,
    )
    QuestionFactory(
        event=event,
        key="nationality",
        kind=Question.Kind.CHOICE,
        required=True,
        label={"en": "Where are you from?", "zh-hans": "您来自哪里？"},
        choices=[
            {"value": "jp", "label": {"en": "Japan", "zh-hans": "日本"}},
            {"value": "de", "label": {"en": "Germany", "zh-hans": "德国"}},
        ],
    )
    return event


def fill_registration(page, *, name: str, email: str) -> None:
    page.locator('input[name="name"]').fill(name)
    page.locator('input[name="email"]').fill(email)
    page.locator('input[name="answer_nationality"][value="de"]').check()
    page.locator('input[name="privacy"]').check()


def image_loaded(page, selector: str) -> bool:
    return page.eval_on_selector(selector, "img => img.complete && img.naturalWidth > 0")


def test_register_for_a_free_event_in_chinese(page, live_site):
    event = tea_evening()

    page.goto(live_site + "/")
    screenshot(page, "events-list-en")
    page.get_by_role("button", name="简体中文").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    screenshot(page, "events-list-zh")

    page.get_by_role("link", name="茶艺之夜").click()
    assert page.get_by_role("heading", level=1).inner_text() == "茶艺之夜"
    assert page.get_by_text("您来自哪里？").is_visible()

    # Submitting without the required answer and consent shows the errors next to the fields.
    page.locator('input[name="name"]').fill("Anna Schmidt")
    page.locator('input[name="email"]').fill("anna@example.org")
    page.locator("form.form button[type=submit]").click()
    assert page.locator("#id_answer_nationality_error").is_visible()
    assert page.locator("#id_privacy_error").is_visible()
    screenshot(page, "register-zh-errors")

    fill_registration(page, name="Anna Schmidt", email="anna@example.org")
    screenshot(page, "register-zh-form")
    page.locator("form.form button[type=submit]").click()

    page.wait_for_url(re.compile(r"/manage/[^/]+/$"))
    registration = Registration.objects.get(email="anna@example.org")
    assert registration.status == Registration.Status.CONFIRMED
    assert registration.language == "zh-hans"
    assert registration.answers == {"nationality": "de"}
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    assert page.get_by_text("茶艺之夜").first.is_visible()

    qr = page.locator("img.ticket__qr")
    qr.scroll_into_view_if_needed()
    assert image_loaded(page, "img.ticket__qr")
    [decoded] = decode_qr(qr.screenshot())
    assert parse_ticket_code(decoded) == registration.tickets.get().pk

    calendar = page.locator(".calendar-buttons a")
    assert calendar.count() == 2  # the address-wide subscription is mailed, never shown
    hrefs = [calendar.nth(n).get_attribute("href") for n in range(2)]
    # Host-relative, so it works on whatever host and port served the page.
    assert hrefs[0].startswith(f"/api/v1/registrations/{registration.pk}/calendar.ics?token=")
    assert hrefs[1].startswith("https://calendar.google.com/calendar/render?action=TEMPLATE")
    assert "ctz=Asia%2FShanghai" in hrefs[1]
    screenshot(page, "manage-zh-confirmed")

    # The .ics button downloads a calendar file.
    with page.expect_download() as download:
        calendar.nth(0).click()
    assert download.value.suggested_filename == f"{event.slug}.ics"

    # The subscription to all of the address's events is mailed there, never shown on the page.
    mail.outbox.clear()
    page.get_by_role("button", name="通过邮件发送订阅我所有活动的链接").click()
    page.get_by_text("我们已将链接发送到您的邮箱。").wait_for()
    assert "/calendar/feeds/" not in page.content()
    [message] = mail.outbox
    assert message.to == [registration.email] and "/api/v1/calendar/feeds/" in message.body


def test_register_for_a_full_event_lands_on_the_waiting_list(page, live_site):
    event = tea_evening(capacity=1)
    RegistrationFactory(event=event, email="first@example.org")

    page.goto(f"{live_site}/events/{event.slug}/")
    assert page.get_by_text("Waiting list").first.is_visible()
    fill_registration(page, name="Kenji Sato", email="kenji@example.org")
    page.get_by_role("button", name="Join the waiting list").click()

    page.wait_for_url(re.compile(r"/manage/[^/]+/$"))
    assert page.get_by_text("On the waiting list", exact=True).is_visible()
    assert page.get_by_text("You are number 1 on the waiting list.").is_visible()
    assert page.locator("img.ticket__qr").count() == 0
    assert Registration.objects.get(email="kenji@example.org").status == Registration.Status.WAITLISTED
    screenshot(page, "manage-waitlisted")


def test_cancel_through_the_manage_link(page, live_site):
    event = tea_evening()
    registration = RegistrationFactory(event=event, name="Maria Garcia", email="maria@example.org")

    page.goto(f"{live_site}/manage/{registration.manage_token}/")
    assert page.get_by_text("Confirmed", exact=True).is_visible()
    screenshot(page, "manage-before-cancel")
    page.get_by_role("link", name="Cancel my registration").click()

    assert page.get_by_role("heading", name="Cancel registration?").is_visible()
    screenshot(page, "cancel-confirm")
    page.get_by_role("button", name="Yes, cancel my registration").click()

    page.wait_for_url(f"{live_site}/manage/{registration.manage_token}/")
    assert page.get_by_text("Your registration has been cancelled.").is_visible()
    assert page.get_by_text("This registration is cancelled.", exact=False).is_visible()
    assert page.get_by_role("link", name="Cancel my registration").count() == 0
    registration.refresh_from_db()
    assert registration.status == Registration.Status.CANCELLED
    screenshot(page, "manage-cancelled")

    # POST forms work on the private pages too (their referrer policy keeps Origin checkable).
    page.get_by_role("button", name="日本語").click()
    page.wait_for_url(f"{live_site}/manage/{registration.manage_token}/")
    assert page.locator("html").get_attribute("lang") == "ja"


def test_download_and_erase_through_the_manage_link(page, live_site):
    event = tea_evening()
    registration = RegistrationFactory(event=event, name="Maria Garcia", email="maria@example.org")

    page.goto(f"{live_site}/manage/{registration.manage_token}/")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download my data (JSON)").click()
    assert download.value.suggested_filename == f"huiguan-registration-{registration.pk}.json"
    data = json.loads(Path(download.value.path()).read_text(encoding="utf-8"))
    assert data["registration"]["email"] == "maria@example.org"

    page.get_by_role("link", name="Erase my data").click()
    assert page.get_by_role("heading", name="Erase your personal data?").is_visible()
    screenshot(page, "erase-confirm")
    page.get_by_role("button", name="Yes, erase my data").click()  # a real form POST with its CSRF token

    page.wait_for_url(f"{live_site}/manage/{registration.manage_token}/")
    assert page.get_by_text("Your personal data in this registration has been erased.").is_visible()
    assert page.get_by_text("Maria Garcia").count() == 0
    registration.refresh_from_db()
    assert registration.anonymised_at is not None and registration.status == Registration.Status.CANCELLED
    screenshot(page, "manage-erased")


def test_feedback_form_from_the_email_link_is_saved(page, live_site):
    """The form's POST must pass Django's CSRF Origin check: the page's referrer policy keeps the
    token out of any Referer without making the browser send "Origin: null"."""
    from notifications.models import Feedback

    registration = RegistrationFactory(event=tea_evening(), name="Maria Garcia", language="en")
    page.goto(f"{live_site}/feedback/{registration.pk}/?token={registration.manage_token}&rating=5")
    page.locator("#comment").fill("Lovely teas")
    page.get_by_role("button", name="Send").click()
    assert page.get_by_role("heading", name="Thank you!").is_visible()
    assert Feedback.objects.get(registration=registration).comment == "Lovely teas"
