"""The voices use cases: receipts and answers reach the resident in their language, the status
rules, assignment within the organization, publication only with consent, erasure."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone

from audit.models import AuditAction, AuditEntry
from common.exceptions import Forbidden, InvalidInput, InvalidTransition, NotFound
from notifications.models import Notification
from tests.voices.helpers import make_comment, voices_world
from voices import selectors, services
from voices.models import Comment, Note

pytestmark = pytest.mark.django_db
Status = Comment.Status


@pytest.fixture
def w():
    return voices_world()


def create(w, **fields) -> Comment:
    values = {
        "organization_id": w.org.pk,
        "topic": "housing",
        "kind": "question",
        "text": "我刚搬家，请问在哪里办理新地址登记？",
        "language": "zh-hans",
        "email": " Wang.Resident@Example.org ",
        "publish_consent": True,
        **fields,
    }
    return services.comment_create(**values)


def test_a_comment_with_an_email_gets_a_receipt_with_its_private_link_in_its_language(
    w, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        comment = create(w)
    assert comment.email == "wang.resident@example.org"
    assert comment.status == Status.NEW
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["wang.resident@example.org"]
    assert message.extra_headers["Content-Language"] == "zh-hans"
    assert "外事办公室" in message.subject
    assert "我们已收到您的留言" in message.subject
    assert f"/voices/mine/{comment.token}/?lang=zh-hans" in message.body
    assert comment.text in message.body


def test_without_an_email_nothing_is_sent(w, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        comment = create(w, email="")
    assert comment.pk and mail.outbox == []
    assert not Notification.objects.filter(comment=comment).exists()


def test_text_length_topic_and_office_are_checked():
    with pytest.raises(InvalidInput) as caught:
        services.comment_create(organization_id=None, topic="gossip", kind="rant", text="short", language="en")
    assert set(caught.value.fields) == {"organization", "topic", "kind", "text"}
    org = voices_world().org
    with pytest.raises(InvalidInput) as caught:
        services.comment_create(organization_id=org.pk, topic="housing", kind="demand", text="x" * 4001, language="en")
    assert set(caught.value.fields) == {"text"}
    assert not Comment.objects.exists()


@pytest.mark.parametrize(
    ("language", "reply", "subject_part", "body_part"),
    [
        ("zh-hans", "您可以在所在街道的派出所办理。", "我们对您留言的答复", "已答复您的留言"),
        ("ja", "お住まいの地区の派出所で手続きできます。", "お問い合わせへの回答", "お問い合わせに回答しました"),
        ("en", "At the police station of your district.", "Our answer to your message", "has answered your message"),
    ],
)
def test_the_reply_reaches_the_resident_in_the_language_it_is_written_in(
    w, django_capture_on_commit_callbacks, language, reply, subject_part, body_part
):
    comment = make_comment(w.org, email="resident@example.org", language=language)
    with django_capture_on_commit_callbacks(execute=True):
        services.comment_reply_send(comment_id=comment.pk, user=w.manager, text=reply, language=language)
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["resident@example.org"]
    assert message.extra_headers["Content-Language"] == language
    assert subject_part in message.subject
    assert body_part in message.body
    assert reply in message.body
    html = message.alternatives[0][0]
    assert f'lang="{language}"' in html and reply in html
    comment.refresh_from_db()
    assert comment.status == Status.ANSWERED
    assert comment.reply_language == language
    assert comment.replied_by == w.manager
    assert Notification.objects.get(comment=comment).status == Notification.Status.SENT


def test_a_second_answer_is_a_second_email_and_keeps_the_first_answer_time(w, django_capture_on_commit_callbacks):
    comment = make_comment(w.org, email="resident@example.org")
    first = timezone.now() - dt.timedelta(hours=5)
    with django_capture_on_commit_callbacks(execute=True):
        services.comment_reply_send(comment_id=comment.pk, user=w.manager, text="First.", language="en", now=first)
        services.comment_reply_send(comment_id=comment.pk, user=w.owner, text="Corrected.", language="en")
    comment.refresh_from_db()
    assert comment.first_answered_at == first
    assert comment.reply == "Corrected." and comment.replied_by == w.owner
    assert [m.body.count("Corrected.") > 0 for m in mail.outbox] == [False, True]


def test_the_status_moves_new_in_progress_answered_closed_and_back(w):
    comment = make_comment(w.org)
    assert services.comment_set_status(comment_id=comment.pk, user=w.manager, status=Status.IN_PROGRESS).status == (
        Status.IN_PROGRESS
    )
    with pytest.raises(InvalidTransition):
        services.comment_set_status(comment_id=comment.pk, user=w.manager, status=Status.ANSWERED)
    services.comment_reply_send(comment_id=comment.pk, user=w.manager, text="Here is how.", language="en")
    assert services.comment_set_status(comment_id=comment.pk, user=w.manager, status=Status.CLOSED).status == (
        Status.CLOSED
    )
    with pytest.raises(InvalidTransition):
        services.comment_set_status(comment_id=comment.pk, user=w.manager, status=Status.NEW)
    with pytest.raises(InvalidTransition):
        services.comment_set_status(comment_id=comment.pk, user=w.manager, status="archived")
    reopened = services.comment_set_status(comment_id=comment.pk, user=w.manager, status=Status.IN_PROGRESS)
    assert reopened.status == Status.IN_PROGRESS
    changes = [e.details["status"] for e in AuditEntry.objects.filter(action=AuditAction.VOICE_STATUS).order_by("id")]
    assert changes == [["new", "in_progress"], ["answered", "closed"], ["closed", "in_progress"]]


def test_assignment_only_to_owners_and_managers_of_the_comments_organization(w):
    comment = make_comment(w.org)
    for stranger in (w.other, w.volunteer):
        with pytest.raises(InvalidInput) as caught:
            services.comment_assign(comment_id=comment.pk, user=w.owner, assignee_id=stranger.pk)
        assert "assignee" in caught.value.fields
    comment.refresh_from_db()
    assert comment.assignee is None and comment.status == Status.NEW
    services.comment_assign(comment_id=comment.pk, user=w.owner, assignee_id=w.manager.pk)
    comment.refresh_from_db()
    assert comment.assignee == w.manager
    assert comment.status == Status.IN_PROGRESS  # taken up
    services.comment_assign(comment_id=comment.pk, user=w.owner, assignee_id=None)
    comment.refresh_from_db()
    assert comment.assignee is None
    assert AuditEntry.objects.filter(action=AuditAction.VOICE_ASSIGN).count() == 2


def test_another_organizations_manager_and_a_volunteer_find_no_such_comment(w):
    comment = make_comment(w.org, email="resident@example.org")
    for user in (w.other, w.volunteer):
        with pytest.raises(NotFound):
            services.comment_reply_send(comment_id=comment.pk, user=user, text="Hijacked.", language="en")
        with pytest.raises(NotFound):
            services.note_add(comment_id=comment.pk, user=user, text="Hi")
        with pytest.raises(NotFound):
            services.comment_set_status(comment_id=comment.pk, user=user, status=Status.CLOSED)
    comment.refresh_from_db()
    assert comment.reply == "" and comment.status == Status.NEW
    assert not Note.objects.exists() and not AuditEntry.objects.exists()


def test_publication_needs_the_writers_consent_and_an_answer(w):
    without = make_comment(w.org, publish_consent=False, reply="Answered.")
    with pytest.raises(Forbidden):
        services.comment_publish(comment_id=without.pk, user=w.manager, published=True)
    unanswered = make_comment(w.org, publish_consent=True)
    with pytest.raises(InvalidTransition):
        services.comment_publish(comment_id=unanswered.pk, user=w.manager, published=True)
    services.comment_reply_send(comment_id=unanswered.pk, user=w.manager, text="Answered.", language="en")
    published = services.comment_publish(comment_id=unanswered.pk, user=w.manager, published=True)
    assert published.published and published.published_at is not None
    assert list(selectors.published_comments()) == [published]
    services.comment_publish(comment_id=unanswered.pk, user=w.manager, published=False)
    assert list(selectors.published_comments()) == []
    actions = list(AuditEntry.objects.order_by("id").values_list("action", flat=True))
    assert actions == [AuditAction.VOICE_REPLY, AuditAction.VOICE_PUBLISH, AuditAction.VOICE_UNPUBLISH]


def test_notes_are_the_teams_and_audited_without_their_text(w):
    comment = make_comment(w.org)
    note = services.note_add(comment_id=comment.pk, user=w.manager, text="Ask the housing bureau.")
    assert note.author == w.manager and list(comment.notes.all()) == [note]
    entry = AuditEntry.objects.get(action=AuditAction.VOICE_NOTE)
    assert "housing bureau" not in str(entry.details) and entry.target_label == f"#{comment.pk} · housing"
    with pytest.raises(InvalidInput):
        services.note_add(comment_id=comment.pk, user=w.manager, text="   ")


def test_published_between_gives_the_bulletin_answered_public_comments_of_the_week(w):
    start = timezone.now() - dt.timedelta(days=7)
    end = timezone.now() + dt.timedelta(minutes=1)
    inside = make_comment(w.org, publish_consent=True, email="private@example.org")
    services.comment_reply_send(comment_id=inside.pk, user=w.manager, text="Answer.", language="en")
    services.comment_publish(comment_id=inside.pk, user=w.manager, published=True)
    make_comment(w.org, publish_consent=True)  # not answered, not published
    other = make_comment(w.org2, publish_consent=True, reply="Elsewhere.", status=Status.ANSWERED)
    Comment.objects.filter(pk=other.pk).update(published=True, published_at=timezone.now())
    before = make_comment(w.org, publish_consent=True, reply="Old.", status=Status.CLOSED)
    Comment.objects.filter(pk=before.pk).update(published=True, published_at=start - dt.timedelta(days=1))
    found = list(selectors.published_between(w.org, start, end))
    assert [c.pk for c in found] == [inside.pk]
    assert found[0].reply == "Answer."


def test_the_report_counts_topics_and_the_time_to_first_answer(w):
    now = timezone.now()
    for hours, topic in ((2, "housing"), (4, "housing"), (12, "visas")):
        comment = make_comment(w.org, topic=topic, status=Status.ANSWERED)
        Comment.objects.filter(pk=comment.pk).update(
            created_at=now - dt.timedelta(days=1),
            first_answered_at=now - dt.timedelta(days=1) + dt.timedelta(hours=hours),
        )
    make_comment(w.org, topic="visas")  # still open
    make_comment(w.org2, topic="health")  # another office
    report = selectors.voices_report(
        organization=w.org, start=now - dt.timedelta(days=30), end=now + dt.timedelta(days=1)
    )
    assert report["received"] == 4 and report["answered"] == 3 and report["open"] == 1
    assert [(t.topic, t.received, t.answered) for t in report["topics"]] == [("housing", 2, 2), ("visas", 2, 1)]
    assert report["median_hours_to_answer"] == 4.0
    assert report["mean_hours_to_answer"] == 6.0


def test_erasing_an_address_removes_it_and_what_it_wrote_everywhere(w, django_capture_on_commit_callbacks):
    comment = make_comment(w.org, email="resident@example.org", publish_consent=True)
    services.comment_reply_send(comment_id=comment.pk, user=w.manager, text="Answer.", language="en")
    services.comment_publish(comment_id=comment.pk, user=w.manager, published=True)
    services.note_add(comment_id=comment.pk, user=w.manager, text="The resident lives at No. 5.")
    assert services.comments_erase_for_email(email="Resident@example.org") == 1
    comment.refresh_from_db()
    assert (comment.email, comment.text, comment.reply, comment.published) == ("", "", "", False)
    assert comment.topic == "housing"  # the reports still count it
    assert Note.objects.get().text == ""
    row = Notification.objects.get(comment=comment)
    assert row.recipient != "resident@example.org" and row.params == {} and row.status == Notification.Status.SKIPPED
