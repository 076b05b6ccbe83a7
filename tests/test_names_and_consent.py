"""Input rules for people's names (common.names) and the consent booleans, through the API and the page."""

from __future__ import annotations

import unicodedata

import pytest

from common.names import clean_name
from registrations.models import Registration
from tests.factories import EventFactory
from tests.pages.conftest import field_errors, form_data, html
from tests.registrations.conftest import url

# --- the rule ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("  Li Na  ", "Li Na"),  # trimmed
        ("Li \t\n  Na", "Li Na"),  # any run of blanks is one space
        ("Li\u3000Na", "Li Na"),  # ideographic space
        ("Jose\u0301", "Jos\u00e9"),  # NFC: e + combining acute is é
        ("Ali\u202eevil", "Alievil"),  # RIGHT-TO-LEFT OVERRIDE removed
        ("\u2067Sara\u2069 K", "Sara K"),  # isolates removed
        ("Wang\u200bWei", "WangWei"),  # zero-width space
        ("\ufeffSato", "Sato"),  # byte order mark
        ("Li\u00adNa", "LiNa"),  # soft hyphen (a format character)
        ("Li\x07Na\x00", "LiNa"),  # control characters
        (
            "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645",
            "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645",
        ),  # ZWNJ in Persian stays
        ("\U0001f469\u200d\U0001f4bb", "\U0001f469\u200d\U0001f4bb"),  # ZWJ emoji sequence stays
        ("\u200dNa", "Na"),  # a joiner at the edge joins nothing
        ("李娜", "李娜"),
        ("佐藤 ゆい", "佐藤 ゆい"),
    ],
)
def test_clean_name(typed, stored):
    assert clean_name(typed) == stored
    assert unicodedata.is_normalized("NFC", clean_name(typed))


@pytest.mark.parametrize(
    "invisible", ["\u200b\u200b", " \u200b ", "\u202e", "\u3164\u3164", "\u2800", "\u0301", "\ufeff\u2060", ""]
)
def test_invisible_only_is_empty(invisible):
    assert clean_name(invisible) == ""


# --- the API -------------------------------------------------------------------------------------


@pytest.fixture
def event(db):
    return EventFactory(capacity=10, max_guests=2)


def body(**overrides):
    data = {"name": "Li Na", "email": "lina@example.org", "language": "en", "consents": {"privacy": True}}
    data.update(overrides)
    return data


def test_api_stores_the_cleaned_name_and_guests(api_client, event):
    response = api_client.post(
        url(event), body(name=" Jose\u0301 \u202eX ", guests=["\u2066Wang Wei\u2069", "Sato  Yui"]), format="json"
    )
    assert response.status_code == 201, response.json()
    registration = Registration.objects.get()
    assert registration.name == "Jos\u00e9 X" and response.json()["name"] == "Jos\u00e9 X"
    assert [t.name for t in registration.tickets.all()] == ["Jos\u00e9 X", "Wang Wei", "Sato Yui"]


@pytest.mark.parametrize("name", ["\u200b\u200b", "\u202e\u202c", "\u3164"])
def test_api_refuses_an_invisible_name(api_client, event, name):
    response = api_client.post(url(event), body(name=name), format="json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid" and "name" in error["fields"]
    assert not Registration.objects.exists()


def test_api_refuses_an_invisible_guest(api_client, event):
    response = api_client.post(url(event), body(guests=["Wang Wei", "\u200b"]), format="json")
    assert response.status_code == 400
    assert "guests" in response.json()["error"]["fields"]


@pytest.mark.parametrize("agreed", ["yes", "true", "1", "on", 1, 1.0, None, [], {}])
def test_api_consent_is_a_json_true_only(api_client, event, agreed):
    response = api_client.post(url(event), body(consents={"privacy": agreed}), format="json")
    assert response.status_code == 400, response.json()
    error = response.json()["error"]
    assert error["code"] == "invalid" and "consents" in error["fields"]
    assert not Registration.objects.exists()


def test_api_consent_false_is_a_clear_no(api_client, event):
    response = api_client.post(url(event), body(consents={"privacy": False}), format="json")
    assert response.status_code == 400
    assert response.json()["error"]["fields"]["consents"] == {"privacy": ["Please agree to continue."]}


def test_api_consent_true_registers(api_client, event):
    assert api_client.post(url(event), body(), format="json").status_code == 201


# --- the page (same function) ----------------------------------------------------------------------


@pytest.fixture
def page_event(db):
    return EventFactory(slug="tea", capacity=10, max_guests=2)


def test_page_stores_the_cleaned_name_and_drops_invisible_guest_lines(client, page_event):
    data = form_data(name=" \u202eLi  Na ", answer_nationality=None, guests="\u200b\nWang\u200bWei\n")
    response = client.post(f"/events/{page_event.slug}/register/", data)
    assert response.status_code == 302, html(response)
    registration = Registration.objects.get()
    assert registration.name == "Li Na"
    assert [t.name for t in registration.tickets.all()] == ["Li Na", "WangWei"]


def test_page_refuses_an_invisible_name(client, page_event):
    response = client.post(
        f"/events/{page_event.slug}/register/", form_data(name="\u200b\u200b", answer_nationality=None)
    )
    assert response.status_code == 200
    assert field_errors(html(response), "name") == ["Please give your name."]
    assert not Registration.objects.exists()
