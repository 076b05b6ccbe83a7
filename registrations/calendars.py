"""iCalendar (.ics) rendering: invites, per-event downloads, the public feed and personal feeds.

Pure functions: they read model instances and return the bytes of one VCALENDAR. They never
query on their own beyond following relations, so callers pass objects with the relations below
already loaded (selectors do this):

- an event needs ``organization`` and ``venue`` (select_related) and ``sessions`` with their
  ``venue`` (``prefetch_related("sessions__venue")``);
- a registration needs its event loaded the same way (``select_related("event__organization",
  "event__venue")`` and ``prefetch_related("event__sessions__venue")``).

Every session is one VEVENT whose UID never changes (``session-<id>@<host>``), so a calendar app
replaces its copy when the session moves (SEQUENCE follows ``Session.sequence``) and removes it
when it is cancelled. Times are written in the event's own time zone with a TZID and a matching
VTIMEZONE, so "19:00 in Berlin" stays 19:00 on both sides of a DST change.
"""

from __future__ import annotations

import calendar as calendar_module
import dataclasses
import datetime as dt
import functools
import zoneinfo
from collections.abc import Iterable
from email.utils import parseaddr
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext
from icalendar import Calendar, Timezone, TimezoneDaylight, TimezoneStandard, vCalAddress, vDuration, vRecur
from icalendar import Event as VEvent

from common.i18n import normalize_language, pick
from events.models import Event, Session
from registrations.models import Registration

PRODID = "-//Huiguan//Events//EN"
FEED_REFRESH = dt.timedelta(hours=1)
METHODS = ("REQUEST", "PUBLISH", "CANCEL")
ENDED_REGISTRATION = (Registration.Status.CANCELLED, Registration.Status.EXPIRED)


def registration_invite(*, registration: Registration, method: str = "REQUEST", language: str | None = None) -> bytes:
    """The iTIP message sent to a registrant: every session of the event, with them as attendee.

    A cancelled or expired registration, or a cancelled event, always gives ``METHOD:CANCEL`` with
    every VEVENT cancelled and SEQUENCE one above the session's, so clients accept the removal.
    ``method="PUBLISH"`` gives a plain download without ATTENDEE (RFC 5546 §3.2.1 forbids it there).
    ``language``: the message's language when the invite goes with an email (resolved once, on
    its outbox row), so the invite and the email around it always agree; else the registration's.
    """
    method = method.upper()
    if method not in METHODS:
        raise ValueError(f"Unsupported iTIP method {method!r}; use one of {', '.join(METHODS)}.")
    event = registration.event
    if registration.status in ENDED_REGISTRATION or event.status == Event.Status.CANCELLED:
        method = "CANCEL"
    language = language or _language(registration.language, event)
    calendar = _calendar(method=method)
    stamp = timezone.now()
    attendee = None if method == "PUBLISH" else registration
    for session in event.sessions.all():
        calendar.add_component(
            _vevent(
                session=session,
                event=event,
                language=language,
                stamp=stamp,
                registration=attendee,
                cancelling=method == "CANCEL",
            )
        )
    return _to_ical(calendar)


def event_calendar(*, event: Event, language: str) -> bytes:
    """The "add to calendar" download of one event: every session, no attendee."""
    language = _language(language, event)
    calendar = _calendar(method="PUBLISH")
    stamp = timezone.now()
    for session in event.sessions.all():
        calendar.add_component(_vevent(session=session, event=event, language=language, stamp=stamp))
    return _to_ical(calendar)


def events_feed(*, events: Iterable[Event], language: str, name: str) -> bytes:
    """A public subscription feed of ``events`` (prefetched, see the module docstring)."""
    calendar = _calendar(method="PUBLISH", name=name, refresh=True)
    stamp = timezone.now()
    parts, domain, tzids = _Parts(), _uid_domain(), set()
    for event in events:
        event_language = _language(language, event)
        tzids.add(event.timezone)
        for session in event.sessions.all():
            calendar.add_component(
                _vevent(
                    session=session, event=event, language=event_language, stamp=stamp, parts=parts, uid_domain=domain
                )
            )
    return _to_ical(calendar, tzids)


def personal_feed(*, registrations: Iterable[Registration], language: str | None = None) -> bytes:
    """A private subscription feed of every session of ``registrations``, with the registrant as attendee.

    Each event appears in its registration's language unless ``language`` is given. Sessions of a
    cancelled or expired registration stay in the feed as STATUS:CANCELLED so subscribed calendars
    drop them. When one person has several registrations for an event (cancelled, then registered
    again), the active one wins: a UID may appear only once in a calendar.

    No METHOD: this is a stored calendar (RFC 5545), not an iTIP message, and PUBLISH messages may
    not carry ATTENDEE, which is how the registrant sees their own participation status.
    """
    with translation.override(normalize_language(language) or settings.LANGUAGE_CODE):
        name = gettext("Huiguan — my events")
    calendar = _calendar(method=None, name=name, refresh=True)
    stamp = timezone.now()
    parts, domain, tzids = _Parts(), _uid_domain(), set()
    for registration in _one_per_event(registrations):
        event = registration.event
        event_language = _language(language or registration.language, event)
        tzids.add(event.timezone)
        for session in event.sessions.all():
            calendar.add_component(
                _vevent(
                    session=session,
                    event=event,
                    language=event_language,
                    stamp=stamp,
                    registration=registration,
                    parts=parts,
                    uid_domain=domain,
                )
            )
    return _to_ical(calendar, tzids)


# --- building blocks ---------------------------------------------------------------------------


def _language(code: str | None, event: Event) -> str:
    return normalize_language(code) or event.default_language


def _uid_domain() -> str:
    return getattr(settings, "CALENDAR_UID_DOMAIN", None) or urlsplit(settings.SITE_URL).hostname or "localhost"


def session_uid(session: Session, domain: str | None = None) -> str:
    """Stable across renders, moves and cancellation: calendar apps match updates by it.
    A feed passes ``domain`` once for all its sessions."""
    return f"session-{session.pk}@{domain or _uid_domain()}"


def event_url(event: Event) -> str:
    return f"{settings.SITE_URL}/events/{event.slug}/"


def _calendar(*, method: str | None, name: str | None = None, refresh: bool = False) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    if method:
        calendar.add("method", method)
    if name:
        calendar.calendar_name = name  # NAME (RFC 7986) and X-WR-CALNAME (what most clients read)
    if refresh:
        # RFC 7986 requires VALUE=DURATION here; Outlook only reads X-PUBLISHED-TTL.
        calendar.add("refresh-interval", FEED_REFRESH, parameters={"VALUE": "DURATION"})
        calendar.add("x-published-ttl", vDuration(FEED_REFRESH))
    return calendar


@dataclasses.dataclass(frozen=True)
class _EventParts:
    """What every VEVENT of one event says alike, in one language: worked out once per event and
    feed, not once per session (a 1,000-session feed has ~100 events)."""

    title: str
    description_head: str
    url: str
    location: str | None
    geo: tuple[float, float] | None
    organizer: vCalAddress | None
    zone: ZoneInfo
    fallbacks: list[str]


def _event_parts(event: Event, language: str, venue) -> _EventParts:
    organization = event.organization
    fallbacks = [event.default_language, organization.default_language]
    location = geo = None
    if venue is not None:
        place = [pick(venue.name, language, fallbacks), pick(venue.address, language, fallbacks)]
        location = ", ".join(part for part in place if part)
        if venue.latitude is not None and venue.longitude is not None:
            geo = (float(venue.latitude), float(venue.longitude))
    elif event.online_url:
        location = event.online_url
    organizer = None
    organizer_email = organization.contact_email or parseaddr(settings.DEFAULT_FROM_EMAIL)[1]
    if organizer_email:
        organizer_name = pick(organization.name, language, fallbacks) or organization.slug
        organizer = vCalAddress.new(organizer_email, cn=organizer_name)
    url = event_url(event)
    description = [pick(event.summary, language, fallbacks)]
    if venue is not None and event.online_url:
        description.append(event.online_url)
    description.append(url)
    return _EventParts(
        title=pick(event.title, language, fallbacks),
        description_head="\n\n".join(line for line in description if line),
        url=url,
        location=location,
        geo=geo,
        organizer=organizer,
        zone=ZoneInfo(event.timezone),
        fallbacks=fallbacks,
    )


class _Parts(dict):
    """Per-render memo of ``_EventParts`` by (event, venue, language)."""

    def of(self, event: Event, language: str, venue) -> _EventParts:
        key = (event.pk, venue.pk if venue is not None else None, language)
        parts = self.get(key)
        if parts is None:
            parts = self[key] = _event_parts(event, language, venue)
        return parts


def _vevent(
    *,
    session: Session,
    event: Event,
    language: str,
    stamp: dt.datetime,
    registration: Registration | None = None,
    cancelling: bool = False,
    parts: _Parts | None = None,
    uid_domain: str | None = None,
) -> VEvent:
    """One session as a VEVENT. ``cancelling`` marks an iTIP CANCEL, which must raise SEQUENCE.

    A feed passes one ``parts`` memo and its ``uid_domain`` for all its sessions."""
    registration_ended = registration is not None and registration.status in ENDED_REGISTRATION
    cancelled = cancelling or session.is_cancelled or event.status == Event.Status.CANCELLED or registration_ended
    venue = session.effective_venue
    shared = (parts if parts is not None else _Parts()).of(event, language, venue)

    summary = shared.title
    session_title = pick(session.title, language, shared.fallbacks) if session.title else ""
    if session_title:
        summary = f"{summary} — {session_title}"

    vevent = VEvent()
    vevent.add("uid", session_uid(session, uid_domain))
    vevent.add("dtstamp", stamp)
    vevent.add("sequence", session.sequence + 1 if cancelling else session.sequence)
    vevent.add("dtstart", session.starts_at.astimezone(shared.zone))
    vevent.add("dtend", session.ends_at.astimezone(shared.zone))
    vevent.add("summary", summary)
    vevent.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    if cancelled:
        vevent.add("transp", "TRANSPARENT")  # a cancelled session no longer makes anyone busy
    vevent.add("description", shared.description_head)
    vevent.add("url", shared.url)
    if shared.location:
        vevent.add("location", shared.location)
    if shared.geo is not None:
        vevent.add("geo", shared.geo)
    if shared.organizer is not None:
        vevent.add("organizer", shared.organizer)

    if registration is not None:
        vevent.add(
            "attendee",
            vCalAddress.new(
                registration.email,
                cn=registration.name,
                role="REQ-PARTICIPANT",
                partstat=_partstat(registration),
                rsvp=False,
            ),
        )
    return vevent


def _partstat(registration: Registration) -> str:
    if registration.status in ENDED_REGISTRATION:
        return "DECLINED"
    if registration.status == Registration.Status.CONFIRMED:
        return "ACCEPTED"
    return "TENTATIVE"  # waitlisted or awaiting payment: not a seat yet


_PREFERENCE = {
    Registration.Status.CONFIRMED: 3,
    Registration.Status.PENDING_PAYMENT: 2,
    Registration.Status.PENDING_EMAIL: 2,
    Registration.Status.WAITLISTED: 1,
}


def _one_per_event(registrations: Iterable[Registration]) -> list[Registration]:
    """One registration per event: confirmed, else awaiting payment, else waitlisted, else ended; newest wins ties."""
    chosen: dict[int, Registration] = {}
    for registration in registrations:
        current = chosen.get(registration.event_id)
        if current is None or _rank(registration) > _rank(current):
            chosen[registration.event_id] = registration
    return list(chosen.values())


def _rank(registration: Registration) -> tuple[int, int]:
    return _PREFERENCE.get(registration.status, 0), registration.pk or 0


def _to_ical(calendar: Calendar, tzids: Iterable[str] | None = None) -> bytes:
    """Serialize, with a VTIMEZONE first for every TZID the events use (``tzids`` when the caller
    knows them: finding them means walking every property of every event)."""
    tzids = calendar.get_missing_tzids() if tzids is None else set(tzids)
    zones = [_vtimezone(tzid) for tzid in sorted(tzids)]
    calendar.subcomponents[:0] = [zone for zone in zones if zone is not None]
    return calendar.to_ical()


# --- VTIMEZONE ---------------------------------------------------------------------------------
#
# icalendar's Timezone.from_tzid() lists every transition as RDATEs. That is valid RFC 5545, but
# Outlook ignores such definitions (events in summer time come out an hour off) and vobject reads
# only the first date of an RDATE list. So we write them the way Google and Outlook do: one
# observance per yearly rule ("last Sunday of March at 02:00"), with UNTIL where the rule later
# changed; irregular transitions (Iran, Morocco) stay as dates, one RDATE a line.
#
# The span is fixed, so a TZID gets the same definition in every file we serve (clients cache
# definitions by TZID), and it starts where our data starts, so most zones need only their
# current rules, which is all Outlook understands.
VTIMEZONE_SPAN = (dt.date(2020, 1, 1), dt.date(2050, 1, 1))
_WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
ZERO = dt.timedelta(0)


@dataclasses.dataclass(frozen=True)
class _State:
    offset: dt.timedelta
    name: str
    dst: dt.timedelta


@dataclasses.dataclass(frozen=True)
class _Transition:
    utc: dt.datetime  # the first instant of the new state
    local: dt.datetime  # naive wall-clock time of that instant in the old offset (RFC 5545 DTSTART)
    before: _State
    after: _State

    @property
    def into_daylight(self) -> bool:
        # tzdata gives Europe/Dublin negative DST (winter GMT is the "saving"); clients and Windows
        # call the higher offset of the pair daylight, so we do too. Only the label changes.
        return self.after.dst > ZERO or (self.before.dst < ZERO and self.after.dst == ZERO)

    def ordinals(self) -> set[int]:
        """The BYDAY ordinals naming this day in its month: 1..4, and -1 when it is the last such day."""
        day, month_days = self.local.day, calendar_module.monthrange(self.local.year, self.local.month)[1]
        ordinals = {(day - 1) // 7 + 1} if day <= 28 else set()
        return ordinals | ({-1} if day + 7 > month_days else set())


@functools.cache
def _vtimezone(tzid: str) -> Timezone | None:
    """The VTIMEZONE for ``tzid`` over VTIMEZONE_SPAN; cached, as finding transitions takes ~20 ms."""
    try:
        zone = ZoneInfo(tzid)
    except (ValueError, zoneinfo.ZoneInfoNotFoundError):
        return None
    start = dt.datetime.combine(VTIMEZONE_SPAN[0], dt.time(), tzinfo=dt.UTC)
    transitions = _transitions(zone, start=start, end=dt.datetime.combine(VTIMEZONE_SPAN[1], dt.time(), tzinfo=dt.UTC))
    observances: list[tuple[dt.datetime, TimezoneStandard | TimezoneDaylight]] = []
    state = _state(start, zone)
    standard_offsets = {transition.after.offset for transition in transitions if not transition.into_daylight}
    if not transitions or not transitions[0].into_daylight or standard_offsets != {state.offset}:
        # Before its first onset a VTIMEZONE is undefined and clients guess "standard time": say
        # what the zone is at the start unless that guess is right (plain northern-hemisphere DST).
        local = dt.datetime.combine(VTIMEZONE_SPAN[0], dt.time())
        observances.append((local, _observance(before=state, after=state, daylight=state.dst > ZERO, onsets=[local])))
    groups: dict[tuple[_State, _State], list[_Transition]] = {}
    for transition in transitions:
        groups.setdefault((transition.before, transition.after), []).append(transition)
    for (before, after), members in groups.items():
        singles: list[dt.datetime] = []
        for run in _yearly_runs(members):
            if len(run) == 1:
                singles.append(run[0].local)
                continue
            observance = _observance(before=before, after=after, daylight=run[0].into_daylight, onsets=[run[0].local])
            first = run[0].local
            shared = set.intersection(*(transition.ordinals() for transition in run))
            ordinal = -1 if -1 in shared else min(shared)  # "last Sunday" stays right when a 5th one exists
            rule = {"freq": "YEARLY", "bymonth": first.month, "byday": f"{ordinal}{_WEEKDAYS[first.weekday()]}"}
            if run[-1].local.year < VTIMEZONE_SPAN[1].year - 1:
                # The rule changed later: end it there. UNTIL is UTC (RFC 5545) and inclusive; a day
                # of slack keeps the last onset for parsers that compare it with local time (dateutil).
                rule["until"] = run[-1].utc + dt.timedelta(days=1)
            observance.add("rrule", vRecur(rule))
            observances.append((first, observance))
        if singles:
            daylight = members[0].into_daylight
            observances.append((singles[0], _observance(before=before, after=after, daylight=daylight, onsets=singles)))
    vtimezone = Timezone()
    vtimezone.add("tzid", tzid)
    for _first, observance in sorted(observances, key=lambda item: item[0]):
        vtimezone.add_component(observance)
    return vtimezone


def _state(instant: dt.datetime, zone: ZoneInfo) -> _State:
    local = instant.astimezone(zone)
    offset = local.utcoffset()
    return _State(offset=offset, name=local.tzname() or _offset_name(offset), dst=local.dst() or ZERO)


def _transitions(zone: ZoneInfo, *, start: dt.datetime, end: dt.datetime) -> list[_Transition]:
    """Every change of offset or name between ``start`` and ``end``: a daily scan, then bisection."""
    day = dt.timedelta(days=1)
    found: list[_Transition] = []
    instant, current = start, _state(start, zone)
    while instant < end:
        if _state(instant + day, zone) != current:
            low, high = instant, instant + day
            while high - low > dt.timedelta(seconds=1):  # tzdata resolves to whole seconds
                middle = low + dt.timedelta(seconds=(high - low).total_seconds() // 2)
                low, high = (middle, high) if _state(middle, zone) == current else (low, middle)
            after = _state(high, zone)
            local = (high + current.offset).replace(tzinfo=None)
            found.append(_Transition(utc=high, local=local, before=current, after=after))
            current, instant = after, high
        else:
            instant += day
    return found


def _yearly_runs(transitions: list[_Transition]) -> list[list[_Transition]]:
    """Split into runs that one yearly RRULE describes: consecutive years, same month, weekday,
    time and a shared BYDAY ordinal."""
    runs: list[list[_Transition]] = []
    ordinals: set[int] = set()
    for transition in transitions:
        if runs:
            previous, local = runs[-1][-1].local, transition.local
            shared = ordinals & transition.ordinals()
            same_slot = (local.month, local.weekday(), local.time()) == (
                previous.month,
                previous.weekday(),
                previous.time(),
            )
            if shared and same_slot and local.year == previous.year + 1:
                runs[-1].append(transition)
                ordinals = shared
                continue
        runs.append([transition])
        ordinals = transition.ordinals()
    return runs


def _observance(
    *, before: _State, after: _State, daylight: bool, onsets: list[dt.datetime]
) -> TimezoneStandard | TimezoneDaylight:
    observance = TimezoneDaylight() if daylight else TimezoneStandard()
    observance.add("tzname", after.name)
    observance.TZOFFSETFROM = before.offset
    observance.TZOFFSETTO = after.offset
    observance.DTSTART = onsets[0]
    for onset in onsets[1:]:
        observance.add("rdate", onset)  # one a line: some parsers read only the first of a list
    return observance


def _offset_name(offset: dt.timedelta) -> str:
    minutes = int(offset.total_seconds()) // 60
    sign = "+" if minutes >= 0 else "-"
    return f"{sign}{abs(minutes) // 60:02d}{abs(minutes) % 60:02d}"
