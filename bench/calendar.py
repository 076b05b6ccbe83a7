"""Calendar feeds, which every subscribed calendar polls: cold render, cached render and 304.

    .venv/bin/python -m bench.calendar [--events 100] [--sessions 10] [--repeat 7]

Loads ``--events`` published events of ``--sessions`` sessions each (fresh PostgreSQL database
``huiguan_bench_calendar``; 1,000 sessions by default, in three languages, several venues and
time zones), then times in-process, median of ``--repeat`` runs:

- **bare icalendar**: the same rows, already in memory, turned into the same VEVENT properties
  with the icalendar library and serialized. What any feed must at least spend.
- **bare icalendar + rows**: the same, with the one query that reads the rows.
- **cold**: ``GET /api/v1/calendar.ics`` with nothing cached (the whole request: routing,
  queries, rendering, headers).
- **warm**: the same request again (nothing changed: the rendered feed is reused).
- **304**: a calendar app's poll with the ETag it got (``If-None-Match``).
- **after a change**: one session moved, the next poll renders again (new ETag).

Target (issue 18): cold ≤ 1.5 × bare icalendar; a repeat poll with its validator → 304.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import time

from bench import harness

LANGUAGES = ["en", "zh-hans", "ja"]
ZONES = ["Asia/Shanghai", "Europe/Berlin", "Asia/Tokyo", "America/New_York"]


def load(*, events: int, sessions: int) -> None:
    from django.utils import timezone

    from events.models import Event, Session
    from organizations.models import Organization, Venue

    organization = Organization.objects.create(
        slug="bench-calendar", name={"en": "Chaoyang International Hub", "zh-hans": "朝阳国际中心"}
    )
    venues = [
        Venue.objects.create(
            organization=organization,
            name={"en": f"Hall {n}", "zh-hans": f"{n}号厅", "ja": f"{n}号ホール"},
            address={"en": f"{n} Community Road", "zh-hans": f"社区路{n}号"},
            latitude=39.9 + n / 100,
            longitude=116.4 + n / 100,
        )
        for n in range(5)
    ]
    start = timezone.now().replace(minute=0, second=0, microsecond=0) + dt.timedelta(days=1)
    event_rows = [
        Event(
            organization=organization,
            slug=f"bench-event-{n}",
            default_language=LANGUAGES[n % 3],
            title={"en": f"Calligraphy evening {n}", "zh-hans": f"书法之夜 {n}", "ja": f"書道の夕べ {n}"},
            summary={"en": "Brush, ink and paper.", "zh-hans": "笔、墨、纸。", "ja": "筆と墨と紙。"},
            timezone=ZONES[n % len(ZONES)],
            venue=venues[n % len(venues)],
            capacity=30,
            status=Event.Status.PUBLISHED,
        )
        for n in range(events)
    ]
    for event in event_rows:
        event.search_text = event.build_search_text()
    Event.objects.bulk_create(event_rows)
    Session.objects.bulk_create(
        Session(
            event=event,
            starts_at=start + dt.timedelta(days=7 * k, hours=n % 12),
            ends_at=start + dt.timedelta(days=7 * k, hours=n % 12 + 2),
            title={"en": f"Lesson {k + 1}", "zh-hans": f"第{k + 1}课"} if k % 2 else {},
        )
        for n, event in enumerate(Event.objects.filter(slug__startswith="bench-event-").order_by("pk"))
        for k in range(sessions)
    )


def bare_rows():
    """The rows a feed shows, in one query (what the bare serialization starts from)."""
    from events.models import Session

    return list(
        Session.objects.filter(event__status="published")
        .values(
            "pk",
            "sequence",
            "starts_at",
            "ends_at",
            "status",
            "title",
            "event__title",
            "event__summary",
            "event__slug",
            "event__timezone",
            "event__default_language",
            "event__venue__name",
            "event__venue__address",
            "event__venue__latitude",
            "event__venue__longitude",
            "event__organization__name",
            "event__organization__contact_email",
        )
        .order_by("starts_at", "pk")
    )


def bare_serialize(rows, language: str = "en") -> bytes:
    """The same VEVENT properties straight from the rows with icalendar, nothing of ours."""
    from zoneinfo import ZoneInfo

    from icalendar import Calendar, Event, vCalAddress

    calendar = Calendar()
    calendar.add("prodid", "-//bench//EN")
    calendar.add("version", "2.0")
    stamp = dt.datetime.now(dt.UTC)
    for row in rows:
        zone = ZoneInfo(row["event__timezone"])
        title = row["event__title"].get(language) or next(iter(row["event__title"].values()))
        vevent = Event()
        vevent.add("uid", f"session-{row['pk']}@example.org")
        vevent.add("dtstamp", stamp)
        vevent.add("sequence", row["sequence"])
        vevent.add("dtstart", row["starts_at"].astimezone(zone))
        vevent.add("dtend", row["ends_at"].astimezone(zone))
        vevent.add("summary", title)
        vevent.add("status", "CONFIRMED")
        vevent.add("description", (row["event__summary"].get(language) or "") + "\n\nhttps://example.org/")
        vevent.add("url", f"https://example.org/events/{row['event__slug']}/")
        vevent.add(
            "location", f"{row['event__venue__name'].get(language)}, {row['event__venue__address'].get(language)}"
        )
        vevent.add("geo", (float(row["event__venue__latitude"]), float(row["event__venue__longitude"])))
        vevent.add("organizer", vCalAddress.new("hello@example.org", cn="Org"))
        calendar.add_component(vevent)
    return calendar.to_ical()


def median_ms(fn, repeat: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=100)
    parser.add_argument("--sessions", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()

    url = harness.fresh_database("huiguan_bench_calendar")
    harness.django_setup(url)
    from django.core.cache import cache
    from django.test import Client
    from django.utils import timezone

    from events.models import Session

    load(events=args.events, sessions=args.sessions)
    client = Client(HTTP_HOST="127.0.0.1")
    feed = "/api/v1/calendar.ics?lang=en"

    def get(**headers):
        response = client.get(feed, **headers)
        assert response.status_code in (200, 304), response.status_code
        return response

    def cold():
        cache.clear()
        return get()

    rows = bare_rows()
    bare_ms, bare_body = median_ms(lambda: bare_serialize(rows), args.repeat)
    bare_query_ms, _ = median_ms(lambda: bare_serialize(bare_rows()), args.repeat)
    get()  # import and compile once: not part of a poll
    cold_ms, response = median_ms(cold, args.repeat)
    body, etag = response.content, response.get("ETag", "")
    warm_ms, _ = median_ms(get, args.repeat)
    poll_ms, polled = median_ms(lambda: get(HTTP_IF_NONE_MATCH=etag), args.repeat)
    session = Session.objects.order_by("pk").first()
    Session.objects.filter(pk=session.pk).update(
        starts_at=session.starts_at + dt.timedelta(hours=1),
        ends_at=session.ends_at + dt.timedelta(hours=1),
        sequence=session.sequence + 1,
        updated_at=timezone.now(),
    )
    changed = get(HTTP_IF_NONE_MATCH=etag)

    print(f"Calendar feed benchmark — {harness.machine()}, PostgreSQL, in-process, median of {args.repeat}")
    sessions = body.count(b"BEGIN:VEVENT")
    print(
        f"Feed: {sessions} sessions of {args.events} events, "
        f"{len(body) / 1e3:.0f} kB ({len(bare_body) / 1e3:.0f} kB bare)"
    )
    print(f"{'':<40} {'time':>10} {'× bare':>8}")
    for label, ms in (
        ("bare icalendar (rows in memory)", bare_ms),
        ("bare icalendar + the rows' query", bare_query_ms),
        ("GET feed, cold (nothing cached)", cold_ms),
        ("GET feed, warm (rendered feed reused)", warm_ms),
        ("GET feed with If-None-Match (304)", poll_ms),
    ):
        print(f"{label:<40} {ms:>7.1f} ms {ms / bare_ms:>7.2f}×")
    new_etag = changed.get("ETag") != etag
    print(f"poll status: {polled.status_code}; after a session moved: {changed.status_code} (new ETag: {new_etag})")
    verdict = (
        "met" if cold_ms <= 1.5 * bare_ms and polled.status_code == 304 and changed.status_code == 200 else "NOT met"
    )
    print(f"Target (cold ≤ 1.5 × bare icalendar, repeat poll → 304, change → 200): {verdict}")


if __name__ == "__main__":
    main()
