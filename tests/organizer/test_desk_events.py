"""Creating and editing events on the desk: the same services as the API do the saving."""

import datetime as dt

import pytest
from django.utils import timezone

from audit.models import AuditAction, AuditEntry
from events.models import Event, Session
from notifications.models import Notification
from tests.factories import EventFactory, RegistrationFactory, SessionFactory, VenueFactory
from tests.organizer.helpers import desk_client, desk_world, form_data

pytestmark = pytest.mark.django_db


def event_post(**overrides) -> dict:
    data = {
        "kind": "course",
        "default_language": "zh-hans",
        "title_en": "Calligraphy for beginners",
        "title_zh-hans": "书法入门",
        "title_ja": "",
        "summary_en": "Brush and ink",
        "summary_zh-hans": "笔和墨",
        "summary_ja": "",
        "description_en": "",
        "description_zh-hans": "",
        "description_ja": "",
        "timezone": "Asia/Shanghai",
        "capacity": "12",
        "max_guests": "0",
        "slug": "calligraphy",
        "price": "0",
        "currency": "cny",
        "payment_hold_minutes": "30",
        "reminder_hours": "24",
        "checkin_opens_minutes": "60",
    }
    data.update(overrides)
    return data


def test_create_saves_a_draft_through_the_service_and_goes_to_its_sessions():
    w = desk_world()
    response = desk_client(w.manager).post("/organizer/events/new/", event_post(organization=w.org.pk))
    assert response.status_code == 302, response.content.decode()[:2000]
    event = Event.objects.get(slug="calligraphy")
    assert response["Location"] == "/organizer/events/calligraphy/sessions/"
    assert event.organization == w.org and event.status == Event.Status.DRAFT and event.kind == "course"
    assert event.title == {"en": "Calligraphy for beginners", "zh-hans": "书法入门"}
    assert event.currency == "CNY"
    assert AuditEntry.objects.filter(action=AuditAction.EVENT_CREATE, target_id=event.pk).exists()


def test_create_shows_the_services_errors_on_the_fields():
    w = desk_world()
    response = desk_client(w.manager, language="ja").post(
        "/organizer/events/new/", event_post(organization=w.org.pk, slug="tea-evening", **{"title_zh-hans": ""})
    )
    assert response.status_code == 400
    text = response.content.decode()
    assert "field--error" in text
    assert not Event.objects.filter(title__en="Calligraphy for beginners").exists()


def test_the_form_hints_which_texts_each_language_misses():
    w = desk_world()
    event = EventFactory(
        organization=w.org, title={"en": "Tea", "zh-hans": "茶"}, summary={"en": "Hot"}, description={}
    )
    text = desk_client(w.manager).get(f"/organizer/events/{event.slug}/edit/").content.decode()
    assert 'data-lang="ja" class="is-missing"' in text
    assert 'data-completeness-field="title"' in text


def test_more_seats_promote_the_waiting_list_as_the_api_does():
    w = desk_world()
    event = EventFactory(organization=w.org, capacity=1)
    RegistrationFactory(event=event)
    waiting = RegistrationFactory(event=event, status="waitlisted", confirmed_at=None)
    Event.objects.filter(pk=event.pk).update(seats_held=1, waitlist_count=1)
    client = desk_client(w.manager)
    data = form_data(client.get(f"/organizer/events/{event.slug}/edit/").context["form"])
    data["capacity"] = "2"
    response = client.post(f"/organizer/events/{event.slug}/edit/", data)
    assert response.status_code == 302, response.content.decode()[:3000]
    waiting.refresh_from_db()
    assert waiting.status == "confirmed"


def test_a_new_venue_notifies_attendees_and_warns_about_overlaps():
    w = desk_world()
    event = w.event
    RegistrationFactory(event=event)
    hall = VenueFactory(organization=w.org)
    session = event.sessions.get()
    busy = EventFactory(organization=w.org, venue=hall, with_session=False)
    SessionFactory(event=busy, starts_at=session.starts_at, ends_at=session.ends_at)
    client = desk_client(w.manager)
    data = form_data(client.get(f"/organizer/events/{event.slug}/edit/").context["form"])
    data["venue"] = hall.pk
    response = client.post(f"/organizer/events/{event.slug}/edit/", data, follow=True)
    assert response.status_code == 200, response.context["form"].errors
    text = response.content.decode()
    assert "other session at the same time" in text
    session.refresh_from_db()
    assert session.status == Session.Status.MOVED and session.sequence == 1
    assert Notification.objects.filter(registration__event=event).exists()


def test_add_a_session_then_an_overlapping_one_needs_schedule_anyway():
    w = desk_world()
    event = EventFactory(organization=w.org, with_session=False, status=Event.Status.DRAFT)
    client = desk_client(w.manager)
    day = (timezone.now() + dt.timedelta(days=10)).date().isoformat()
    post = {"add-date": day, "add-starts": "19:00", "add-ends": "21:00", "add-venue": ""}
    assert client.post(f"/organizer/events/{event.slug}/sessions/", post).status_code == 302
    session = event.sessions.get()
    assert timezone.localtime(session.starts_at, dt.timezone(dt.timedelta(hours=8))).hour == 19
    other = EventFactory(organization=w.org, venue=event.venue, with_session=False, slug="other")
    response = client.post(f"/organizer/events/{other.slug}/sessions/", post)
    assert response.status_code == 400
    assert "Schedule anyway" in response.content.decode()
    assert not other.sessions.exists()
    response = client.post(f"/organizer/events/{other.slug}/sessions/", {**post, "add-allow_overlap": "on"})
    assert response.status_code == 302
    assert other.sessions.count() == 1


def test_generate_previews_a_calendar_without_saving_then_creates():
    w = desk_world()
    event = EventFactory(organization=w.org, with_session=False, status=Event.Status.DRAFT, kind="course")
    client = desk_client(w.manager)
    first = (timezone.now() + dt.timedelta(days=14)).date()
    post = {
        "gen-preset": "weekly",
        "gen-count": "2",
        "gen-first_date": first.isoformat(),
        "gen-first_time": "18:30",
        "gen-duration_minutes": "90",
        "gen-venue": "",
        "preview": "1",
    }
    response = client.post(f"/organizer/events/{event.slug}/sessions/generate/", post)
    assert response.status_code == 200
    text = response.content.decode()
    assert "desk-month" in text and "Create 2 sessions" in text
    assert not event.sessions.exists()
    post.pop("preview")
    response = client.post(f"/organizer/events/{event.slug}/sessions/generate/", {**post, "create": "1"})
    assert response.status_code == 302
    assert event.sessions.count() == 2
    event.refresh_from_db()
    assert event.recurrence_rule == "FREQ=WEEKLY;COUNT=2"


def test_a_bad_rule_is_a_message_on_the_form_not_a_500():
    w = desk_world()
    event = EventFactory(organization=w.org, with_session=False)
    post = {
        "gen-preset": "custom",
        "gen-rule": "FREQ=WEEKLY",
        "gen-first_date": "2030-01-01",
        "gen-first_time": "18:30",
        "gen-duration_minutes": "90",
        "preview": "1",
    }
    response = desk_client(w.manager).post(f"/organizer/events/{event.slug}/sessions/generate/", post)
    assert response.status_code == 400
    assert "COUNT or UNTIL" in response.content.decode()


def test_move_and_cancel_a_session_tell_its_attendees():
    w = desk_world()
    event = w.event
    RegistrationFactory(event=event)
    session = event.sessions.get()
    client = desk_client(w.manager)
    local = timezone.localtime(session.starts_at, dt.timezone(dt.timedelta(hours=8)))
    post = {"date": local.date().isoformat(), "starts": "08:00", "ends": "09:00", "venue": ""}
    assert client.post(f"/organizer/events/{event.slug}/sessions/{session.pk}/", post).status_code == 302
    session.refresh_from_db()
    assert session.status == Session.Status.MOVED and session.sequence == 1
    assert client.post(f"/organizer/events/{event.slug}/sessions/{session.pk}/cancel/").status_code == 302
    session.refresh_from_db()
    assert session.status == Session.Status.CANCELLED
    kinds = set(Notification.objects.filter(registration__event=event).values_list("kind", flat=True))
    assert len(kinds) >= 2


def test_publish_needs_a_session_then_publishes():
    w = desk_world()
    draft = EventFactory(organization=w.org, with_session=False, status=Event.Status.DRAFT)
    client = desk_client(w.manager)
    response = client.post(f"/organizer/events/{draft.slug}/publish/", follow=True)
    assert "Add at least one session" in response.content.decode()
    SessionFactory(event=draft)
    client.post(f"/organizer/events/{draft.slug}/publish/")
    draft.refresh_from_db()
    assert draft.status == Event.Status.PUBLISHED


def test_cancel_says_what_happens_then_cancels_and_notifies():
    w = desk_world()
    RegistrationFactory(event=w.event)
    RegistrationFactory(event=w.event)
    client = desk_client(w.owner)
    text = client.get("/organizer/events/tea-evening/cancel/").content.decode()
    assert "2 people who registered or are waiting get a cancellation email." in text
    assert "0 online payments are refunded automatically." in text
    assert client.post("/organizer/events/tea-evening/cancel/").status_code == 302
    w.event.refresh_from_db()
    assert w.event.status == Event.Status.CANCELLED
    assert Notification.objects.filter(registration__event=w.event).count() == 2


def test_duplicate_copies_a_draft_with_new_dates_and_questions():
    w = desk_world()
    event = w.event
    event.questions.create(key="diet", label={"en": "Diet"}, position=0)
    first = event.sessions.get()
    new_day = (timezone.now() + dt.timedelta(days=60)).date()
    client = desk_client(w.manager)
    assert client.get("/organizer/events/tea-evening/duplicate/").status_code == 200
    response = client.post(
        "/organizer/events/tea-evening/duplicate/", {"slug": "tea-evening-2", "first_day": new_day.isoformat()}
    )
    assert response.status_code == 302
    copy = Event.objects.get(slug="tea-evening-2")
    assert copy.status == Event.Status.DRAFT and copy.title == event.title
    assert list(copy.questions.values_list("key", flat=True)) == ["diet"]
    (session,) = copy.sessions.all()
    zone = dt.timezone(dt.timedelta(hours=8))
    assert timezone.localtime(session.starts_at, zone).date() == new_day
    assert timezone.localtime(session.starts_at, zone).time() == timezone.localtime(first.starts_at, zone).time()


def test_preview_renders_the_public_page_of_a_draft_for_its_managers_only():
    w = desk_world()
    draft = EventFactory(organization=w.org, status=Event.Status.DRAFT, title={"en": "Secret plan"})
    response = desk_client(w.manager).get(f"/organizer/events/{draft.slug}/preview/")
    assert response.status_code == 200
    text = response.content.decode()
    assert "Secret plan" in text and "badge--preview" in text
    assert "pages/event_detail.html" in [t.name for t in response.templates]
    assert desk_client(w.other).get(f"/organizer/events/{draft.slug}/preview/").status_code == 404
    assert desk_client().get(f"/events/{draft.slug}/").status_code == 404
