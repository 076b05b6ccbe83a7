import datetime as dt
import zoneinfo

import pytest
from django.utils import timezone

from common.exceptions import Forbidden, InvalidInput, InvalidTransition, SessionOverlap
from events import services
from events.models import Event, Session
from organizations.models import Membership
from organizer import services as organizer_services
from tests.factories import EventFactory, MembershipFactory, SessionFactory, UserFactory, VenueFactory

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


@pytest.fixture
def draft(organization):
    return EventFactory(organization=organization, status=Event.Status.DRAFT, with_session=False)


def test_course_sessions_keep_wall_clock_across_dst(manager, draft):
    draft.timezone = "Europe/Berlin"
    draft.kind = Event.Kind.COURSE
    draft.save()
    # 2027-03-28 is the spring-forward Sunday in Berlin: Tuesdays either side differ in UTC offset.
    sessions = organizer_services.sessions_generate(
        user=manager,
        event=draft,
        rule="FREQ=WEEKLY;BYDAY=TU;COUNT=8",
        first_start=dt.datetime(2027, 3, 9, 19, 0),
        duration=dt.timedelta(hours=2),
    )
    assert len(sessions) == 8
    local = [s.starts_at.astimezone(BERLIN) for s in Session.objects.filter(event=draft)]
    assert [t.date() for t in local] == [dt.date(2027, 3, 9) + dt.timedelta(weeks=i) for i in range(8)]
    assert {(t.hour, t.minute) for t in local} == {(19, 0)}
    assert {t.weekday() for t in local} == {1}
    utc_hours = sorted({s.starts_at.astimezone(dt.UTC).hour for s in Session.objects.filter(event=draft)})
    assert utc_hours == [17, 18]  # CEST then CET: the rule moved with the clocks
    ends_local = {s.ends_at.astimezone(BERLIN).hour for s in Session.objects.filter(event=draft)}
    assert ends_local == {21}
    draft.refresh_from_db()
    assert draft.recurrence_rule == "FREQ=WEEKLY;BYDAY=TU;COUNT=8"


def test_sessions_until_date_in_shanghai(manager, draft):
    sessions = organizer_services.sessions_generate(
        user=manager,
        event=draft,
        rule="RRULE:FREQ=WEEKLY;BYDAY=MO,TH;UNTIL=20270201",
        first_start=dt.datetime(2027, 1, 4, 18, 30),
        duration=dt.timedelta(minutes=90),
    )
    assert len(sessions) == 9  # Jan 4,7,11,14,18,21,25,28 and Feb 1
    assert {s.starts_at.astimezone(SHANGHAI).strftime("%H:%M") for s in sessions} == {"18:30"}
    assert {s.starts_at.astimezone(dt.UTC).strftime("%H:%M") for s in sessions} == {"10:30"}


@pytest.mark.parametrize(
    "rule",
    [
        "",
        "FREQ=WEEKLY;BYDAY=TU",
        "FREQ=SOMETIMES;COUNT=3",
        "FREQ=WEEKLY;BYDAY=XX;COUNT=2",
        "FREQ=DAILY;COUNT=5000",
        "DTSTART:20270101T000000\nRRULE:FREQ=DAILY;COUNT=2",
        "garbage",
    ],
)
def test_malformed_or_unbounded_rules_are_invalid_input(manager, draft, rule):
    with pytest.raises(InvalidInput) as excinfo:
        organizer_services.sessions_generate(
            user=manager,
            event=draft,
            rule=rule,
            first_start=dt.datetime(2027, 1, 5, 19),
            duration=dt.timedelta(hours=1),
        )
    assert "rule" in excinfo.value.fields
    assert not Session.objects.filter(event=draft).exists()


def test_overlap_in_same_venue_is_refused_unless_allowed(manager, organization):
    venue = VenueFactory(organization=organization)
    first = EventFactory(organization=organization, venue=venue, with_session=False)
    second = EventFactory(organization=organization, venue=venue, with_session=False)
    start = timezone.now() + dt.timedelta(days=3)
    services.session_create(user=manager, event=first, starts_at=start, ends_at=start + dt.timedelta(hours=2))
    with pytest.raises(SessionOverlap) as excinfo:
        services.session_create(
            user=manager, event=second, starts_at=start + dt.timedelta(hours=1), ends_at=start + dt.timedelta(hours=3)
        )
    assert excinfo.value.extra["conflicts"][0]["event"] == first.slug
    # Back to back is not an overlap, nor is another room.
    services.session_create(
        user=manager, event=second, starts_at=start + dt.timedelta(hours=2), ends_at=start + dt.timedelta(hours=3)
    )
    services.session_create(
        user=manager,
        event=second,
        starts_at=start,
        ends_at=start + dt.timedelta(hours=1),
        venue=VenueFactory(organization=organization),
    )
    services.session_create(
        user=manager, event=second, starts_at=start, ends_at=start + dt.timedelta(hours=1), allow_overlap=True
    )
    assert second.sessions.count() == 3


def test_cancelled_session_frees_the_room(manager, organization):
    venue = VenueFactory(organization=organization)
    event = EventFactory(organization=organization, venue=venue, with_session=False)
    session = SessionFactory(event=event)
    organizer_services.session_cancel(user=manager, session=session)
    other = EventFactory(organization=organization, venue=venue, with_session=False)
    services.session_create(user=manager, event=other, starts_at=session.starts_at, ends_at=session.ends_at)


def test_moving_a_session_bumps_sequence_and_checks_overlap(manager, organization):
    venue = VenueFactory(organization=organization)
    event = EventFactory(organization=organization, venue=venue)
    blocker = EventFactory(organization=organization, venue=venue, with_session=False)
    session = event.sessions.get()
    blocked = SessionFactory(
        event=blocker,
        starts_at=session.starts_at + dt.timedelta(days=1),
        ends_at=session.ends_at + dt.timedelta(days=1),
    )
    moved = organizer_services.session_update(
        user=manager,
        session=session,
        starts_at=session.starts_at + dt.timedelta(hours=1),
        ends_at=session.ends_at + dt.timedelta(hours=1),
    )
    assert (moved.sequence, moved.status) == (1, Session.Status.MOVED)
    with pytest.raises(SessionOverlap):
        organizer_services.session_update(
            user=manager, session=moved, starts_at=blocked.starts_at, ends_at=blocked.ends_at
        )
    session.refresh_from_db()
    assert session.sequence == 1  # the refused move changed nothing
    retitled = organizer_services.session_update(user=manager, session=session, title={"en": "Lesson 1"})
    assert retitled.sequence == 1  # a new title is not a move


def test_publish_needs_a_session_and_cancel_is_final(manager, draft):
    with pytest.raises(InvalidTransition):
        services.event_publish(user=manager, event=draft)
    SessionFactory(event=draft)
    event = services.event_publish(user=manager, event=draft)
    assert event.status == Event.Status.PUBLISHED and event.published_at
    event = organizer_services.event_cancel(user=manager, event=event)
    assert event.status == Event.Status.CANCELLED
    with pytest.raises(InvalidTransition):
        services.event_publish(user=manager, event=event)
    with pytest.raises(InvalidTransition):
        organizer_services.event_update(user=manager, event=event, capacity=3)


@pytest.mark.parametrize("role", [None, Membership.Role.VOLUNTEER])
def test_only_managers_write(organization, draft, role):
    user = UserFactory()
    if role:
        MembershipFactory(user=user, organization=organization, role=role)
    with pytest.raises(Forbidden):
        organizer_services.event_update(user=user, event=draft, capacity=5)
    with pytest.raises(Forbidden):
        services.event_create(user=user, organization=organization, slug="x", title={"en": "X"})


def test_manager_of_another_org_cannot_write(draft):
    other = MembershipFactory().user
    with pytest.raises(Forbidden):
        services.event_publish(user=other, event=draft)


def test_event_rules(manager, organization):
    with pytest.raises(InvalidInput) as excinfo:
        services.event_create(user=manager, organization=organization, slug="a", title={"ja": "お茶"})
    assert "title" in excinfo.value.fields
    foreign_venue = VenueFactory()
    with pytest.raises(InvalidInput) as excinfo:
        services.event_create(user=manager, organization=organization, slug="b", title={"en": "B"}, venue=foreign_venue)
    assert "venue" in excinfo.value.fields


def test_search_text_holds_every_language(organization):
    event = EventFactory(organization=organization, title={"en": "Tea Ceremony", "zh-hans": "茶道", "ja": "茶道体験"})
    assert "tea ceremony" in event.search_text and "茶道体験" in event.search_text


def test_moving_the_event_venue_moves_its_sessions_in_calendars(manager, organization):
    event = EventFactory(organization=organization)
    own_room = SessionFactory(event=event, venue=VenueFactory(organization=organization))
    organizer_services.event_update(user=manager, event=event, venue=VenueFactory(organization=organization))
    follows = event.sessions.exclude(pk=own_room.pk).get()
    own_room.refresh_from_db()
    assert (follows.sequence, follows.status) == (1, Session.Status.MOVED)
    assert own_room.sequence == 0  # has its own room: unaffected


def test_session_str_is_in_the_event_timezone(organization):
    event = EventFactory(organization=organization, timezone="Asia/Tokyo", with_session=False)
    session = SessionFactory(event=event, starts_at=dt.datetime(2027, 1, 5, 10, 0, tzinfo=dt.UTC))
    assert str(session).endswith("2027-01-05 19:00")
