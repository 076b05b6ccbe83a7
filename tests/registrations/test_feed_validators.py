"""Calendar feeds answer a poll with 304 until something they show changes (issue 18)."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from events.models import Session
from registrations.models import CalendarFeed, Registration
from tests.factories import EventFactory, VenueFactory

pytestmark = pytest.mark.django_db

FEED = "/api/v1/calendar.ics"


@pytest.fixture
def published(db):
    return EventFactory(status="published", title={"en": "Tea", "ja": "お茶"})


def poll(client, url, etag=None, **extra):
    headers = {"HTTP_IF_NONE_MATCH": etag} if etag else {}
    return client.get(url, **headers, **extra)


def test_a_repeat_poll_is_304_without_a_body(client, published):
    first = poll(client, FEED)
    assert first.status_code == 200 and first["ETag"] and first["Last-Modified"]
    again = poll(client, FEED, first["ETag"])
    assert again.status_code == 304 and again.content == b""
    assert again["ETag"] == first["ETag"]


def test_the_rendered_feed_is_reused_until_something_changes(client, published, django_assert_max_num_queries):
    first = poll(client, FEED)
    with django_assert_max_num_queries(2):  # the two version queries; the body comes from the cache
        second = poll(client, FEED)
    assert second.content == first.content  # same DTSTAMP: the very same render


@pytest.mark.parametrize(
    "change",
    [
        "move a session",
        "add a session",
        "delete a session",
        "rename the venue",
        "rename the organization",
        "retitle the event",
        "unpublish the event",
    ],
)
def test_any_change_it_shows_gives_a_new_etag_and_body(client, published, change):
    first = poll(client, FEED)
    session = published.sessions.first()
    if change == "move a session":
        session.starts_at += dt.timedelta(hours=1)
        session.ends_at += dt.timedelta(hours=1)
        session.save()
    elif change == "add a session":
        Session.objects.create(event=published, starts_at=session.starts_at, ends_at=session.ends_at)
    elif change == "delete a session":
        Session.objects.create(event=published, starts_at=session.starts_at, ends_at=session.ends_at)
        first = poll(client, FEED)
        Session.objects.filter(pk=session.pk).delete()
    elif change == "rename the venue":
        published.venue.name = {"en": "New hall"}
        published.venue.save()
    elif change == "rename the organization":
        published.organization.name = {"en": "New name"}
        published.organization.save()
    elif change == "retitle the event":
        published.title = {"en": "Green tea"}
        published.save()
    elif change == "unpublish the event":
        published.status = "draft"
        published.save()
    after = poll(client, FEED, first["ETag"])
    assert after.status_code == 200
    assert after["ETag"] != first["ETag"] and after.content != first.content


def test_each_language_and_filter_has_its_own_validator(client, published):
    english = poll(client, FEED + "?lang=en")
    japanese = poll(client, FEED + "?lang=ja")
    assert english["ETag"] != japanese["ETag"]
    assert "お茶".encode() in japanese.content and "お茶".encode() not in english.content
    filtered = poll(client, FEED + "?kind=course")
    assert filtered["ETag"] != english["ETag"]
    assert poll(client, FEED + "?lang=ja", english["ETag"]).status_code == 200


def test_an_event_download_and_a_personal_feed_have_validators(client, published):
    url = reverse("registrations:event-calendar", kwargs={"slug": published.slug})
    first = poll(client, url)
    assert poll(client, url, first["ETag"]).status_code == 304
    other = VenueFactory(organization=published.organization)
    published.venue = other
    published.save()
    assert poll(client, url, first["ETag"]).status_code == 200

    registration = Registration.objects.create(
        event=published,
        name="Ana",
        email="ana@example.org",
        language="en",
        status="confirmed",
        confirmed_at=timezone.now(),
    )
    feed = CalendarFeed.objects.create(email="ana@example.org")
    personal = reverse("registrations:personal-feed", kwargs={"token": feed.token})
    first = poll(client, personal)
    assert first.status_code == 200 and first["Cache-Control"] == "private, max-age=900"
    assert poll(client, personal, first["ETag"]).status_code == 304
    registration.status = "cancelled"
    registration.cancelled_at = timezone.now()
    registration.save()
    changed = poll(client, personal, first["ETag"])
    assert changed.status_code == 200 and b"STATUS:CANCELLED" in changed.content
