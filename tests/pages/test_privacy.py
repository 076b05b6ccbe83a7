"""Personal data on the pages: the consent on the form, the download and the erasure through the manage link."""

import json
import re

import pytest
from django.test import Client

from privacy.services import erased_email
from registrations import consent
from registrations.models import CalendarFeed, Registration
from tests.factories import RegistrationFactory
from tests.pages.conftest import field_block, field_errors, form_data, html, manage_url, text

pytestmark = pytest.mark.django_db

S = Registration.Status


def test_the_form_shows_the_consent_text_and_its_version(zh_client, event):
    page = html(zh_client.get(f"/events/{event.slug}/"))

    shown = consent.privacy_consent_text(language="zh-hans")
    block = field_block(page, "privacy")
    assert shown["label"] in block and shown["details"] in block and "匿名化" in shown["details"]
    assert f'name="consent_version" value="{consent.PRIVACY_CONSENT_VERSION}"' in page


def test_registering_on_the_page_records_the_consent_in_the_page_language(zh_client, event):
    data = form_data(consent_version=consent.PRIVACY_CONSENT_VERSION)
    assert zh_client.post(f"/events/{event.slug}/register/", data).status_code == 302

    record = Registration.objects.get().consents["privacy"]
    assert record["language"] == "zh-hans" and record["version"] == consent.PRIVACY_CONSENT_VERSION
    assert record["text"].startswith("我同意主办方")


def test_without_the_consent_nothing_is_stored(client, event):
    response = client.post(f"/events/{event.slug}/register/", form_data(privacy=None))

    assert response.status_code == 200
    assert field_errors(html(response), "privacy") == ["Please agree to continue."]
    assert not Registration.objects.exists()


def test_a_form_shown_with_an_older_consent_text_asks_again(zh_client, event):
    response = zh_client.post(f"/events/{event.slug}/register/", form_data(consent_version="2020-01-01"))

    assert response.status_code == 200
    page = html(response)
    assert field_errors(page, "privacy") == ["隐私声明已更新。请阅读最新版本并再次同意。"]
    assert not Registration.objects.exists()
    # The page now carries the current version: agreeing on it registers.
    [version] = re.findall(r'name="consent_version" value="([^"]*)"', page)
    assert version == consent.PRIVACY_CONSENT_VERSION
    assert zh_client.post(f"/events/{event.slug}/register/", form_data(consent_version=version)).status_code == 302
    assert Registration.objects.get().consents["privacy"]["version"] == version


def test_manage_page_links_to_download_and_erase(client, registered):
    page = html(client.get(manage_url(registered)))

    assert f'href="/manage/{registered.manage_token}/data.json"' in page
    assert f'href="/manage/{registered.manage_token}/erase/"' in page
    assert "Download my data (JSON)" in page and "Erase my data" in page


def test_download_is_a_private_json_file_of_the_registration(client, registered, event):
    other = RegistrationFactory(event=event, name="Other Person", email="other@example.org")

    response = client.get(manage_url(registered) + "data.json")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["Content-Disposition"] == f'attachment; filename="huiguan-registration-{registered.pk}.json"'
    assert response["Cache-Control"] == "private, no-store" and response["Referrer-Policy"] == "strict-origin"
    data = json.loads(response.content)
    assert data["registration"]["name"] == "Li Na" and data["registration"]["email"] == "lina@example.org"
    assert [ticket["name"] for ticket in data["tickets"]] == ["Li Na", "Wang Wei"]
    assert {answer["key"]: answer["answer"] for answer in data["answers"]} == {"nationality": "jp", "photos": False}
    assert "Other Person" not in response.content.decode() and other.manage_token not in response.content.decode()
    assert client.get("/manage/not-a-token/data.json").status_code == 404
    assert client.post(manage_url(registered) + "data.json").status_code == 405


def test_erase_asks_first_and_needs_the_csrf_token(event, registered):
    browser = Client(enforce_csrf_checks=True)
    confirm = browser.get(manage_url(registered) + "erase/")

    assert confirm.status_code == 200
    page = html(confirm)
    assert "Yes, erase my data" in page and 'method="post"' in page
    assert "Your registration is cancelled first" in page  # the event is still to come
    assert confirm["Cache-Control"] == "private, no-store"

    forged = browser.post(manage_url(registered) + "erase/")
    assert forged.status_code == 403
    registered.refresh_from_db()
    assert registered.anonymised_at is None and registered.status == S.CONFIRMED

    token = browser.cookies["csrftoken"].value
    response = browser.post(manage_url(registered) + "erase/", {"csrfmiddlewaretoken": token})

    assert response.status_code == 302 and response["Location"] == manage_url(registered)
    registered.refresh_from_db()
    assert registered.status == S.CANCELLED and registered.anonymised_at is not None
    assert registered.email == erased_email(registered.pk) and registered.name == ""
    event.refresh_from_db()
    assert event.seats_held == 0


def test_after_erasure_the_manage_page_says_so_in_the_reader_language(zh_client, event):
    zh_client.post(f"/events/{event.slug}/register/", form_data())
    registration = Registration.objects.get()

    response = zh_client.post(manage_url(registration) + "erase/", follow=True)

    page = text(response)
    assert "这次报名中的个人数据已删除。" in page
    assert "这次报名的个人数据已于" in page
    assert "Li Na" not in page and "lina@example.org" not in page
    assert "删除我的数据" not in page  # nothing left to download or erase
    assert not CalendarFeed.objects.filter(email=registration.email).exists()
    # Asking again is harmless: back to the same page.
    again = zh_client.post(manage_url(registration) + "erase/")
    assert again.status_code == 302
    assert zh_client.get(manage_url(registration) + "erase/").status_code == 302


def test_unknown_token_cannot_erase(client, registered):
    assert client.post("/manage/not-a-token/erase/").status_code == 404
    assert client.get("/manage/not-a-token/erase/").status_code == 404
    registered.refresh_from_db()
    assert registered.anonymised_at is None
