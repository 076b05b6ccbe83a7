"""Feedback (attendee, by manage token) and announcements (organizer, token auth) over HTTP."""

import pytest
from django.core import mail
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from notifications.models import Announcement, Feedback, Notification
from registrations.models import Registration
from tests.factories import EventFactory, RegistrationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def registration(db):
    return RegistrationFactory(language="ja")


def feedback_url(registration, token=None):
    return f"/api/v1/registrations/{registration.pk}/feedback/?token={token or registration.manage_token}"


# --- feedback API ------------------------------------------------------------------------------------


def test_feedback_is_stored_once_per_registration_and_can_be_changed(api_client, registration):
    response = api_client.post(feedback_url(registration), {"rating": 4, "comment": "楽しかった！"}, format="json")
    assert response.status_code == 201
    assert response.json()["rating"] == 4 and response.json()["language"] == "en"  # Accept-Language default
    response = api_client.post(
        feedback_url(registration), {"rating": 5, "comment": "", "language": "ja"}, format="json"
    )
    assert response.status_code == 200 and response.json()["rating"] == 5
    feedback = Feedback.objects.get()
    assert (feedback.registration_id, feedback.rating, feedback.comment, feedback.language) == (
        registration.pk,
        5,
        "",
        "ja",
    )
    assert api_client.get(feedback_url(registration)).json()["rating"] == 5


def test_feedback_token_in_a_header_works_too(api_client, registration):
    response = api_client.post(
        f"/api/v1/registrations/{registration.pk}/feedback/",
        {"rating": 3},
        format="json",
        HTTP_X_MANAGE_TOKEN=registration.manage_token,
    )
    assert response.status_code == 201


@pytest.mark.parametrize(
    ("body", "field"),
    [({"rating": 0}, "rating"), ({"rating": 6}, "rating"), ({}, "rating"), ({"rating": "great"}, "rating")],
)
def test_feedback_bad_input(api_client, registration, body, field):
    response = api_client.post(feedback_url(registration), body, format="json")
    assert response.status_code == 400 and field in response.json()["error"]["fields"]


def test_feedback_needs_the_token_and_an_attendee(api_client, registration):
    assert api_client.post(feedback_url(registration, token="wrong"), {"rating": 3}, format="json").status_code == 404
    assert api_client.get(feedback_url(registration)).status_code == 404  # none given yet
    Registration.objects.filter(pk=registration.pk).update(status=Registration.Status.CANCELLED)
    response = api_client.post(feedback_url(registration), {"rating": 3}, format="json")
    assert response.status_code == 400 and response.json()["error"]["code"] == "invalid"


# --- feedback form page ------------------------------------------------------------------------------


def test_feedback_form_preselects_the_rating_from_the_email_but_stores_only_on_post(client, registration):
    url = f"/feedback/{registration.pk}/?token={registration.manage_token}&rating=4"
    page = client.get(url)
    html = page.content.decode()
    assert page.status_code == 200 and page["Cache-Control"] == "private, no-store"
    # The token never in a Referer; not "no-referrer", under which the form's POST fails CSRF.
    assert page["Referrer-Policy"] == "strict-origin"
    assert "はいかがでしたか" in html  # the registrant's language
    assert 'value="4" checked' in html
    assert not Feedback.objects.exists()  # link scanners open links: GET stores nothing
    response = client.post(url, {"token": registration.manage_token, "rating": "4", "comment": "また来ます"})
    assert response.status_code == 200 and "ありがとうございました" in response.content.decode()
    assert Feedback.objects.get().comment == "また来ます"


def test_feedback_form_refuses_a_wrong_token_and_a_missing_rating(client, registration):
    assert client.get(f"/feedback/{registration.pk}/?token=nope").status_code == 404
    response = client.post(f"/feedback/{registration.pk}/", {"token": registration.manage_token})
    assert response.status_code == 400 and "1〜5" in response.content.decode()


# --- announcements ----------------------------------------------------------------------------------


@pytest.fixture
def token_client(manager):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=manager).key}")
    return client


def announce(client, **overrides):
    body = {"events": [], "subject_i18n": {"en": "Room change"}, "body_i18n": {"en": "We meet upstairs."}}
    body.update(overrides)
    return client.post("/api/v1/organizer/announcements/", body, format="json")


def test_organizer_announces_to_registrants_of_their_events(
    token_client, organization, django_capture_on_commit_callbacks
):
    event = EventFactory(organization=organization)
    RegistrationFactory(event=event, email="a@example.org", language="zh-hans")
    RegistrationFactory(event=event, email="b@example.org", language="en")
    with django_capture_on_commit_callbacks(execute=True):
        response = announce(
            token_client,
            events=[event.slug],
            subject_i18n={"en": "Room change", "zh-hans": "换教室"},
            body_i18n={"en": "We meet upstairs.", "zh-hans": "我们在楼上见。"},
        )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["events"] == [event.slug] and body["recipient_count"] == 2
    assert body["subject_i18n"] == {"en": "Room change", "zh-hans": "换教室"}
    assert sorted(message.subject for message in mail.outbox) == ["Room change", "换教室"]
    assert Notification.objects.filter(kind="announcement", status="sent").count() == 2


def test_announcements_only_for_your_own_events(token_client, api_client):
    others = EventFactory()
    response = announce(token_client, events=[others.slug])
    assert response.status_code == 400 and others.slug in str(response.json()["error"]["fields"]["events"])
    assert not Announcement.objects.exists()
    assert announce(api_client, events=[others.slug]).status_code in (401, 403)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"subject_i18n": {"en": "Hi"}, "body_i18n": {"ja": "こんにちは"}}, "body_i18n"),
        ({"subject_i18n": {}, "body_i18n": {}}, "subject_i18n"),
        ({"subject_i18n": {"xx": "Hi"}, "body_i18n": {"xx": "Hi"}}, "subject_i18n"),
        ({"events": []}, "events"),
    ],
)
def test_announcement_bad_input(token_client, organization, overrides, field):
    event = EventFactory(organization=organization)
    overrides.setdefault("events", [event.slug])
    response = announce(token_client, **overrides)
    assert response.status_code == 400 and field in response.json()["error"]["fields"]
