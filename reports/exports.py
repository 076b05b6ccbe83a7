"""CSV versions of every report table, streamed (UTF-8 with a BOM so Excel reads Chinese and
Japanese, times in the event's or organization's time zone).

Small tables (sessions, languages, answers, arrivals, months) are written from the report dicts;
the long ones (attendance, feedback) stream straight from a database cursor
(``.iterator(chunk_size=…)``), so a 50,000-seat event never sits in memory.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator

from django.http import StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import gettext

from audit import services as audit
from common.i18n import active_language
from common.spreadsheets import csv_response, safe
from events.models import Event
from notifications.models import Feedback
from organizations.models import Organization
from reports.selectors import attendance_table
from reports.selectors.common import event_sessions, zone
from reports.selectors.events import answer_counts, languages, registration_counts, session_arrivals, session_figures

CHUNK_SIZE = 2000


def _local(value: dt.datetime | None, tz) -> str:
    return value.astimezone(tz).isoformat(timespec="minutes") if value else ""


def _rate(value: float | None) -> str:
    return "" if value is None else f"{value:.4f}"


# --- event tables ------------------------------------------------------------------------------------


def sessions_table(event: Event) -> tuple[list[str], Iterable[list]]:
    figures = session_figures(
        event=event,
        sessions=event_sessions(event=event),
        confirmed_seats=registration_counts(event=event)["confirmed"]["seats"],
        now=timezone.now(),
        language=active_language(),
    )
    tz = zone(event.timezone)
    header = [
        "session_id",
        "starts_at",
        "ends_at",
        "status",
        "held",
        "confirmed_seats",
        "checked_in",
        "checked_in_confirmed",
        "attendance_rate",
        "no_show_rate",
        "arrivals",
    ]
    rows = [
        [
            s["id"],
            _local(s["starts_at"], tz),
            _local(s["ends_at"], tz),
            s["status"],
            int(s["held"]),
            s["confirmed_seats"],
            s["checked_in"],
            s["checked_in_confirmed"],
            _rate(s["attendance_rate"]),
            _rate(s["no_show_rate"]),
            s["arrivals"]["total"],
        ]
        for s in figures
    ]
    return header, rows


def arrivals_table(event: Event) -> tuple[list[str], Iterable[list]]:
    sessions = event_sessions(event=event)
    by_session = session_arrivals(event=event, sessions=sessions)
    tz = zone(event.timezone)
    header = ["session_id", "session_starts_at", "bucket_starts_at", "offset_minutes", "arrivals"]
    rows = []
    for session in sessions:
        arrivals = by_session[session.pk]
        start = _local(session.starts_at, tz)
        rows.append([session.pk, start, "earlier", "", arrivals["earlier"]])
        rows += [
            [session.pk, start, _local(b["starts_at"], tz), b["offset_minutes"], b["arrivals"]]
            for b in arrivals["buckets"]
        ]
        rows.append([session.pk, start, "later", "", arrivals["later"]])
    return header, rows


def languages_table(event: Event) -> tuple[list[str], Iterable[list]]:
    header = ["language", "label", "registrations", "seats", "checked_in"]
    rows = [[r["code"], r["label"], r["registrations"], r["seats"], r["checked_in"]] for r in languages(event=event)]
    return header, rows


def answers_table(event: Event) -> tuple[list[str], Iterable[list]]:
    header = ["question", "question_label", "answer", "answer_label", "registrations", "seats"]
    rows = []
    for question in answer_counts(event=event, language=active_language()):
        for answer in question["answers"]:
            value = answer["value"]
            value = str(value).lower() if isinstance(value, bool) else value
            rows.append(
                [question["key"], question["label"], value, answer["label"], answer["registrations"], answer["seats"]]
            )
        unanswered = question["unanswered"]
        rows.append(
            [
                question["key"],
                question["label"],
                "",
                gettext("No answer"),
                unanswered["registrations"],
                unanswered["seats"],
            ]
        )
    return header, rows


def feedback_table(event: Event) -> tuple[list[str], Iterable[list]]:
    tz = zone(event.timezone)
    header = ["feedback_id", "registration_id", "rating", "language", "comment", "created_at"]
    queryset = (
        Feedback.objects.filter(registration__event_id=event.pk)
        .order_by("created_at", "id")
        .values_list("id", "registration_id", "rating", "language", "comment", "created_at")
    )
    rows = (
        [pk, registration_id, rating, language, safe(comment), _local(created_at, tz)]
        for pk, registration_id, rating, language, comment, created_at in queryset.iterator(chunk_size=CHUNK_SIZE)
    )
    return header, rows


def attendance_csv_table(event: Event) -> tuple[list[str], Iterable[list]]:
    """One row per participant (seat of a confirmed registration), one column per session with the
    local time of their first check-in there; for courses, completion at the end."""
    table = attendance_table(event=event)
    tz = zone(event.timezone)
    is_course = event.kind == Event.Kind.COURSE
    header = ["registration_id", "seat", "name", "registrant", "email", "language"]
    header += [f"session {_local(s.starts_at, tz)}" for s in table.sessions]
    header += ["sessions_attended", "sessions_held"]
    if is_course:
        header += ["completion", "completed"]
    held = len(table.held_ids)
    columns = [table.column(s) for s in table.sessions]

    def rows() -> Iterator[list]:
        # Plain tuples, not model instances: a 50,000-seat event streams twice as fast.
        values = table.rows.values_list(
            "registration_id",
            "position",
            "name",
            "registration__name",
            "registration__email",
            "registration__language",
            "attended",
            *columns,
        )
        for registration_id, position, name, registrant, email, language, attended, *times in values.iterator(
            chunk_size=CHUNK_SIZE
        ):
            row = [registration_id, position, safe(name), safe(registrant), safe(email), language]
            row += [_local(value, tz) for value in times]
            row += [attended, held]
            if is_course:
                completed = int(bool(held) and attended >= table.needed)
                row += [f"{attended / held:.4f}" if held else "", completed]
            yield row

    return header, rows()


EVENT_TABLES: dict[str, Callable[[Event], tuple[list[str], Iterable[list]]]] = {
    "sessions": sessions_table,
    "arrivals": arrivals_table,
    "languages": languages_table,
    "answers": answers_table,
    "feedback": feedback_table,
    "attendance": attendance_csv_table,
}


def event_csv(*, event: Event, table: str, actor) -> StreamingHttpResponse:
    audit.record_export(actor=actor, organization_id=event.organization_id, event=event, table=table)
    header, rows = EVENT_TABLES[table](event)
    stamp = timezone.now().strftime("%Y%m%d")
    return csv_response(header=header, rows=rows, filename=f"{event.slug}-{table}-{stamp}.csv")


# --- organization tables -----------------------------------------------------------------------------

FIGURES = [
    "events_held",
    "registrations",
    "confirmed_seats",
    "expected_attendances",
    "attendances",
    "attendance_rate",
]


def organization_csv(
    *, organization: Organization, report: dict, table: str, actor, query: str = ""
) -> StreamingHttpResponse:
    audit.record_export(actor=actor, organization_id=organization.pk, table=table, query=query)
    tz = zone(organization.timezone)
    if table == "months":
        header = ["month", *FIGURES, "unique_participants", "returning_participants"]
        rows = [
            [
                m["month"],
                *(_rate(m[f]) if f == "attendance_rate" else m[f] for f in FIGURES),
                m["unique_participants"],
                m["returning_participants"],
            ]
            for m in report["months"]
        ]
    else:
        header = [
            "event",
            "title",
            "kind",
            "month",
            "first_held_at",
            "held_sessions",
            "registrations",
            "confirmed_seats",
            "expected_attendances",
            "attendances",
            "attendance_rate",
        ]
        rows = [
            [
                e["slug"],
                safe(e["title"]),
                e["kind"],
                e["month"],
                _local(e["first_held_at"], tz),
                e["held_sessions"],
                e["registrations"],
                e["confirmed_seats"],
                e["expected_attendances"],
                e["attendances"],
                _rate(e["attendance_rate"]),
            ]
            for e in report["events"]
        ]
    filename = f"{organization.slug}-{table}-{report['from']:%Y%m%d}-{report['to']:%Y%m%d}.csv"
    return csv_response(header=header, rows=rows, filename=filename)


ORGANIZATION_TABLES = ("months", "events")
