"""'My registrations': one mailed, expiring link to every registration of an address."""

import datetime as dt
import re
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.utils import timezone

from registrations.models import Registration, RegistrationsLink
from tests.factories import EventFactory, RegistrationFactory, SessionFactory
from tests.pages.conftest import html

pytestmark = pytest.mark.django_db

EMAIL = "mei@example.org"


def ask(client, email=EMAIL, **extra):
    return client.post("/my/", {"email": email}, **extra)


def same_page(response, email: str) -> str:
    """The page with the address typed and the CSRF tokens (new on every page) taken out."""
    page = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html(response))
    return page.replace(email, "ADDRESS")


def link_in(message) -> str:
    [url] = re.findall(r"https?://[^\s\"<]+/my/[A-Za-z0-9_-]+/", message.body)
    return urlsplit(url).path


@pytest.fixture
def history():
    """Mei registered for an upcoming event and a past one; someone else for a third."""
    now = timezone.now()
    upcoming = EventFactory(title={"en": "Lantern evening", "ja": "ランタンの夕べ"})
    past = EventFactory(title={"en": "Tea morning"}, with_session=False)
    SessionFactory(event=past, starts_at=now - dt.timedelta(days=9))
    mine = [RegistrationFactory(event=upcoming, email=EMAIL, name="Mei"), RegistrationFactory(event=past, email=EMAIL)]
    RegistrationFactory(event=EventFactory(title={"en": "Someone else's"}), email="other@example.org")
    return mine


def test_the_same_answer_whether_or_not_the_address_is_known(client, history, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        known = ask(client, "MEI@example.org")
        unknown = ask(client, "nobody@example.org")

    assert known.status_code == unknown.status_code == 200
    assert same_page(known, "MEI@example.org") == same_page(unknown, "nobody@example.org")
    assert "Check your inbox." in html(known)
    assert [message.to for message in mail.outbox] == [[EMAIL]]  # one mail, to the known address only


def test_the_link_lists_upcoming_and_past_with_tickets_calendar_and_cancel(
    client, history, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        ask(client)
    [message] = mail.outbox
    assert message.subject == "Your registrations: your link"
    path = link_in(message)

    response = client.get(path)

    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store" and "noindex" in response["X-Robots-Tag"]
    page = html(response)
    assert "Lantern evening" in page and "Tea morning" in page and "Someone else" not in page
    upcoming, past = page.split('id="past-heading"')
    assert "Lantern evening" in upcoming and "Tea morning" in past
    registration = history[0]
    assert f'href="/manage/{registration.manage_token}/"' in upcoming
    assert f"/api/v1/registrations/{registration.pk}/calendar.ics?token=" in upcoming
    assert f'href="/manage/{registration.manage_token}/cancel/"' in upcoming
    assert "/cancel/" not in past  # the past cannot be cancelled


def test_the_mail_is_in_the_language_asked_in(client, history, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        ask(client, HTTP_ACCEPT_LANGUAGE="ja")
    [message] = mail.outbox
    assert message.subject == "お申し込み一覧へのリンク"
    page = html(client.get(link_in(message) + "?lang=ja"))
    assert "ランタンの夕べ" in page and 'lang="en"' in page  # "Tea morning" has no Japanese title


def test_asking_again_in_the_window_sends_nothing_more(client, history, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        ask(client)
        ask(client)
    assert len(mail.outbox) == 1 and RegistrationsLink.objects.count() == 1


def test_links_expire_and_unknown_ones_are_not_found(client, history, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        ask(client)
    path = link_in(mail.outbox[0])
    RegistrationsLink.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))

    assert client.get(path).status_code == 404
    assert client.get("/my/not-a-real-token/").status_code == 404
    assert client.get("/my/" + "x" * 300 + "/").status_code == 404


def test_the_token_is_long_and_random():
    link = RegistrationsLink.objects.create(email=EMAIL, expires_at=timezone.now())
    other = RegistrationsLink.objects.create(email=EMAIL, expires_at=timezone.now())
    assert len(link.token) >= 43 and link.token != other.token


def test_a_bad_address_lands_on_the_error_summary(client):
    response = ask(client, "not-an-email")
    page = html(response)
    assert response.status_code == 400
    assert 'id="error-summary"' in page and "autofocus" in page
    assert 'href="#id_email"' in page and 'aria-invalid="true"' in page


def test_it_is_rate_limited(client, history, settings):
    settings.THROTTLE_RATES = {**settings.THROTTLE_RATES, "register_email": "2/hour"}
    assert ask(client).status_code == 200
    assert ask(client).status_code == 200
    limited = ask(client)
    assert limited.status_code == 429 and limited["Retry-After"]


def test_erased_registrations_are_not_listed(client, history, django_capture_on_commit_callbacks):
    Registration.objects.filter(pk=history[1].pk).update(anonymised_at=timezone.now())
    with django_capture_on_commit_callbacks(execute=True):
        ask(client)
    assert "Tea morning" not in html(client.get(link_in(mail.outbox[0])))
