"""The notice board as residents reach it: the page, a notice's page, the Atom feed per language,
the public API; and the Weekly Bulletin's archive. Published notices and sent issues only."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET

import pytest
from django.test import Client
from rest_framework.test import APIClient

from notifications import bulletins
from notifications.models import Bulletin, Notice
from tests.factories import EventFactory, OrganizationFactory, SessionFactory
from tests.helpers import notice_in

pytestmark = pytest.mark.django_db
ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture
def board_world():
    org = OrganizationFactory(
        slug="fao", default_language="en", name={"en": "Foreign Affairs Office", "ja": "外事弁公室"}
    )
    other = OrganizationFactory(slug="hub")
    return {
        "org": org,
        "other": other,
        "published": notice_in(org, category=Notice.Category.WORKS, urgent=True),
        "english_only": notice_in(org, title={"en": "Water cut on Monday"}, body={"en": "From 9 to 12."}),
        "elsewhere": notice_in(other, category=Notice.Category.SAFETY, title={"en": "Typhoon warning"}),
        "draft": notice_in(org, status=Notice.Status.DRAFT, title={"en": "Secret draft plan"}),
        "withdrawn": notice_in(org, status=Notice.Status.WITHDRAWN, title={"en": "Withdrawn rumour"}),
    }


def test_the_board_lists_published_notices_only_urgent_marked_and_filters(board_world):
    page = Client().get("/notices/?lang=ja")
    text = page.content.decode()
    assert page.status_code == 200
    assert "窓口時間の変更" in text and "Typhoon warning" in text and "Water cut on Monday" in text
    assert "Secret draft plan" not in text and "Withdrawn rumour" not in text
    assert 'class="badge badge--urgent"' in text
    # The English-only notice says, in Japanese, that it is shown in English.
    assert "このお知らせは" in text
    assert text.index("窓口時間の変更") < text.index("Water cut on Monday")  # urgent first
    works = Client().get("/notices/?category=works").content.decode()
    assert "Office hours change" in works and "Typhoon warning" not in works
    hub = Client().get("/notices/?organization=hub").content.decode()
    assert "Typhoon warning" in hub and "Office hours change" not in hub


def test_a_notice_page_and_drafts_are_not_found(board_world):
    response = Client().get(f"/notices/{board_world['english_only'].pk}/?lang=zh-hans")
    assert response.status_code == 200
    text = response.content.decode()
    assert "Water cut on Monday" in text and "From 9 to 12." in text and "此通知" in text
    assert Client().get(f"/notices/{board_world['draft'].pk}/").status_code == 404
    assert Client().get(f"/notices/{board_world['withdrawn'].pk}/").status_code == 404


@pytest.mark.parametrize(
    "language, title", [("en", "Office hours change"), ("zh-hans", "办公时间调整"), ("ja", "窓口時間の変更")]
)
def test_the_atom_feed_per_language(board_world, language, title):
    response = Client().get(f"/notices/feed/{language}.atom")
    assert response.status_code == 200 and response["Content-Type"].startswith("application/atom+xml")
    feed = ET.fromstring(response.content)
    assert feed.get("{http://www.w3.org/XML/1998/namespace}lang") == language
    titles = [entry.findtext(f"{ATOM}title") for entry in feed.iter(f"{ATOM}entry")]
    assert len(titles) == 3 and any(title in t for t in titles)
    assert not any("Secret draft plan" in t or "Withdrawn rumour" in t for t in titles)
    links = [entry.find(f"{ATOM}link").get("href") for entry in feed.iter(f"{ATOM}entry")]
    assert all(link.startswith("http") and link.endswith(f"?lang={language}") for link in links)
    assert Client().get("/notices/feed/fr.atom").status_code == 404


def test_the_public_api_lists_published_notices_in_the_readers_language(board_world, django_assert_num_queries):
    client = APIClient()
    with django_assert_num_queries(2):  # count, notices with organization and venue: nothing per row
        response = client.get("/api/v1/notices/?lang=ja")
    assert response.status_code == 200
    rows = response.json()["results"]
    assert {row["id"] for row in rows} == {board_world[name].pk for name in ("published", "english_only", "elsewhere")}
    english_only = next(row for row in rows if row["id"] == board_world["english_only"].pk)
    assert english_only["language"] == "en" and english_only["title"] == "Water cut on Monday"
    assert "このお知らせは" in english_only["fallback"]
    translated = next(row for row in rows if row["id"] == board_world["published"].pk)
    assert translated["title"] == "窓口時間の変更" and translated["fallback"] == "" and translated["urgent"]
    assert translated["title_i18n"]["zh-hans"] == "办公时间调整"
    filtered = client.get("/api/v1/notices/?category=safety&organization=hub").json()["results"]
    assert [row["title"] for row in filtered] == ["Typhoon warning"]
    bad = client.get("/api/v1/notices/?category=gossip")
    assert bad.status_code == 400 and "category" in bad.json()["error"]["fields"]


def test_the_bulletin_archive_in_each_language():
    org = OrganizationFactory(
        slug="expat-hub",
        timezone="Asia/Shanghai",
        name={"en": "Expat Hub", "zh-hans": "外籍人士中心", "ja": "外国人センター"},
    )
    now = dt.datetime(2027, 3, 5, 2, tzinfo=dt.UTC)
    event = EventFactory(
        organization=org, with_session=False, title={"en": "Calligraphy", "zh-hans": "书法", "ja": "書道"}
    )
    SessionFactory(event=event, starts_at=now + dt.timedelta(days=4))
    issue = bulletins.bulletin_send(organization=org, week_start=dt.date(2027, 3, 1), now=now)
    Bulletin.objects.create(organization=org, week_start=dt.date(2027, 3, 8), contents={}, status=Bulletin.Status.BUILT)

    listing = Client().get("/bulletin/?lang=zh-hans")
    assert listing.status_code == 200 and listing.content.decode().count("/bulletin/") >= 1
    assert f"/bulletin/{issue.pk}/" in listing.content.decode()
    for language, word in (("en", "Calligraphy"), ("zh-hans", "书法"), ("ja", "書道")):
        page = Client().get(f"/bulletin/{issue.pk}/?lang={language}")
        text = page.content.decode()
        assert page.status_code == 200 and word in text
        assert "[[unsubscribe_url]]" not in text
    unsent = Bulletin.objects.get(status=Bulletin.Status.BUILT)
    assert Client().get(f"/bulletin/{unsent.pk}/").status_code == 404
