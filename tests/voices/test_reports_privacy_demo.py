"""Voices beyond their own screens: the organization report and its API, a resident's data
export and erasure, and the demo data set."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.utils import timezone
from rest_framework.test import APIClient

from audit.models import AuditAction, AuditEntry
from privacy import services as privacy
from registrations.models import Registration
from tests.factories import EventFactory, RegistrationFactory
from tests.organizer.helpers import desk_client
from tests.voices.helpers import make_comment, voices_world
from voices.models import Comment

pytestmark = pytest.mark.django_db


@pytest.fixture
def w():
    w = voices_world()
    now = timezone.now()
    for hours, topic in ((3, "housing"), (5, "housing"), (10, "health")):
        comment = make_comment(w.org, topic=topic, status=Comment.Status.ANSWERED)
        Comment.objects.filter(pk=comment.pk).update(
            created_at=now - dt.timedelta(days=2), first_answered_at=now - dt.timedelta(days=2, hours=-hours)
        )
    make_comment(w.org, topic="health")
    make_comment(w.org2, topic="visas")
    return w


def test_the_organization_report_api_counts_topics_and_hours_to_first_answer(w):
    client = APIClient()
    client.force_authenticate(w.manager)
    response = client.get(f"/api/v1/reports/organizations/{w.org.slug}/voices/")
    assert response.status_code == 200
    data = response.json()
    assert (data["received"], data["answered"], data["open"]) == (4, 3, 1)
    assert [(t["topic"], t["received"], t["answered"]) for t in data["topics"]] == [("housing", 2, 2), ("health", 2, 1)]
    assert (data["median_hours_to_answer"], data["mean_hours_to_answer"]) == (5.0, 6.0)
    other = APIClient()
    other.force_authenticate(w.other)
    assert other.get(f"/api/v1/reports/organizations/{w.org.slug}/voices/").status_code == 404
    early = client.get(f"/api/v1/reports/organizations/{w.org.slug}/voices/?from=2020-01-01&to=2020-12-31").json()
    assert early["received"] == 0 and early["median_hours_to_answer"] is None


def test_the_organization_report_page_shows_the_comments_section_translated(w):
    body = desk_client(w.manager, language="ja").get(f"/organizer/reports/organizations/{w.org.slug}/").content.decode()
    assert "ご意見・ご要望" in body and "初回回答までの時間（中央値）" in body and "5.0時間" in body
    assert "住まい" in body and "医療" in body


def confirmed_registration(email: str) -> Registration:
    registration = RegistrationFactory(event=EventFactory(), email=email)
    Registration.objects.filter(pk=registration.pk).update(email_confirmed_at=timezone.now())
    registration.refresh_from_db()
    return registration


def test_export_and_erasure_include_the_comments_of_a_confirmed_address(w):
    registration = confirmed_registration("resident@example.org")
    comment = make_comment(w.org, email="resident@example.org", text="My own question about schools nearby.")
    make_comment(w.org, email="someone.else@example.org", text="A stranger's question.")
    exported = privacy.registration_export(registration_id=registration.pk)["comments"]
    assert [(c["id"], c["text"], c["email"]) for c in exported] == [
        (comment.pk, "My own question about schools nearby.", "resident@example.org")
    ]
    privacy.registration_erase(registration_id=registration.pk)
    comment.refresh_from_db()
    assert (comment.email, comment.text) == ("", "")
    assert Comment.objects.filter(text="A stranger's question.").exists()


def test_an_unconfirmed_address_reaches_no_comments(w):
    registration = RegistrationFactory(event=EventFactory(), email="victim@example.org")
    comment = make_comment(w.org, email="victim@example.org", text="The victim's own words, not for others.")
    exported = privacy.registration_export(registration_id=registration.pk)["comments"]
    assert isinstance(exported, str) and "victim's own words" not in exported
    privacy.registration_erase(registration_id=registration.pk)
    comment.refresh_from_db()
    assert comment.email == "victim@example.org" and comment.text.startswith("The victim's")


def test_the_demo_has_three_comments_one_answered_and_published():
    call_command("demo_data", stdout=io.StringIO())
    comments = list(Comment.objects.order_by("id"))
    assert [c.language for c in comments] == ["zh-hans", "en", "ja"]
    published = [c for c in comments if c.published]
    assert len(published) == 1 and published[0].reply and published[0].status == Comment.Status.ANSWERED
    assert comments[1].assignee is not None and comments[1].notes.count() == 1
    # Through the desk's use cases, as a person would: answer, publish, assign, note, each audited.
    actions = set(AuditEntry.objects.filter(target_type="comment").values_list("action", flat=True))
    assert actions == {
        AuditAction.VOICE_REPLY,
        AuditAction.VOICE_PUBLISH,
        AuditAction.VOICE_ASSIGN,
        AuditAction.VOICE_NOTE,
    }
