"""The residents' side: the /voices/ form (honeypot, rate limits, length limits), the private
page, the published questions and answers (never a name or an email), and the API."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import Client
from rest_framework.test import APIClient

from tests.voices.helpers import make_comment, voices_world
from voices import services
from voices.models import Comment

pytestmark = pytest.mark.django_db
CJK = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")


@pytest.fixture
def w():
    return voices_world()


def form(w, **fields) -> dict:
    return {
        "organization": w.org.slug,
        "kind": "question",
        "topic": "visas",
        "text": "How long does it take to renew a residence permit for work?",
        "language": "en",
        "email": "resident@example.org",
        "publish_consent": "on",
        "website": "",
        **fields,
    }


def test_the_page_shows_the_form_in_the_readers_language(w):
    for language, title, topic in (
        ("zh-hans", "意见、诉求和咨询", "签证和居留许可"),
        ("ja", "ご意見・ご要望・ご質問", "ビザ・在留許可"),
    ):
        response = Client(headers={"accept-language": language}).get("/voices/")
        page = response.content.decode()
        assert response.status_code == 200
        assert title in page and topic in page
        assert 'name="website"' in page and "voice-hp" in page  # the honeypot, off screen


def test_posting_the_form_keeps_the_comment_and_leads_to_its_private_page(w, django_capture_on_commit_callbacks):
    client = Client(headers={"accept-language": "ja"})
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/voices/", form(w, language="ja", text="在留カードの更新はどこでできますか？教えてください。")
        )
    comment = Comment.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/voices/mine/{comment.token}/?sent=1"
    assert (comment.language, comment.topic, comment.publish_consent) == ("ja", "visas", True)
    assert mail.outbox[0].to == ["resident@example.org"] and "お問い合わせを受け付けました" in mail.outbox[0].subject
    page = client.get(response["Location"])
    body = page.content.decode()
    assert page.status_code == 200 and page["Cache-Control"] == "private, no-store"
    assert "在留カードの更新" in body and "新規" in body and "回答をメールでお知らせします" in body


def test_the_private_page_shows_the_answer_and_a_wrong_token_is_404(w):
    comment = make_comment(w.org, language="zh-hans", text="请问社区有中文以外的医疗咨询吗？谢谢。")
    services.comment_reply_send(
        comment_id=comment.pk, user=w.manager, text="每周三下午有英语咨询。", language="zh-hans"
    )
    client = Client(headers={"accept-language": "zh-hans"})
    body = client.get(f"/voices/mine/{comment.token}/").content.decode()
    assert "每周三下午有英语咨询。" in body and "已答复" in body
    assert client.get("/voices/mine/guessed-token/").status_code == 404


def test_the_honeypot_thanks_the_robot_and_keeps_nothing(w):
    response = Client().post("/voices/", form(w, website="http://spam.example"))
    assert response.status_code == 302 and "sent=1" in response["Location"]
    assert not Comment.objects.exists() and mail.outbox == []


def test_length_limits_answer_400_with_the_message_in_the_readers_language(w):
    client = Client(headers={"accept-language": "zh-hans"})
    short = client.post("/voices/", form(w, text="太短"))
    assert short.status_code == 400 and "error-summary" in short.content.decode()
    long = client.post("/voices/", form(w, text="字" * 4001))
    assert long.status_code == 400
    assert not Comment.objects.exists()


def test_rate_limit_per_client_address(w, settings):
    settings.THROTTLE_RATES = {**settings.THROTTLE_RATES, "voice_ip": "2/hour"}
    client = Client(REMOTE_ADDR="203.0.113.7")
    for number in range(2):
        assert client.post("/voices/", form(w, email=f"r{number}@example.org")).status_code == 302
    refused = client.post("/voices/", form(w, email="r3@example.org"))
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
    assert Comment.objects.count() == 2
    assert Client(REMOTE_ADDR="203.0.113.8").post("/voices/", form(w)).status_code == 302


def test_rate_limit_per_email_whatever_the_address(w, settings):
    settings.THROTTLE_RATES = {**settings.THROTTLE_RATES, "voice_email": "2/hour"}
    for number in range(2):
        response = Client(REMOTE_ADDR=f"198.51.100.{number}").post("/voices/", form(w, email="Target@Example.org"))
        assert response.status_code == 302
    refused = Client(REMOTE_ADDR="198.51.100.9").post("/voices/", form(w, email="target@example.org"))
    assert refused.status_code == 429
    api = APIClient(REMOTE_ADDR="198.51.100.10")
    assert api.post("/api/v1/comments/", api_body(w, email="target@example.org"), format="json").status_code == 429
    assert Comment.objects.count() == 2


def test_published_voices_carry_no_name_or_email(w):
    comment = make_comment(
        w.org, email="secret.writer@example.org", publish_consent=True, text="Can the library open on Sundays, please?"
    )
    services.comment_reply_send(comment_id=comment.pk, user=w.manager, text="From March, yes.", language="en")
    services.comment_publish(comment_id=comment.pk, user=w.manager, published=True)
    make_comment(w.org, email="hidden@example.org", publish_consent=True, text="An unanswered, unpublished note.")
    page = Client().get("/voices/").content.decode()
    api = APIClient().get("/api/v1/comments/").content.decode()
    for body in (page, api):
        assert "Can the library open on Sundays" in body and "From March, yes." in body
        assert "secret.writer" not in body and "example.org" not in body and "@" not in body.split("<main", 1)[-1]
        assert comment.token not in body
        assert w.manager.get_username() not in body  # not who answered either
        assert "An unanswered, unpublished note." not in body


def api_body(w, **fields) -> dict:
    return {
        "organization": w.org.slug,
        "topic": "transport",
        "kind": "demand",
        "text": "Please print the bus timetables in English as well.",
        "email": "",
        **fields,
    }


def test_the_api_takes_a_comment_and_answers_its_private_link(w):
    response = APIClient(headers={"accept-language": "ja"}).post("/api/v1/comments/", api_body(w), format="json")
    assert response.status_code == 201
    comment = Comment.objects.get()
    assert response.json() == {
        "id": comment.pk,
        "status": "new",
        "private_url": f"http://testserver/voices/mine/{comment.token}/",
    }
    assert comment.language == "ja"  # the request's language when none is given


@pytest.mark.parametrize("language", ["zh-hans", "ja"])
def test_the_api_answers_400_with_field_messages_in_the_callers_language(w, language):
    client = APIClient(headers={"accept-language": language})
    response = client.post("/api/v1/comments/", api_body(w, topic="gossip", text="短"), format="json")
    assert response.status_code == 400
    fields = response.json()["error"]["fields"]
    assert set(fields) == {"topic"} and CJK.search(fields["topic"][0])
    response = client.post("/api/v1/comments/", api_body(w, text="短い", organization="nowhere"), format="json")
    fields = response.json()["error"]["fields"]
    assert set(fields) == {"organization", "text"}
    assert all(CJK.search(message[0]) for message in fields.values())
    assert not Comment.objects.exists()


def test_the_published_list_costs_the_same_queries_however_long(w, django_assert_num_queries):
    for number in range(5):
        comment = make_comment(w.org if number % 2 else w.org2, publish_consent=True, text=f"Question number {number}?")
        services.comment_reply_send(
            comment_id=comment.pk, user=w.manager if number % 2 else w.other, text="Yes.", language="en"
        )
        services.comment_publish(comment_id=comment.pk, user=w.manager if number % 2 else w.other, published=True)
    client = APIClient()
    with django_assert_num_queries(2):  # the count and the page, organizations joined
        response = client.get("/api/v1/comments/")
    assert response.json()["count"] == 5
    with django_assert_num_queries(2):
        assert len(client.get(f"/api/v1/comments/?organization={w.org.slug}").json()["results"]) == 2


def test_the_writer_erases_their_message_from_its_private_page(w, django_capture_on_commit_callbacks):
    comment = make_comment(w.org, email="resident@example.org", publish_consent=True, text="A question I regret.")
    services.comment_reply_send(comment_id=comment.pk, user=w.manager, text="An answer.", language="en")
    services.comment_publish(comment_id=comment.pk, user=w.manager, published=True)
    client = Client(headers={"accept-language": "zh-hans"}, enforce_csrf_checks=True)
    page = client.get(f"/voices/mine/{comment.token}/")
    assert "删除我的留言" in page.content.decode()
    assert client.post(f"/voices/mine/{comment.token}/erase/").status_code == 403  # no CSRF token: refused
    token = page.cookies["csrftoken"].value
    erased = client.post(f"/voices/mine/{comment.token}/erase/", {"csrfmiddlewaretoken": token}, follow=True)
    body = erased.content.decode()
    assert "您的留言、邮箱和答复已删除。" in body and "A question I regret." not in body and "An answer." not in body
    comment.refresh_from_db()
    assert (comment.email, comment.text, comment.reply, comment.published) == ("", "", "", False)
    assert "A question I regret." not in Client().get("/voices/").content.decode()
    assert Client().post("/voices/mine/guessed-token/erase/").status_code == 404
