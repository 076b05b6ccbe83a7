"""Who gets the desk: owners and managers; volunteers are pointed to the scanner; anonymous
callers go to the desk's login; another organization's event is a 404."""

import pytest
from django.urls import reverse

from tests.factories import UserFactory
from tests.organizer.helpers import desk_client, desk_world

pytestmark = pytest.mark.django_db


def test_anonymous_goes_to_the_desk_login_and_comes_back():
    response = desk_client().get("/organizer/")
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('desk:login')}?next=/organizer/"


def test_owner_and_manager_see_their_events_not_the_other_organizations():
    w = desk_world()
    for user in (w.owner, w.manager):
        response = desk_client(user).get("/organizer/")
        assert response.status_code == 200
        text = response.content.decode()
        assert w.event.title["en"] in text
        assert w.event2.title["en"] not in text
        assert "private" in response["Cache-Control"] and "no-store" in response["Cache-Control"]


@pytest.mark.parametrize(
    "language, phrase", [("en", "Open the scanner"), ("zh-hans", "打开扫码"), ("ja", "スキャナー")]
)
def test_a_volunteer_gets_a_translated_refusal_pointing_to_the_scanner(language, phrase):
    w = desk_world()
    response = desk_client(w.volunteer, language=language).get("/organizer/")
    assert response.status_code == 403
    text = response.content.decode()
    assert 'href="/scan/"' in text
    assert phrase in text


def test_a_user_with_no_membership_is_refused_too():
    response = desk_client(UserFactory()).get("/organizer/")
    assert response.status_code == 403


def test_another_organizations_event_is_a_404_like_a_missing_one():
    w = desk_world()
    client = desk_client(w.other)
    assert client.get("/organizer/events/tea-evening/").status_code == 404
    assert client.get("/organizer/events/no-such-event/").status_code == 404
    assert client.get("/organizer/events/chess-night/").status_code == 200


def test_the_desk_login_logs_a_manager_in_and_out():
    w = desk_world()
    client = desk_client()
    response = client.post("/organizer/login/", {"username": "manager", "password": "pw-for-tests-1", "next": ""})
    assert response.status_code == 302 and response["Location"] == "/organizer/"
    assert client.get("/organizer/").status_code == 200
    response = client.post("/organizer/logout/")
    assert response.status_code == 302 and response["Location"] == reverse("desk:login")
    assert client.get("/organizer/").status_code == 302
    assert w.manager.pk
