"""iCalendar output, read back with vobject (an independent parser) and icalendar itself."""

import datetime as dt
import zoneinfo
from decimal import Decimal

import icalendar
import pytest
import vobject
from django.db import connection
from django.test.utils import CaptureQueriesContext

from events.models import Event, Session
from organizer import services as organizer_services
from registrations.calendars import event_calendar, events_feed, personal_feed, registration_invite
from registrations.models import Registration
from tests.factories import EventFactory, RegistrationFactory, SessionFactory, VenueFactory

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def site(settings):
    settings.SITE_URL = "https://huiguan.example"


def parse(ics: bytes):
    """vobject for the assertions; icalendar must accept the same bytes."""
    assert isinstance(ics, bytes)
    text = ics.decode("utf-8")
    assert "\r\n" in text
    assert all(len(line.encode("utf-8")) <= 75 for line in text.split("\r\n")), "lines must be folded"
    calendar = vobject.readOne(text)
    assert len(icalendar.Calendar.from_ical(ics).events) == len(vevents(calendar))
    return calendar


def vevents(calendar) -> list:
    return list(calendar.contents.get("vevent", []))


def prop(component, name: str) -> str | None:
    lines = component.contents.get(name)
    return lines[0].value if lines else None


def at(zone, *args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=zone)


@pytest.fixture
def course(organization):
    """A Berlin course: two sessions before the 2027-03-28 spring-forward, two after, all at 19:00."""
    event = EventFactory(
        organization=organization,
        kind=Event.Kind.COURSE,
        timezone="Europe/Berlin",
        title={"en": "Calligraphy", "ja": "書道教室"},
        summary={"en": "Brush and ink", "ja": "筆と墨"},
        with_session=False,
    )
    for day in (16, 23, 30):
        SessionFactory(event=event, starts_at=at(BERLIN, 2027, 3, day, 19), ends_at=at(BERLIN, 2027, 3, day, 21))
    SessionFactory(
        event=event,
        starts_at=at(BERLIN, 2027, 4, 6, 19),
        ends_at=at(BERLIN, 2027, 4, 6, 21),
        title={"en": "Lesson 4: the dot", "ja": "第四課：点の打ち方と筆の運び、墨の濃淡についての長い説明"},
    )
    return event


@pytest.fixture
def festival(organization):
    """One evening in Shanghai at 19:00 local, titled only in Chinese."""
    event = EventFactory(
        organization=organization,
        timezone="Asia/Shanghai",
        default_language="zh-hans",
        title={"zh-hans": "中秋灯会"},
        summary={"zh-hans": "赏灯、猜灯谜"},
        with_session=False,
    )
    SessionFactory(event=event, starts_at=at(SHANGHAI, 2027, 9, 15, 19), ends_at=at(SHANGHAI, 2027, 9, 15, 22))
    return event


def test_invite_has_one_confirmed_vevent_per_session(course):
    registration = RegistrationFactory(event=course, name="Hanako Yamada", email="hanako@example.jp", language="ja")

    calendar = parse(registration_invite(registration=registration))

    assert prop(calendar, "method") == "REQUEST"
    assert prop(calendar, "prodid") == "-//Huiguan//Events//EN"
    assert prop(calendar, "version") == "2.0"
    assert prop(calendar, "calscale") == "GREGORIAN"
    events = vevents(calendar)
    assert len(events) == course.sessions.count() == 4
    assert {prop(e, "status") for e in events} == {"CONFIRMED"}
    assert [int(prop(e, "sequence")) for e in events] == [0, 0, 0, 0]
    first = events[0]
    assert prop(first, "url") == f"https://huiguan.example/events/{course.slug}/"
    assert prop(first, "description") == f"筆と墨\n\nhttps://huiguan.example/events/{course.slug}/"
    venue = course.venue
    assert prop(first, "location") == f"{venue.name['ja']}, {venue.address['en']}"  # no ja address: default
    assert prop(first, "geo") == "39.915;116.404"
    assert prop(first, "dtstamp").tzinfo is not None
    assert prop(first, "dtstamp").utcoffset() == dt.timedelta(0)
    organizer = first.organizer
    assert organizer.value == "mailto:hello@example.org"
    assert organizer.params["CN"] == [course.organization.name["en"]]  # no ja name: org default
    attendee = first.attendee
    assert attendee.value == "mailto:hanako@example.jp"
    assert attendee.params["CN"] == ["Hanako Yamada"]
    assert attendee.params["ROLE"] == ["REQ-PARTICIPANT"]
    assert attendee.params["PARTSTAT"] == ["ACCEPTED"]
    assert attendee.params["RSVP"] == ["FALSE"]


def test_uids_are_stable_across_renders_and_distinct_per_session(course, settings):
    registration = RegistrationFactory(event=course)
    expected = [f"session-{pk}@huiguan.example" for pk in course.sessions.values_list("pk", flat=True)]

    first = [prop(e, "uid") for e in vevents(parse(registration_invite(registration=registration)))]
    second = [prop(e, "uid") for e in vevents(parse(registration_invite(registration=registration)))]
    public = [prop(e, "uid") for e in vevents(parse(event_calendar(event=course, language="en")))]

    assert first == second == public == expected
    assert len(set(first)) == 4
    settings.CALENDAR_UID_DOMAIN = "calendar.huiguan.example"
    overridden = [prop(e, "uid") for e in vevents(parse(event_calendar(event=course, language="en")))]
    assert overridden == [uid.replace("@huiguan.example", "@calendar.huiguan.example") for uid in expected]


def test_sequence_follows_a_session_move(course, manager):
    registration = RegistrationFactory(event=course)
    session = course.sessions.first()
    organizer_services.session_update(
        user=manager, session=session, starts_at=at(BERLIN, 2027, 3, 17, 19), ends_at=at(BERLIN, 2027, 3, 17, 21)
    )
    session.refresh_from_db()
    assert session.sequence == 1

    events = {prop(e, "uid"): e for e in vevents(parse(registration_invite(registration=registration)))}

    moved = events[f"session-{session.pk}@huiguan.example"]
    assert int(prop(moved, "sequence")) == 1
    assert prop(moved, "status") == "CONFIRMED"  # moved, still happening
    assert prop(moved, "dtstart").astimezone(BERLIN) == at(BERLIN, 2027, 3, 17, 19)
    assert sorted(int(prop(e, "sequence")) for e in events.values()) == [0, 0, 0, 1]


def test_cancelled_session_is_cancelled_in_the_invite(course, manager):
    registration = RegistrationFactory(event=course)
    session = course.sessions.last()
    organizer_services.session_cancel(user=manager, session=session)

    calendar = parse(registration_invite(registration=registration))

    assert prop(calendar, "method") == "REQUEST"
    statuses = {prop(e, "uid"): (prop(e, "status"), int(prop(e, "sequence"))) for e in vevents(calendar)}
    assert statuses.pop(f"session-{session.pk}@huiguan.example") == ("CANCELLED", 1)
    assert set(statuses.values()) == {("CONFIRMED", 0)}


@pytest.mark.parametrize("status", [Registration.Status.CANCELLED, Registration.Status.EXPIRED])
def test_ended_registration_gets_method_cancel_with_higher_sequence(course, status):
    registration = RegistrationFactory(event=course, status=status)
    Session.objects.filter(pk=course.sessions.first().pk).update(sequence=2)

    calendar = parse(registration_invite(registration=registration))

    assert prop(calendar, "method") == "CANCEL"
    events = vevents(calendar)
    assert len(events) == 4
    assert {prop(e, "status") for e in events} == {"CANCELLED"}
    assert [int(prop(e, "sequence")) for e in events] == [3, 1, 1, 1]
    assert {e.attendee.params["PARTSTAT"][0] for e in events} == {"DECLINED"}


def test_cancelled_event_cancels_the_invite(festival):
    registration = RegistrationFactory(event=festival)
    Event.objects.filter(pk=festival.pk).update(status=Event.Status.CANCELLED)
    registration.refresh_from_db()

    calendar = parse(registration_invite(registration=registration))

    assert prop(calendar, "method") == "CANCEL"
    (event,) = vevents(calendar)
    assert prop(event, "status") == "CANCELLED"
    assert int(prop(event, "sequence")) == 1


def test_publish_invite_has_no_attendee(festival):
    registration = RegistrationFactory(event=festival)
    calendar = parse(registration_invite(registration=registration, method="publish"))
    assert prop(calendar, "method") == "PUBLISH"
    assert "attendee" not in vevents(calendar)[0].contents
    with pytest.raises(ValueError, match="iTIP method"):
        registration_invite(registration=registration, method="REPLY")


def test_wall_clock_survives_dst_and_time_zones(course, festival):
    berlin_ics = registration_invite(registration=RegistrationFactory(event=course))
    shanghai_ics = event_calendar(event=festival, language="en")

    assert b"DTSTART;TZID=Europe/Berlin:20270316T190000" in berlin_ics
    assert b"DTSTART;TZID=Europe/Berlin:20270406T190000" in berlin_ics
    assert b"DTSTART;TZID=Asia/Shanghai:20270915T190000" in shanghai_ics

    berlin = parse(berlin_ics)
    starts = [prop(e, "dtstart") for e in vevents(berlin)]
    assert all(start.tzinfo is not None for start in starts)
    assert [start.astimezone(BERLIN).time() for start in starts] == [dt.time(19)] * 4
    assert [start.astimezone(dt.UTC) for start in starts] == [
        dt.datetime(2027, 3, 16, 18, tzinfo=dt.UTC),  # CET, UTC+1
        dt.datetime(2027, 3, 23, 18, tzinfo=dt.UTC),
        dt.datetime(2027, 3, 30, 17, tzinfo=dt.UTC),  # CEST, UTC+2
        dt.datetime(2027, 4, 6, 17, tzinfo=dt.UTC),
    ]
    ends = [prop(e, "dtend").astimezone(BERLIN).time() for e in vevents(berlin)]
    assert ends == [dt.time(21)] * 4

    shanghai = parse(shanghai_ics)
    (start,) = [prop(e, "dtstart") for e in vevents(shanghai)]
    assert start.astimezone(SHANGHAI) == at(SHANGHAI, 2027, 9, 15, 19)
    assert start.astimezone(dt.UTC) == dt.datetime(2027, 9, 15, 11, tzinfo=dt.UTC)

    # The VTIMEZONE shipped in each file must carry the right rules on its own (vobject caches
    # definitions by TZID across files, so read them straight from the components).
    (berlin_zone,) = berlin.contents["vtimezone"]
    assert prop(berlin_zone, "tzid") == "Europe/Berlin"
    rules = berlin_zone.gettzinfo()
    assert rules.utcoffset(dt.datetime(2027, 3, 23, 19)) == dt.timedelta(hours=1)
    assert rules.utcoffset(dt.datetime(2027, 3, 30, 19)) == dt.timedelta(hours=2)
    (shanghai_zone,) = shanghai.contents["vtimezone"]
    assert prop(shanghai_zone, "tzid") == "Asia/Shanghai"
    assert shanghai_zone.gettzinfo().utcoffset(dt.datetime(2027, 9, 15, 19)) == dt.timedelta(hours=8)

    # Written as yearly rules, the form Outlook understands (it misreads lists of RDATEs).
    assert b"RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3" in berlin_ics
    assert b"RDATE" not in berlin_ics

    # icalendar reads the same instants.
    parsed = icalendar.Calendar.from_ical(berlin_ics)
    assert [e.start.astimezone(dt.UTC).hour for e in parsed.events] == [18, 18, 17, 17]
    assert parsed.get_missing_tzids() == set()


@pytest.mark.parametrize(
    ("tzid", "dates", "utc_hours"),
    [
        # Southern hemisphere: summer time spans New Year.
        ("Australia/Sydney", [(2027, 1, 12), (2027, 7, 13)], [8, 9]),
        # tzdata gives Dublin negative DST (winter is the "saving"); offsets must still be right.
        ("Europe/Dublin", [(2027, 1, 12), (2027, 7, 13)], [19, 18]),
        # Mexico dropped DST after 2022: the old rule must stop there.
        ("America/Mexico_City", [(2022, 7, 12), (2023, 7, 11)], [0, 1]),
    ],
)
def test_wall_clock_in_zones_with_unusual_rules(organization, tzid, dates, utc_hours):
    zone = zoneinfo.ZoneInfo(tzid)
    event = EventFactory(organization=organization, timezone=tzid, with_session=False)
    for date in dates:
        SessionFactory(event=event, starts_at=at(zone, *date, 19), ends_at=at(zone, *date, 21))

    calendar = parse(event_calendar(event=event, language="en"))

    (vtimezone,) = calendar.contents["vtimezone"]
    rules = vtimezone.gettzinfo()
    for vevent, date, utc_hour in zip(vevents(calendar), dates, utc_hours, strict=True):
        start = prop(vevent, "dtstart")
        assert start.astimezone(zone) == at(zone, *date, 19)
        assert start.astimezone(dt.UTC).hour == utc_hour
        wall_clock = dt.datetime(*date, 19)
        assert rules.utcoffset(wall_clock) == zone.utcoffset(wall_clock)


def test_titles_round_trip_in_the_registrants_language(course, festival):
    ja = parse(registration_invite(registration=RegistrationFactory(event=course, language="ja")))
    summaries = [prop(e, "summary") for e in vevents(ja)]
    assert summaries[:3] == ["書道教室"] * 3
    assert summaries[3] == "書道教室 — 第四課：点の打ち方と筆の運び、墨の濃淡についての長い説明"

    # Nothing in Japanese or English: the event's default language (zh-hans) is used.
    fallback = parse(registration_invite(registration=RegistrationFactory(event=festival, language="ja")))
    (event,) = vevents(fallback)
    assert prop(event, "summary") == "中秋灯会"
    assert prop(event, "description").startswith("赏灯、猜灯谜\n\n")
    assert prop(event, "location").startswith(festival.venue.name["ja"])

    english = parse(registration_invite(registration=RegistrationFactory(event=course, language="en")))
    assert prop(vevents(english)[3], "summary") == "Calligraphy — Lesson 4: the dot"


def test_online_event_uses_its_url_as_location(organization):
    event = EventFactory(organization=organization, venue=None, online_url="https://meet.example/abc")
    (vevent,) = vevents(parse(event_calendar(event=event, language="en")))
    assert prop(vevent, "location") == "https://meet.example/abc"
    assert "geo" not in vevent.contents


def test_session_venue_overrides_the_event_venue(course):
    hall = VenueFactory(
        organization=course.organization,
        name={"en": "Great Hall"},
        address={},
        latitude=Decimal("52.52"),
        longitude=None,
    )
    Session.objects.filter(pk=course.sessions.first().pk).update(venue=hall)
    first, second = vevents(parse(event_calendar(event=course, language="en")))[:2]
    assert prop(first, "location") == "Great Hall"
    assert "geo" not in first.contents  # only half a position
    assert prop(second, "location").startswith(course.venue.name["en"])


def test_event_calendar_publishes_without_attendee(course):
    calendar = parse(event_calendar(event=course, language="ja"))
    assert prop(calendar, "method") == "PUBLISH"
    events = vevents(calendar)
    assert len(events) == 4
    assert all("attendee" not in e.contents for e in events)
    assert prop(events[0], "summary") == "書道教室"


def test_personal_feed_lists_the_sessions_of_the_given_registrations_only(
    course, festival, organization, django_assert_num_queries
):
    email = "hanako@example.jp"
    RegistrationFactory(event=course, email=email, language="ja")
    RegistrationFactory(event=festival, email=email, language="en", status=Registration.Status.CANCELLED)
    other = EventFactory(organization=organization)
    RegistrationFactory(event=other)
    registrations = (
        Registration.objects.filter(email=email)
        .select_related("event__organization", "event__venue")
        .prefetch_related("event__sessions__venue")
    )

    with django_assert_num_queries(2):  # registrations with events joined, then their sessions
        ics = personal_feed(registrations=registrations)
    calendar = parse(ics)

    assert "method" not in calendar.contents
    assert prop(calendar, "x-wr-calname") == "Huiguan — my events"
    assert prop(calendar, "x-published-ttl") == "PT1H"
    assert calendar.contents["refresh-interval"][0].params["VALUE"] == ["DURATION"]
    events = vevents(calendar)
    expected = {f"session-{s.pk}@huiguan.example" for s in Session.objects.filter(event__in=[course, festival])}
    assert {prop(e, "uid") for e in events} == expected
    assert len(events) == 5
    by_event = {}
    for vevent in events:
        by_event.setdefault(prop(vevent, "url").rstrip("/").rsplit("/", 1)[1], []).append(vevent)
    assert {prop(e, "status") for e in by_event[course.slug]} == {"CONFIRMED"}
    assert {prop(e, "summary") for e in by_event[course.slug][:3]} == {"書道教室"}  # the registration's ja
    (lantern,) = by_event[festival.slug]
    assert prop(lantern, "status") == "CANCELLED"
    assert lantern.attendee.params["PARTSTAT"] == ["DECLINED"]
    assert prop(lantern, "summary") == "中秋灯会"  # no English title: the event default

    forced = parse(personal_feed(registrations=registrations, language="en"))
    assert {prop(e, "summary") for e in vevents(forced)} >= {"Calligraphy"}


def test_personal_feed_prefers_the_active_registration_of_an_event(festival):
    email = "lin@example.cn"
    RegistrationFactory(event=festival, email=email, status=Registration.Status.CANCELLED)
    RegistrationFactory(event=festival, email=email, status=Registration.Status.CONFIRMED)
    RegistrationFactory(event=festival, email=email, status=Registration.Status.EXPIRED)

    calendar = parse(personal_feed(registrations=Registration.objects.filter(email=email), language="zh-hans"))

    (vevent,) = vevents(calendar)
    assert prop(vevent, "status") == "CONFIRMED"
    assert vevent.attendee.params["PARTSTAT"] == ["ACCEPTED"]


def test_waitlisted_registration_is_tentative(festival):
    registration = RegistrationFactory(event=festival, status=Registration.Status.WAITLISTED)
    (vevent,) = vevents(parse(personal_feed(registrations=[registration])))
    assert prop(vevent, "status") == "CONFIRMED"
    assert vevent.attendee.params["PARTSTAT"] == ["TENTATIVE"]


def _feed_queries(count: int) -> tuple[int, int]:
    """Queries to load and render a feed of ``count`` events, and the number of VEVENTs."""
    for index in range(count):
        event = EventFactory(timezone="Europe/Berlin" if index % 2 else "Asia/Shanghai")
        SessionFactory(event=event, venue=VenueFactory(organization=event.organization))
    queryset = (
        Event.objects.order_by("id").select_related("organization", "venue").prefetch_related("sessions__venue")[:count]
    )
    with CaptureQueriesContext(connection) as queries:
        ics = events_feed(events=queryset, language="zh-hans", name="会馆 · 活动")
    calendar = parse(ics)
    assert prop(calendar, "method") == "PUBLISH"
    assert prop(calendar, "x-wr-calname") == "会馆 · 活动"
    assert {prop(z, "tzid") for z in calendar.contents["vtimezone"]} == {"Europe/Berlin", "Asia/Shanghai"}
    return len(queries), len(vevents(calendar))


def test_events_feed_queries_do_not_grow_with_events():
    three, three_vevents = _feed_queries(3)
    ten, ten_vevents = _feed_queries(10)
    assert three_vevents == 6  # each event's own session plus the one added above
    assert ten_vevents == 20
    assert three == ten == 3  # events, their sessions, the sessions' venues


def test_feed_keeps_wall_clock_all_year_in_many_zones(organization):
    """Twice a month for three years at 19:00 local, in zones with every kind of DST rule."""
    zones = [
        "Asia/Shanghai",
        "Asia/Tokyo",
        "Europe/Berlin",
        "Europe/London",
        "Europe/Dublin",
        "America/New_York",
        "America/Sao_Paulo",
        "America/Mexico_City",
        "Australia/Sydney",
        "Pacific/Auckland",
        "Asia/Jerusalem",
        "Africa/Cairo",
    ]
    for tzid in zones:
        zone = zoneinfo.ZoneInfo(tzid)
        event = EventFactory(organization=organization, timezone=tzid, with_session=False)
        Session.objects.bulk_create(
            Session(event=event, starts_at=at(zone, year, month, day, 19), ends_at=at(zone, year, month, day, 21))
            for year in (2026, 2027, 2028)
            for month in range(1, 13)
            for day in (1, 15)
        )
    queryset = Event.objects.filter(timezone__in=zones).select_related("organization", "venue")
    ics = events_feed(events=queryset.prefetch_related("sessions__venue"), language="en", name="All")

    calendar = parse(ics)
    # Each shipped VTIMEZONE on its own (vobject caches zones by TZID, so check them directly too).
    rules = {prop(z, "tzid"): z.gettzinfo() for z in calendar.contents["vtimezone"]}
    assert set(rules) == set(zones)
    zone_of = {f"/events/{event.slug}/": event.timezone for event in queryset}
    events = vevents(calendar)
    assert len(events) == len(zones) * 72
    for vevent in events:
        tzid = next(tzid for suffix, tzid in zone_of.items() if prop(vevent, "url").endswith(suffix))
        zone = zoneinfo.ZoneInfo(tzid)
        start = prop(vevent, "dtstart").astimezone(zone)
        assert (start.hour, start.minute) == (19, 0), (tzid, start)
        wall_clock = start.replace(tzinfo=None)
        assert rules[tzid].utcoffset(wall_clock) == zone.utcoffset(wall_clock), (tzid, wall_clock)
