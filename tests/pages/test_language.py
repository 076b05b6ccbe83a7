import re

import pytest
from django.test import Client

from tests.pages.conftest import html

pytestmark = pytest.mark.django_db


def csrf_token(page: str) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)


def test_switcher_sets_the_language_for_the_next_pages(event):
    client = Client(enforce_csrf_checks=True)
    page = html(client.get(f"/events/{event.slug}/"))
    assert '<html lang="en"' in page and "<h1>Tea evening</h1>" in page
    assert '<button type="submit" name="language" value="zh-hans" lang="zh-hans"' in page
    assert f'name="next" value="/events/{event.slug}/"' in page

    response = client.post(
        "/i18n/setlang/",
        {"language": "zh-hans", "next": f"/events/{event.slug}/", "csrfmiddlewaretoken": csrf_token(page)},
    )

    assert response.status_code == 302 and response["Location"] == f"/events/{event.slug}/"
    page = html(client.get(f"/events/{event.slug}/"))
    assert '<html lang="zh-hans"' in page and "<h1>茶艺之夜</h1>" in page
    assert "您来自哪里？" in page
    assert re.search(r'value="zh-hans" lang="zh-hans"\s+aria-current="true"', page)
    assert "活动" not in html(client.get("/?lang=en"))  # ?lang= still wins for one request


def test_switcher_is_csrf_protected(event):
    client = Client(enforce_csrf_checks=True)

    response = client.post("/i18n/setlang/", {"language": "ja", "next": "/"})

    assert response.status_code == 403


def test_query_parameter_picks_the_language_and_the_switcher_drops_it(client, event):
    page = html(client.get("/?lang=ja&kind=event"))

    assert '<html lang="ja"' in page and "お茶の夕べ" in page
    assert 'name="next" value="/?kind=event"' in page


def test_accept_language_is_honoured(client, event):
    page = html(client.get("/", HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9,en;q=0.5"))

    assert '<html lang="zh-hans"' in page and "茶艺之夜" in page
