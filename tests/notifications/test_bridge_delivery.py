"""The bridge end to end, as the office and the residents see it: a notice written on the desk
in two languages and published reaches each subscriber once, in their language (the third
language gets the default text with a line saying so), nobody else; the desk shows the copies
sent; a Weekly Bulletin sent from the desk is "sent" once its list has gone out."""

import email
import email.policy

import pytest
from django.core import mail
from django.test import Client

from notifications.models import Bulletin, Notice
from organizations.models import Membership
from tests.factories import EventFactory, MembershipFactory, OrganizationFactory, SubscriptionFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def office():
    org = OrganizationFactory(slug="fao", default_language="zh-hans", name={"en": "FAO", "zh-hans": "外事办"})
    manager = UserFactory(username="fao-manager")
    MembershipFactory(user=manager, organization=org, role=Membership.Role.MANAGER)
    client = Client(headers={"accept-language": "zh-hans"})
    client.force_login(manager)
    return org, client


def subscribers():
    SubscriptionFactory(email="en@example.org", language="en", notice_categories=["works"])
    SubscriptionFactory(email="zh@example.org", language="zh-hans", notice_categories=["works", "policy"])
    SubscriptionFactory(email="ja@example.org", language="ja", notice_categories=["works"])
    SubscriptionFactory(email="policy@example.org", language="en", notice_categories=["policy"], bulletin=False)
    SubscriptionFactory(email="later@example.org", language="en", confirmed_at=None)


def test_a_notice_from_the_desk_reaches_each_subscriber_once_in_their_language(
    office, django_capture_on_commit_callbacks
):
    org, client = office
    subscribers()
    body = {
        "organization": org.pk,
        "category": "works",
        "title_zh-hans": "解放路夜间施工",
        "title_en": "Night works on Jiefang Road",
        "title_ja": "",
        "body_zh-hans": "3月1日至15日夜间封闭。",
        "body_en": "Closed at night from 1 to 15 March.",
        "body_ja": "",
    }
    assert client.post("/organizer/notices/new/", body).status_code == 302
    notice = Notice.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(f"/organizer/notices/{notice.pk}/publish/").status_code == 302
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/organizer/notices/{notice.pk}/publish/")  # a second click sends nothing

    by_address = {}
    for message in mail.outbox:
        by_address.setdefault(message.to[0], []).append(message)
    assert {address: len(copies) for address, copies in by_address.items()} == {
        "en@example.org": 1,
        "zh@example.org": 1,
        "ja@example.org": 1,
    }
    assert "Night works on Jiefang Road" in by_address["en@example.org"][0].subject
    assert "解放路夜间施工" in by_address["zh@example.org"][0].subject
    ja = by_address["ja@example.org"][0]
    assert "解放路夜间施工" in ja.subject and "3月1日至15日夜间封闭" in ja.body  # the default language's text
    assert "日本語" in ja.body  # …with one line, in Japanese, saying it is not yet in Japanese
    for (copy,) in by_address.values():
        headers = email.message_from_bytes(copy.message().as_bytes(), policy=email.policy.default)
        assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert "/subscribe/unsubscribe/" in str(headers["List-Unsubscribe"])

    listing = client.get("/organizer/notices/").content.decode()
    assert "已发送 3 份" in listing


def test_a_bulletin_sent_from_the_desk_is_marked_sent_when_its_list_has_gone_out(
    office, django_capture_on_commit_callbacks
):
    org, client = office
    subscribers()
    EventFactory(organization=org, title={"en": "Tea", "zh-hans": "品茶", "ja": "お茶"})
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post("/organizer/bulletin/send/", {"organization": "fao"}).status_code == 302
    bulletin = Bulletin.objects.get()
    assert bulletin.status == Bulletin.Status.SENT
    recipients = sorted(message.to[0] for message in mail.outbox)
    assert recipients == ["en@example.org", "ja@example.org", "zh@example.org"]  # bulletin=True, confirmed
    page = client.get("/organizer/bulletin/?organization=fao").content.decode()
    assert "已发送" in page
