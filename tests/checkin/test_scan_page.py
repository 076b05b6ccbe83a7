"""The scanner page (/scan/): who gets it, its languages, and the files it loads."""

import json
import re

import pytest
from django.contrib.staticfiles import finders
from django.core.cache import cache
from django.test import Client
from django.utils import translation

from organizations.models import Membership
from tests.factories import MembershipFactory, OrganizationFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _isolated():
    """checkin.selectors caches roles by user id, and SQLite reuses the ids of rolled-back rows;
    LocaleMiddleware leaves the last request's language active in this thread."""
    cache.clear()
    yield
    cache.clear()
    translation.deactivate()


PASSWORD = "pw-for-tests-1"  # tests/factories.UserFactory


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def member(role: str):
    user = UserFactory(first_name="Ana", last_name="Li")
    MembershipFactory(user=user, organization=OrganizationFactory(), role=role)
    return user


def test_anonymous_is_sent_to_the_scanner_login():
    response = Client().get("/scan/")
    assert response.status_code == 302
    assert response["Location"] == "/scan/login/?next=/scan/"


def test_login_page_logs_in_and_returns_to_the_scanner():
    user = member(Membership.Role.VOLUNTEER)
    client = Client()
    page = client.get("/scan/login/?next=/scan/")
    assert page.status_code == 200
    assert b'name="username"' in page.content and b'name="next" value="/scan/"' in page.content

    wrong = client.post("/scan/login/", {"username": user.username, "password": "nope", "next": "/scan/"})
    assert wrong.status_code == 200 and b'role="alert"' in wrong.content

    response = client.post("/scan/login/", {"username": user.username, "password": PASSWORD, "next": "/scan/"})
    assert response.status_code == 302 and response["Location"] == "/scan/"
    assert client.get("/scan/").status_code == 200


def test_login_without_next_goes_to_the_scanner_and_never_off_site():
    user = member(Membership.Role.VOLUNTEER)
    response = Client().post("/scan/login/", {"username": user.username, "password": PASSWORD})
    assert response["Location"] == "/scan/"
    evil = Client().post(
        "/scan/login/", {"username": user.username, "password": PASSWORD, "next": "https://evil.example/"}
    )
    assert evil["Location"] == "/scan/"


def test_logged_in_volunteer_skips_the_login_page():
    response = logged_in(member(Membership.Role.VOLUNTEER)).get("/scan/login/")
    assert response.status_code == 302 and response["Location"] == "/scan/"


@pytest.mark.parametrize("role", [Membership.Role.VOLUNTEER, Membership.Role.MANAGER, Membership.Role.OWNER])
def test_every_checkin_role_gets_the_scanner(role):
    response = logged_in(member(role)).get("/scan/")
    assert response.status_code == 200
    assert b'id="result-live"' in response.content and b'aria-live="assertive"' in response.content
    assert "no-cache" in response["Cache-Control"]
    assert response.cookies["csrftoken"].value  # the script sends it back as X-CSRFToken


def test_superuser_gets_the_scanner():
    assert logged_in(UserFactory(is_superuser=True, is_staff=True)).get("/scan/").status_code == 200


def test_others_get_a_polite_refusal():
    attendee = UserFactory(username="guest42")
    response = logged_in(attendee).get("/scan/")
    assert response.status_code == 403
    content = response.content.decode()
    assert "guest42" in content and "volunteer" in content
    assert "scan-config" not in content and "scanner.js" not in content


def test_inactive_volunteer_cannot_log_in():
    user = member(Membership.Role.VOLUNTEER)
    user.is_active = False
    user.save()
    response = Client().post("/scan/login/", {"username": user.username, "password": PASSWORD})
    assert response.status_code == 200


def test_logout_needs_post_and_returns_to_login():
    client = logged_in(member(Membership.Role.VOLUNTEER))
    response = client.post("/scan/logout/")
    assert response.status_code == 302 and response["Location"] == "/scan/login/"
    assert client.get("/scan/").status_code == 302


@pytest.mark.parametrize(
    ("language", "headers"),
    [
        ("en", {"HTTP_ACCEPT_LANGUAGE": "en"}),
        ("zh-hans", {"HTTP_ACCEPT_LANGUAGE": "zh-CN,zh;q=0.9"}),
        ("ja", {"HTTP_ACCEPT_LANGUAGE": "ja-JP"}),
    ],
)
def test_page_renders_in_each_language(language, headers):
    client = logged_in(member(Membership.Role.VOLUNTEER))
    for url in ("/scan/", "/scan/login/"):
        if url == "/scan/login/":
            client = Client()
        response = client.get(url, **headers)
        assert response.status_code == 200, url
        content = response.content.decode()
        assert f'<html lang="{language}">' in content, url
        # The switcher names each language in its own script and marks the current one.
        assert re.search(rf'value="{language}"[^>]*\s+aria-current="true"', content), url
        for name in ("English", "简体中文", "日本語"):
            assert name in content
    config = json.loads(re.search(r'id="scan-config"[^>]*>(.*?)</script>', logged_in_page(language)).group(1))
    assert config["language"] == language  # sent as Accept-Language with every API call


def logged_in_page(language: str) -> str:
    client = logged_in(member(Membership.Role.VOLUNTEER))
    return client.get("/scan/", HTTP_ACCEPT_LANGUAGE=language).content.decode()


def test_language_switch_returns_to_the_scanner():
    client = logged_in(member(Membership.Role.VOLUNTEER))
    response = client.post("/i18n/setlang/", {"language": "ja", "next": "/scan/"})
    assert response.status_code == 302 and response["Location"] == "/scan/"
    assert '<html lang="ja">' in client.get("/scan/").content.decode()


def test_page_config_points_at_the_api():
    content = logged_in_page("en")
    config = json.loads(re.search(r'id="scan-config"[^>]*>(.*?)</script>', content).group(1))
    assert config["api"] == "/api/v1/checkin/"
    assert config["sessions"] == "/api/v1/checkin/sessions/"
    assert config["user"] == "Ana Li"
    assert config["currencySymbols"]["CNY"] == "¥"


def test_static_files_referenced_exist():
    content = logged_in_page("en")
    config = json.loads(re.search(r'id="scan-config"[^>]*>(.*?)</script>', content).group(1))
    urls = re.findall(r'(?:src|href)="(/static/[^"]+)"', content) + [config["jsqr"]]
    assert {"/static/checkin/scanner.js", "/static/checkin/offline.js", "/static/checkin/scanner.css"} <= set(urls)
    assert "/static/checkin/vendor/jsQR-1.4.0.js" in urls
    for url in urls:
        assert finders.find(url.removeprefix("/static/")), url


def test_javascript_catalog_is_served():
    content = logged_in_page("en")
    assert '<script src="/jsi18n/"' in content
    response = Client().get("/jsi18n/", HTTP_ACCEPT_LANGUAGE="ja")
    assert response.status_code == 200
    assert b"django.gettext" in response.content or b"gettext" in response.content


def test_service_worker_keeps_the_page_and_its_files():
    response = Client().get("/scan/sw.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert response["Cache-Control"] == "no-cache"
    body = response.content.decode()
    assert 'const PAGE = "/scan/";' in body and 'const CATALOG = "/jsi18n/";' in body
    assets = json.loads(json.loads('"' + re.search(r'JSON\.parse\("(.*?)"\)', body).group(1) + '"'))
    assert "/static/checkin/scanner.js" in assets and "/static/checkin/vendor/jsQR-1.4.0.js" in assets
    for url in assets:
        assert finders.find(url.removeprefix("/static/")), url
    assert re.search(r'const VERSION = "[0-9a-f]{16}";', body)
    assert Client().post("/scan/sw.js").status_code == 405
    content = logged_in_page("en")
    assert '"serviceWorker": "/scan/sw.js"' in content
