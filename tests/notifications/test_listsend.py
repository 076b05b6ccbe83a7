"""List sending and subscriptions: double opt-in, one-click unsubscribe, each reader in their
language and no one else, suppression after 5xx, a stale chunk resumed without doubles, erasure."""

from __future__ import annotations

import datetime as dt
import email
import email.policy

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from notifications import listsend, selectors, subscriptions
from notifications.models import ListChunk, ListDelivery, ListMessage, Notification, Subscription, Suppression
from tests.factories import NoticeFactory, OrganizationFactory, SubscriptionFactory

pytestmark = pytest.mark.django_db

RENDERED = {
    "en": {"subject": "Road works", "text": "Closed.\nUnsubscribe: [[unsubscribe_url]]\n", "html": ""},
    "zh-hans": {
        "subject": "道路施工",
        "text": "封闭。\n退订：[[unsubscribe_url]]\n偏好：[[preferences_url]]\n",
        "html": '<p>封闭。 <a href="[[unsubscribe_url]]">退订</a></p>',
    },
    "ja": {"subject": "道路工事", "text": "通行止め。\n配信停止: [[unsubscribe_url]]\n", "html": ""},
}


def parse(raw: bytes):
    return email.message_from_bytes(raw, policy=email.policy.default)


def post_notice(notice, capture, key: str | None = None) -> ListMessage:
    with capture(execute=True):
        message = listsend.post(
            organization=notice.organization,
            dedupe_key=key or f"notice:{notice.pk}",
            rendered=RENDERED,
            notice=notice,
        )
    message.refresh_from_db()
    return message


def test_double_opt_in_nothing_before_confirmation(client, django_capture_on_commit_callbacks):
    org = OrganizationFactory()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/subscribe/?lang=ja",
            {
                "email": "  Lin@Example.ORG ",
                "language": "ja",
                "all_organizations": "on",
                "bulletin": "on",
                "notice_categories": ["works"],
                "consent": "on",
            },
        )
    assert response.status_code == 200 and "lin@example.org" in response.content.decode()
    subscription = Subscription.objects.get()
    assert subscription.email == "lin@example.org" and subscription.confirmed_at is None
    assert len(subscription.token) >= 40 and "lin" not in subscription.token
    assert subscription.consent["subscription"]["version"] == subscriptions.SUBSCRIPTION_CONSENT_VERSION
    assert subscription.consent["subscription"]["language"] == "ja"
    # Exactly one email: the confirmation, in Japanese, with the link.
    assert [m.to for m in mail.outbox] == [["lin@example.org"]]
    confirmation = mail.outbox[0]
    assert confirmation.subject == "Huiguanの配信登録を確認してください"
    confirm_path = f"/subscribe/confirm/{subscription.token}/"
    assert confirm_path in confirmation.body

    # A notice posted before the link is opened reaches nobody.
    before = post_notice(NoticeFactory(organization=org), django_capture_on_commit_callbacks)
    assert before.recipient_count == 0 and len(mail.outbox) == 1

    # Asking again says the same and sends no second confirmation within the window.
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            "/subscribe/",
            {"email": "lin@example.org", "language": "ja", "notice_categories": ["works"], "consent": "on"},
        )
    assert len(mail.outbox) == 1

    response = client.get(confirm_path)
    assert response.status_code == 302 and response["Location"].endswith(f"/preferences/{subscription.token}/")
    subscription.refresh_from_db()
    assert subscription.confirmed_at is not None
    after = post_notice(NoticeFactory(organization=org), django_capture_on_commit_callbacks)
    assert after.recipient_count == 1 and mail.outbox[-1].subject == "道路工事"


def test_subscribe_page_defaults_to_the_page_language_and_never_tells_who_is_subscribed(
    client, django_capture_on_commit_callbacks
):
    SubscriptionFactory(email="known@example.org")
    page = client.get("/subscribe/?lang=zh-hans").content.decode()
    assert 'value="zh-hans" selected' in page or 'value="zh-hans" checked' in page
    with django_capture_on_commit_callbacks(execute=True):
        known = client.post("/subscribe/", {"email": "known@example.org", "language": "en", "consent": "on"})
        new = client.post("/subscribe/", {"email": "new@example.org", "language": "en", "consent": "on"})
    strip = lambda r, e: r.content.decode().replace(e, "")  # noqa: E731
    assert known.status_code == new.status_code == 200
    assert strip(known, "known@example.org").replace("csrfmiddlewaretoken", "").count("Check your inbox") == 1
    assert [m.to for m in mail.outbox] == [["new@example.org"]]  # the confirmed address is left alone
    missing = client.post("/subscribe/", {"email": "bad", "language": "en"})
    assert missing.status_code == 400


def test_one_post_to_the_list_unsubscribe_header_unsubscribes_without_csrf(django_capture_on_commit_callbacks):
    reader = SubscriptionFactory(language="zh-hans")
    post_notice(NoticeFactory(), django_capture_on_commit_callbacks)
    (copy,) = mail.outbox
    message = parse(copy.message().as_bytes())
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    url = str(message["List-Unsubscribe"]).strip().strip("<>")
    assert url == f"http://testserver/subscribe/unsubscribe/{reader.token}/" or url.endswith(
        f"/subscribe/unsubscribe/{reader.token}/"
    )
    assert url in copy.body and f"/subscribe/preferences/{reader.token}/" in copy.body
    path = "/" + url.split("://", 1)[1].split("/", 1)[1]
    mail_client = Client(enforce_csrf_checks=True)  # a mail provider: no cookie, no CSRF token
    # A GET (a link scanner) only asks.
    assert "<form" in mail_client.get(path).content.decode()
    assert Subscription.objects.get().unsubscribed_at is None
    response = mail_client.post(path, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200
    assert Subscription.objects.get().unsubscribed_at is not None
    again = post_notice(NoticeFactory(), django_capture_on_commit_callbacks)
    assert again.recipient_count == 0 and len(mail.outbox) == 1


def test_a_notice_reaches_each_subscriber_in_their_language_and_no_one_else(django_capture_on_commit_callbacks):
    org, other = OrganizationFactory(), OrganizationFactory()
    en = SubscriptionFactory(email="en@example.org", language="en")
    zh = SubscriptionFactory(email="zh@example.org", language="zh-hans", all_organizations=False)
    zh.organizations.set([org])
    ja = SubscriptionFactory(email="ja@example.org", language="ja", notice_categories=["works", "safety"])
    SubscriptionFactory(email="unconfirmed@example.org", confirmed_at=None)
    SubscriptionFactory(email="gone@example.org", unsubscribed_at=timezone.now())
    SubscriptionFactory(email="policy-only@example.org", notice_categories=["policy"])
    SubscriptionFactory(email="other-org@example.org", all_organizations=False).organizations.set([other])
    SubscriptionFactory(email="bounced@example.org")
    Suppression.objects.create(email="bounced@example.org", permanent_failures=3, suppressed_at=timezone.now())

    message = post_notice(NoticeFactory(organization=org, category="works"), django_capture_on_commit_callbacks)
    by_address = {m.to[0]: m for m in mail.outbox}
    assert set(by_address) == {"en@example.org", "zh@example.org", "ja@example.org"}
    assert by_address["en@example.org"].subject == "Road works"
    assert by_address["zh@example.org"].subject == "道路施工"
    assert by_address["ja@example.org"].subject == "道路工事"
    assert f"/subscribe/unsubscribe/{zh.token}/" in by_address["zh@example.org"].body
    assert f"/subscribe/preferences/{zh.token}/" in by_address["zh@example.org"].body
    assert f"/subscribe/unsubscribe/{ja.token}/" in by_address["ja@example.org"].body
    assert en.token not in by_address["ja@example.org"].body
    status = selectors.list_message_status(message_id=message.pk)
    assert status["status"] == "done" and status["recipients"] == 3 and status["sent"] == 3 and status["failed"] == 0
    # Posting the same key again sends nothing.
    post_notice(message.notice, django_capture_on_commit_callbacks)
    assert len(mail.outbox) == 3


def test_one_smtp_connection_per_chunk_and_bytes_filled_per_copy(
    smtp_sink, smtp_settings, settings, django_capture_on_commit_callbacks
):
    smtp_settings(smtp_sink.port)
    settings.LIST_CHUNK_SIZE = 4
    readers = [SubscriptionFactory(language=lang) for lang in ["en", "zh-hans", "ja"] * 3]
    message = post_notice(NoticeFactory(), django_capture_on_commit_callbacks)
    assert ListChunk.objects.filter(message=message).count() == 3
    received = [parse(raw) for raw in smtp_sink.messages]
    assert sorted(str(m["To"]) for m in received) == sorted(r.email for r in readers)
    tokens = {r.email: r for r in readers}
    for m in received:
        reader = tokens[str(m["To"])]
        assert m["Subject"] == RENDERED[reader.language]["subject"]
        assert (
            m["List-Unsubscribe"]
            == f"<{listsend._link('pages:subscription-unsubscribe').replace('TOKEN', reader.token)}>"
        )
        assert reader.token in m.get_body(("plain",)).get_content()
    assert len({m["Message-ID"] for m in received}) == 9
    assert selectors.list_message_status(message_id=message.pk)["sent"] == 9


def test_permanent_failures_suppress_the_address(
    smtp_sink, smtp_settings, settings, django_capture_on_commit_callbacks
):
    smtp_settings(smtp_sink.port)
    settings.LIST_SUPPRESS_AFTER = 2
    SubscriptionFactory(email="ok@example.org")
    SubscriptionFactory(email="bad@example.org")
    smtp_sink.reject_data = []
    for attempt in range(2):
        smtp_sink.messages.clear()
        # The server refuses the copy to bad@ (ordered by id: ok@ first, then bad@).
        smtp_sink.reject_data = [None, "550 5.1.1 No such mailbox"]
        original = smtp_sink.handle_DATA

        async def handle(server, session, envelope, original=original):
            if "bad@example.org" in envelope.rcpt_tos:
                return "550 5.1.1 No such mailbox"
            smtp_sink.messages.append(envelope.original_content)
            return "250 OK"

        smtp_sink.handle_DATA = handle
        message = post_notice(NoticeFactory(), django_capture_on_commit_callbacks, key=f"n{attempt}")
        smtp_sink.handle_DATA = original
        assert [str(parse(raw)["To"]) for raw in smtp_sink.messages] == ["ok@example.org"]
        failed = ListDelivery.objects.get(message=message, email="bad@example.org")
        assert failed.status == "failed" and "550" in failed.error
        status = selectors.list_message_status(message_id=message.pk)
        assert (status["sent"], status["failed"], status["status"]) == (1, 1, "done")
    suppression = Suppression.objects.get(email="bad@example.org")
    assert suppression.permanent_failures == 2 and suppression.suppressed_at is not None
    third = post_notice(NoticeFactory(), django_capture_on_commit_callbacks, key="n3")
    assert list(third.deliveries.values_list("email", flat=True)) == ["ok@example.org"]


def test_a_transient_failure_retries_the_chunk_with_backoff(
    smtp_sink, smtp_settings, django_capture_on_commit_callbacks
):
    smtp_settings(smtp_sink.port)
    SubscriptionFactory(email="a@example.org")
    smtp_sink.reject_data = ["451 4.3.0 Try again later"]
    message = post_notice(NoticeFactory(), django_capture_on_commit_callbacks)
    chunk = message.chunks.get()
    assert chunk.status == "pending" and chunk.attempts == 1 and chunk.next_attempt_at > timezone.now()
    assert smtp_sink.messages == []
    assert listsend.chunk_send(chunk_id=chunk.pk).status == "not_claimed"  # not due yet
    assert listsend.chunk_send(chunk_id=chunk.pk, now=chunk.next_attempt_at).status == "done"
    assert len(smtp_sink.messages) == 1


def test_a_stale_chunk_is_resumed_by_the_sweeper_and_sends_only_the_unsent(
    smtp_sink, smtp_settings, settings, django_capture_on_commit_callbacks
):
    smtp_settings(smtp_sink.port)
    readers = [SubscriptionFactory() for _ in range(6)]
    # The message is prepared, but the chunk's task is lost with its worker (broker outage at commit).
    with django_capture_on_commit_callbacks(execute=False):
        message = listsend.post(
            organization=NoticeFactory().organization, dedupe_key="k", rendered=RENDERED, notice=NoticeFactory()
        )
    listsend.list_prepare(message_id=message.pk)  # its on-commit queueing did not run either
    chunk = message.chunks.get()
    # A worker claimed it, sent the first two copies, then was killed.
    now = timezone.now()
    assert listsend.claim(chunk_id=chunk.pk, now=now) == 1
    first_two = list(chunk.deliveries.order_by("pk")[:2].values_list("pk", flat=True))
    ListDelivery.objects.filter(pk__in=first_two).update(status="sent", sent_at=now)
    # Within the lease nobody else may take it.
    assert listsend.claim(chunk_id=chunk.pk, now=now + dt.timedelta(seconds=5)) is None
    # The lease runs out (the worker is gone): beat's sweeper re-queues the chunk and it resumes.
    stale = timezone.now() - listsend.lease() - dt.timedelta(seconds=1)
    ListChunk.objects.filter(pk=chunk.pk).update(claimed_at=stale)
    assert listsend.list_sweep() == {"prepared": 0, "queued": 1}
    later = timezone.now()
    sent_to = sorted(str(parse(raw)["To"]) for raw in smtp_sink.messages)
    assert sent_to == sorted(r.email for r in readers[2:])
    assert ListDelivery.objects.filter(message=message, status="sent").count() == 6
    message.refresh_from_db()
    assert message.status == "done"
    # Run again: nothing more is sent.
    assert listsend.chunk_send(chunk_id=chunk.pk, now=later + dt.timedelta(hours=1)).status == "not_claimed"
    assert len(smtp_sink.messages) == 4


def test_erasure_removes_a_subscriber_everywhere(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        subscriptions.subscribe(email="erase@example.org", language="en")
    subscription = Subscription.objects.get()
    subscriptions.confirm(token=subscription.token)
    post_notice(NoticeFactory(), django_capture_on_commit_callbacks)
    Suppression.objects.create(email="erase@example.org", permanent_failures=1)
    data = client.get(f"/subscribe/preferences/{subscription.token}/data.json").json()
    assert data["subscription"]["email"] == "erase@example.org"
    assert data["subscription"]["consent"]["subscription"]["version"] == subscriptions.SUBSCRIPTION_CONSENT_VERSION
    assert len(data["subscription"]["emails"]) == 2  # the confirmation and the notice
    erase_url = f"/subscribe/preferences/{subscription.token}/erase/"
    assert client.get(erase_url).status_code == 200
    assert client.post(erase_url).status_code == 302
    assert not Subscription.objects.exists()
    assert not ListDelivery.objects.filter(email="erase@example.org").exists()
    assert not Notification.objects.filter(recipient="erase@example.org").exists()
    assert not Suppression.objects.filter(email="erase@example.org").exists()
    assert client.get(f"/subscribe/preferences/{subscription.token}/").status_code == 404


def test_the_api_answers_the_same_for_known_and_new_addresses_and_400_names_the_fields(
    api_client, django_capture_on_commit_callbacks
):
    SubscriptionFactory(email="known@example.org")
    OrganizationFactory(slug="riverside")
    with django_capture_on_commit_callbacks(execute=True):
        known = api_client.post(
            "/api/v1/subscriptions/", {"email": "KNOWN@example.org", "consent": True}, format="json"
        )
        new = api_client.post(
            "/api/v1/subscriptions/",
            {"email": "New@Example.org", "language": "zh-hans", "organizations": ["riverside"], "consent": True},
            format="json",
        )
    assert known.status_code == new.status_code == 202 and known.json() == new.json()
    assert [m.to for m in mail.outbox] == [["new@example.org"]]
    created = Subscription.objects.get(email="new@example.org")
    assert created.language == "zh-hans" and not created.all_organizations
    assert list(created.organizations.values_list("slug", flat=True)) == ["riverside"]
    bad = api_client.post(
        "/api/v1/subscriptions/",
        {"email": "nope", "consent": False, "organizations": ["missing"], "notice_categories": ["gossip"]},
        format="json",
    )
    assert bad.status_code == 400
    body = bad.json()
    fields = body["error"]["fields"]
    assert {"email", "consent", "organizations", "notice_categories"} <= set(fields), body


def test_the_registration_form_offers_the_subscription_unticked(client, django_capture_on_commit_callbacks):
    from tests.factories import EventFactory

    event = EventFactory()
    page = client.get(f"/events/{event.slug}/").content.decode()
    assert 'name="subscribe"' in page and 'name="subscribe" checked' not in page
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            f"/events/{event.slug}/register/",
            {"name": "Lin Mei", "email": "lin@example.org", "privacy": "on", "subscribe": "on"},
        )
    subscription = Subscription.objects.get(email="lin@example.org")
    assert subscription.confirmed_at is None  # still double opt-in
    assert Notification.objects.filter(subscription=subscription, kind="subscription_confirm").count() == 1


def test_the_rate_and_the_sliding_window_cap(smtp_sink, smtp_settings, settings, django_capture_on_commit_callbacks):
    import time

    smtp_settings(smtp_sink.port)
    settings.LIST_SEND_RATE = 20  # messages per second
    for _ in range(6):
        SubscriptionFactory()
    started = time.monotonic()
    post_notice(NoticeFactory(), django_capture_on_commit_callbacks, key="paced")
    assert time.monotonic() - started >= 5 / 20
    assert len(smtp_sink.messages) == 6

    settings.LIST_SEND_RATE = 0
    settings.LIST_SEND_WINDOW_CAP = 8  # 6 already sent in this window: room for 2
    settings.LIST_SEND_WINDOW_SECONDS = 600
    smtp_sink.messages.clear()
    message = post_notice(NoticeFactory(), django_capture_on_commit_callbacks, key="capped")
    assert len(smtp_sink.messages) == 2
    chunk = message.chunks.get()
    assert chunk.status == "pending" and chunk.attempts == 0
    assert chunk.next_attempt_at > timezone.now() + dt.timedelta(seconds=590)
    assert selectors.list_message_status(message_id=message.pk)["pending"] == 4
    settings.LIST_SEND_WINDOW_CAP = 0
    assert listsend.chunk_send(chunk_id=chunk.pk, now=chunk.next_attempt_at).status == "done"
    assert len(smtp_sink.messages) == 6
