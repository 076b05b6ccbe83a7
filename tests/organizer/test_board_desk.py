"""The desk's notices and Weekly Bulletin, and the organizer API for notices: scoped to the
organizations you manage, field errors as 400, the same use cases as everywhere else."""

from __future__ import annotations

import pytest
from django.test import Client
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from notifications.models import Bulletin, ListMessage, Notice
from organizations.models import Membership
from tests.factories import EventFactory, MembershipFactory, OrganizationFactory, UserFactory, VenueFactory
from tests.helpers import notice_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def desk():
    org = OrganizationFactory(slug="fao", default_language="zh-hans", name={"en": "FAO", "zh-hans": "外事办"})
    other = OrganizationFactory(slug="hub")
    manager = UserFactory(username="desk-manager")
    MembershipFactory(user=manager, organization=org, role=Membership.Role.MANAGER)
    client = Client()
    client.force_login(manager)
    return {"org": org, "other": other, "manager": manager, "client": client}


def form_body(org, **extra):
    return {
        "organization": org.pk,
        "category": "works",
        "title_zh-hans": "解放路夜间施工",
        "title_en": "Night works on Jiefang Road",
        "title_ja": "",
        "body_zh-hans": "3月1日至15日。",
        "body_en": "From 1 to 15 March.",
        "body_ja": "",
        "area_en": "Jiefang Road",
        "valid_from": "2027-03-01",
        "valid_until": "2027-03-15",
        **extra,
    }


def test_write_preview_publish_and_withdraw_on_the_desk(desk, django_capture_on_commit_callbacks):
    client, org = desk["client"], desk["org"]
    page = client.get("/organizer/notices/new/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert page.status_code == 200
    text = page.content.decode()
    for name in ("title_en", "title_zh-hans", "title_ja", "body_en", "body_zh-hans", "body_ja"):
        assert f'name="{name}"' in text

    preview = client.post("/organizer/notices/new/", {**form_body(org), "preview": "1"}, HTTP_ACCEPT_LANGUAGE="ja")
    assert preview.status_code == 200 and not Notice.objects.exists()
    shown = preview.content.decode()
    assert "解放路夜间施工" in shown and "Night works on Jiefang Road" in shown and "このお知らせは" in shown

    saved = client.post("/organizer/notices/new/", form_body(org))
    notice = Notice.objects.get()
    assert saved.status_code == 302 and saved["Location"] == f"/organizer/notices/{notice.pk}/"
    assert notice.status == Notice.Status.DRAFT and notice.title["en"] == "Night works on Jiefang Road"
    assert notice.area == {"en": "Jiefang Road"}

    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(f"/organizer/notices/{notice.pk}/publish/").status_code == 302
    notice.refresh_from_db()
    assert notice.status == Notice.Status.PUBLISHED
    message = ListMessage.objects.get(notice=notice)
    assert "解放路夜间施工" in message.rendered["ja"]["text"]
    assert "Night works on Jiefang Road" in Client().get("/notices/").content.decode()
    assert "解放路夜间施工" in Client().get("/notices/?lang=zh-hans").content.decode()

    listing = client.get("/organizer/notices/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "解放路夜间施工" in listing and "已发布" in listing

    assert client.post(f"/organizer/notices/{notice.pk}/withdraw/").status_code == 302
    notice.refresh_from_db()
    assert notice.status == Notice.Status.WITHDRAWN
    assert "解放路夜间施工" not in Client().get("/notices/?lang=zh-hans").content.decode()


def test_the_form_requires_the_default_language_and_keeps_to_the_organization(desk):
    client, org = desk["client"], desk["org"]
    body = form_body(org, **{"title_zh-hans": "", "valid_until": "2027-02-01"})
    response = client.post("/organizer/notices/new/", body)
    assert response.status_code == 400 and not Notice.objects.exists()
    stranger = client.post("/organizer/notices/new/", form_body(desk["other"]))
    assert stranger.status_code == 400 and not Notice.objects.exists()
    foreign_venue = VenueFactory(organization=desk["other"])
    response = client.post("/organizer/notices/new/", form_body(org, venue=foreign_venue.pk))
    assert response.status_code == 400 and not Notice.objects.exists()


def test_another_organizations_notice_is_not_found_on_the_desk(desk):
    theirs = notice_in(desk["other"], status=Notice.Status.DRAFT)
    client = desk["client"]
    assert client.get(f"/organizer/notices/{theirs.pk}/").status_code == 404
    assert client.post(f"/organizer/notices/{theirs.pk}/publish/").status_code == 404
    assert "Office hours change" not in client.get("/organizer/notices/").content.decode()
    theirs.refresh_from_db()
    assert theirs.status == Notice.Status.DRAFT


def test_the_bulletin_page_previews_each_language_and_sends_now_once(desk, django_capture_on_commit_callbacks):
    client, org = desk["client"], desk["org"]
    EventFactory(organization=org, title={"en": "Tea", "zh-hans": "品茶", "ja": "お茶"})
    page = client.get("/organizer/bulletin/?preview=ja", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert page.status_code == 200
    text = page.content.decode()
    assert "お茶" in text and "周刊" not in text and "每周简报" in text
    assert "Asia/Shanghai" in text
    assert not Bulletin.objects.exists()  # a preview is never stored

    with django_capture_on_commit_callbacks(execute=True):
        assert client.post("/organizer/bulletin/send/", {"organization": "fao"}).status_code == 302
        assert client.post("/organizer/bulletin/send/", {"organization": "fao"}).status_code == 302
    bulletin = Bulletin.objects.get()
    assert (
        set(bulletin.contents) == {"en", "zh-hans", "ja"} and ListMessage.objects.filter(bulletin=bulletin).count() == 1
    )
    assert client.post("/organizer/bulletin/send/", {"organization": "hub"}).status_code == 404


# --- the organizer API ----------------------------------------------------------------------------------


@pytest.fixture
def api(desk):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=desk['manager']).key}")
    return client


def api_body(**extra):
    return {
        "organization": "fao",
        "category": "safety",
        "title_i18n": {"zh-hans": "台风预警", "en": "Typhoon warning"},
        "body_i18n": {"zh-hans": "请留在室内。", "en": "Stay indoors."},
        **extra,
    }


def test_the_api_creates_updates_and_publishes(api, desk, django_capture_on_commit_callbacks):
    created = api.post("/api/v1/organizer/notices/", api_body(urgent=True), format="json")
    assert created.status_code == 201, created.content
    data = created.json()
    assert data["status"] == "draft" and data["languages"] == ["en", "zh-hans"] and data["urgent"] is True
    pk = data["id"]
    updated = api.patch(f"/api/v1/organizer/notices/{pk}/", {"body_i18n": {"zh-hans": "请勿外出。"}}, format="json")
    assert updated.status_code == 200 and updated.json()["body_i18n"] == {"zh-hans": "请勿外出。"}
    with django_capture_on_commit_callbacks(execute=True):
        published = api.post(f"/api/v1/organizer/notices/{pk}/publish/")
    assert published.status_code == 200 and published.json()["status"] == "published"
    assert ListMessage.objects.filter(notice_id=pk).count() == 1
    assert api.post(f"/api/v1/organizer/notices/{pk}/withdraw/").json()["status"] == "withdrawn"
    assert api.post(f"/api/v1/organizer/notices/{pk}/publish/").status_code == 409
    assert [row["id"] for row in api.get("/api/v1/organizer/notices/").json()["results"]] == [pk]


def test_the_api_answers_field_errors_with_400(api):
    response = api.post(
        "/api/v1/organizer/notices/",
        api_body(
            title_i18n={"en": "No Chinese title"}, category="gossip", valid_from="2027-03-02", valid_until="2027-03-01"
        ),
        format="json",
    )
    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {"category"}
    response = api.post(
        "/api/v1/organizer/notices/",
        api_body(title_i18n={"en": "No Chinese title"}, valid_from="2027-03-02", valid_until="2027-03-01"),
        format="json",
    )
    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {"title_i18n", "valid_until"}
    assert not Notice.objects.exists()


def test_the_api_is_scoped_to_the_organizations_you_manage(api, desk):
    theirs = notice_in(desk["other"], status=Notice.Status.DRAFT)
    assert api.post("/api/v1/organizer/notices/", api_body(organization="hub"), format="json").status_code == 403
    assert api.get(f"/api/v1/organizer/notices/{theirs.pk}/").status_code == 404
    assert api.post(f"/api/v1/organizer/notices/{theirs.pk}/publish/").status_code == 404
    assert api.get("/api/v1/organizer/notices/").json()["results"] == []
    theirs.refresh_from_db()
    assert theirs.status == Notice.Status.DRAFT and theirs.published_at is None
