"""The desk's inbox and comment page: own organization only, filters and counts, the answer
with its preview and its email in the resident's language, publication, the audit trail."""

from __future__ import annotations

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from audit.models import AuditAction, AuditEntry
from tests.organizer.helpers import desk_client
from tests.voices.helpers import make_comment, voices_world
from voices.models import Comment

pytestmark = pytest.mark.django_db
Status = Comment.Status


@pytest.fixture
def w():
    w = voices_world()
    w.mine = make_comment(
        w.org, text="我们小区的垃圾分类说明只有中文，能提供英文版吗？", language="zh-hans", email="zhang@example.org"
    )
    w.done = make_comment(w.org, topic="transport", status=Status.CLOSED, text="The new bus line is great, thank you!")
    w.theirs = make_comment(w.org2, text="Chess club question from someone else entirely.")
    return w


def test_the_inbox_lists_the_organizations_comments_with_counts_and_filters(w):
    client = desk_client(w.manager, language="zh-hans")
    page = client.get("/organizer/voices/")
    body = page.content.decode()
    assert page.status_code == 200
    assert "意见和诉求" in body and f"#{w.mine.pk}" in body and f"#{w.done.pk}" in body
    assert "Chess club question" not in body
    assert '全部 <span class="tag">2</span>' in body and '已关闭 <span class="tag">1</span>' in body
    closed = client.get("/organizer/voices/?status=closed").content.decode()
    assert f"#{w.done.pk}" in closed and f"#{w.mine.pk}" not in closed
    housing = client.get("/organizer/voices/?topic=housing").content.decode()
    assert f"#{w.mine.pk}" in housing and f"#{w.done.pk}" not in housing
    nobody = client.get("/organizer/voices/?assignee=none").content.decode()
    assert f"#{w.mine.pk}" in nobody
    mine = client.get(f"/organizer/voices/?assignee={w.manager.pk}").content.decode()
    assert f"#{w.mine.pk}" not in mine


def test_another_organizations_manager_gets_404_and_a_volunteer_403(w):
    other = desk_client(w.other)
    assert other.get(f"/organizer/voices/{w.mine.pk}/").status_code == 404
    for action, data in (
        ("reply", {"reply": "Hijack", "language": "en", "send": "1"}),
        ("status", {"status": "closed"}),
        ("assign", {"assignee": str(w.other.pk)}),
        ("note", {"note": "x"}),
        ("publish", {"published": "1"}),
    ):
        assert other.post(f"/organizer/voices/{w.mine.pk}/{action}/", data).status_code == 404
    assert desk_client(w.volunteer).get("/organizer/voices/").status_code == 403
    assert desk_client(w.volunteer).get(f"/organizer/voices/{w.mine.pk}/").status_code == 403
    assert desk_client().get("/organizer/voices/").status_code == 302
    w.mine.refresh_from_db()
    assert w.mine.status == Status.NEW and w.mine.reply == "" and not AuditEntry.objects.exists()
    assert f"#{w.mine.pk}" not in other.get("/organizer/voices/").content.decode()


def test_preview_then_send_the_answer_in_the_residents_language(w, django_capture_on_commit_callbacks):
    client = desk_client(w.owner, language="en")
    url = f"/organizer/voices/{w.mine.pk}/"
    detail = client.get(url).content.decode()
    assert 'value="zh-hans" selected' in detail  # the resident's language by default
    answer = "已提供英文版说明，请到物业服务中心领取。"
    preview = client.post(url + "reply/", {"reply": answer, "language": "zh-hans", "preview": "1"})
    body = preview.content.decode()
    assert preview.status_code == 200 and "我们对您留言的答复" in body and answer in body
    assert mail.outbox == []
    w.mine.refresh_from_db()
    assert w.mine.reply == ""  # a preview changes nothing
    with django_capture_on_commit_callbacks(execute=True):
        sent = client.post(url + "reply/", {"reply": answer, "language": "zh-hans", "send": "1"})
    assert sent.status_code == 302 and sent["Location"] == url
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["zhang@example.org"] and "已答复您的留言" in message.body and answer in message.body
    w.mine.refresh_from_db()
    assert w.mine.status == Status.ANSWERED and w.mine.first_answered_at is not None
    entry = AuditEntry.objects.get(action=AuditAction.VOICE_REPLY)
    assert entry.actor == w.owner and entry.organization_id == w.org.pk and "zhang" not in str(entry.details)


def test_status_assignment_notes_and_publication_from_the_desk(w):
    client = desk_client(w.manager)
    url = f"/organizer/voices/{w.mine.pk}/"
    assert client.post(url + "assign/", {"assignee": str(w.other.pk)}).status_code == 302
    w.mine.refresh_from_db()
    assert w.mine.assignee is None  # another organization's manager: refused
    client.post(url + "assign/", {"assignee": str(w.owner.pk)})
    client.post(url + "note/", {"note": "Ask the property office for the English leaflet."})
    client.post(url + "status/", {"status": "answered"})  # refused: only an answer does that
    w.mine.refresh_from_db()
    assert (w.mine.assignee, w.mine.status) == (w.owner, Status.IN_PROGRESS)
    detail = client.get(url).content.decode()
    assert "Ask the property office for the English leaflet." in detail
    assert "They did not agree to publication." in detail
    client.post(url + "publish/", {"published": "1"})
    w.mine.refresh_from_db()
    assert not w.mine.published
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert actions == {AuditAction.VOICE_ASSIGN, AuditAction.VOICE_NOTE}


def test_the_desk_nav_links_the_inbox(w):
    body = desk_client(w.manager, language="ja").get("/organizer/").content.decode()
    assert 'href="/organizer/voices/"' in body and "コメント" in body


def test_the_inbox_costs_the_same_queries_with_more_comments(w):
    client = desk_client(w.owner)
    client.get("/organizer/voices/")  # warm the session
    with CaptureQueriesContext(connection) as few:
        client.get("/organizer/voices/")
    for number in range(6):
        comment = make_comment(w.org, text=f"Another resident's question, number {number}.")
        w.owner.assigned_comments.add(comment)
    with CaptureQueriesContext(connection) as many:
        body = client.get("/organizer/voices/").content.decode()
    assert body.count('class="desk-row"') == 8
    assert len(many) == len(few)
