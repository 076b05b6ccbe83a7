"""An organization over a date range: events held, registrations, attendance, participants, by month.

Definitions (the range is a span of calendar days in the organization's time zone, both ends
included):

- an event is **held in the range** when at least one of its sessions was held (not cancelled,
  already started) with a start inside the range; drafts never count. It belongs to the
  **month** of its first such session, so months add up to the totals (a course running from
  March into April is a March event; its April sessions still count towards its attendance);
- **registrations**: every registration of those events, whatever its status;
- **attendance rate** = check-ins / expected check-ins, where expected = confirmed seats ×
  sessions held in the range, and check-ins are distinct (confirmed ticket, held session) pairs;
- **participants** are the email addresses of confirmed registrations of those events;
  **returning** ones were confirmed at two or more of them. Per month, both are counted among
  that month's events (a person at one March and one April event is returning in neither
  month, and returning in the range).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import connection
from django.db.models import Case, CharField, Count, Min, Q, QuerySet, Sum, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from checkin.models import CheckIn
from common.exceptions import InvalidInput
from common.i18n import active_language
from events.models import Event, Session
from organizations.models import Organization
from registrations.models import Registration
from reports.selectors.common import CONFIRMED, EFFECTIVE_IN, rate, zone

MAX_RANGE_DAYS = 3660  # ten years of months is plenty for one page


@dataclass(frozen=True)
class DateRange:
    first: dt.date
    last: dt.date

    def months(self) -> list[dt.date]:
        month = self.first.replace(day=1)
        months = []
        while month <= self.last:
            months.append(month)
            month = (month + dt.timedelta(days=32)).replace(day=1)
        return months


def parse_date_range(*, date_from: str | None, date_to: str | None, organization: Organization, now=None) -> DateRange:
    """``?from=&to=`` (YYYY-MM-DD, both included). Default: the last twelve months up to today.
    Raises InvalidInput (400) for unreadable, reversed or overlong ranges."""
    today = timezone.localtime(now or timezone.now(), zone(organization.timezone)).date()
    errors: dict[str, list[str]] = {}
    parsed: dict[str, dt.date | None] = {}
    for name, value in (("from", date_from), ("to", date_to)):
        if value in (None, ""):
            parsed[name] = None
            continue
        try:
            parsed[name] = dt.date.fromisoformat(value)
        except ValueError:
            errors[name] = [_("Enter a date as YYYY-MM-DD.")]
    if errors:
        raise InvalidInput(fields=errors)
    last = parsed["to"] or today
    first = parsed["from"] or (last.replace(day=1) - dt.timedelta(days=330)).replace(day=1)
    if first > last:
        raise InvalidInput(fields={"from": [_("The start date is after the end date.")]})
    if (last - first).days > MAX_RANGE_DAYS:
        raise InvalidInput(fields={"to": [_("Choose a range of at most ten years.")]})
    return DateRange(first=first, last=last)


def _held_in_range(*, start: dt.datetime, end: dt.datetime, now: dt.datetime, prefix: str = "") -> Q:
    return Q(**{f"{prefix}starts_at__gte": start, f"{prefix}starts_at__lt": end, f"{prefix}starts_at__lte": now}) & ~Q(
        **{f"{prefix}status": Session.Status.CANCELLED}
    )


def organization_events_held(*, organization: Organization, start, end, now) -> QuerySet[Event]:
    held = _held_in_range(start=start, end=end, now=now, prefix="sessions__")
    return (
        Event.objects.filter(organization_id=organization.pk)
        .exclude(status=Event.Status.DRAFT)
        .annotate(first_held_at=Min("sessions__starts_at", filter=held), held_sessions=Count("sessions", filter=held))
        .filter(held_sessions__gt=0)
        .select_related("organization")
        .order_by("first_held_at", "id")
    )


def _participants(registrations: QuerySet[Registration], group: str | None) -> dict:
    """Distinct emails, and those at two or more events, optionally per ``group`` (an annotation):
    one query, the per-email counting wrapped in the database."""
    fields = [group, "email"] if group else ["email"]
    inner = registrations.values(*fields).annotate(event_count=Count("event_id", distinct=True)).order_by()
    sql, params = inner.query.sql_with_params()
    quote = connection.ops.quote_name
    group_sql = f"{quote(group)}, " if group else ""
    outer = (
        f"SELECT {group_sql}COUNT(*), SUM(CASE WHEN {quote('event_count')} >= 2 THEN 1 ELSE 0 END) "
        f"FROM ({sql}) per_email" + (f" GROUP BY {quote(group)}" if group else "")
    )
    with connection.cursor() as cursor:
        cursor.execute(outer, params)
        rows = cursor.fetchall()
    if group:
        return {row[0]: {"unique": row[1], "returning": row[2] or 0} for row in rows}
    unique, returning = rows[0] if rows else (0, 0)
    return {"unique": unique or 0, "returning": returning or 0}


def _figures(*, events: int, registrations: int, seats: int, expected: int, attended: int) -> dict:
    return {
        "events_held": events,
        "registrations": registrations,
        "confirmed_seats": seats,
        "expected_attendances": expected,
        "attendances": attended,
        "attendance_rate": rate(attended, expected),
    }


def organization_report(
    *, organization: Organization, date_range: DateRange, now: dt.datetime | None = None, language: str | None = None
) -> dict:
    now = now or timezone.now()
    language = language or active_language()
    tz = zone(organization.timezone)
    start = dt.datetime.combine(date_range.first, dt.time(0), tzinfo=tz)
    end = dt.datetime.combine(date_range.last + dt.timedelta(days=1), dt.time(0), tzinfo=tz)

    events = list(organization_events_held(organization=organization, start=start, end=end, now=now))
    ids = [event.pk for event in events]
    month_of = {event.pk: timezone.localtime(event.first_held_at, tz).strftime("%Y-%m") for event in events}

    counts = {
        row.pop("event_id"): row
        for row in Registration.objects.filter(event_id__in=ids)
        .values("event_id")
        .annotate(
            registrations=Count("id"),
            confirmed_seats=Coalesce(Sum("party_size", filter=Q(status=CONFIRMED)), 0),
        )
        .order_by()
    }
    attended: dict[int, int] = {}
    for row in (
        CheckIn.objects.filter(EFFECTIVE_IN, registration__status=CONFIRMED, session__event_id__in=ids)
        .filter(_held_in_range(start=start, end=end, now=now, prefix="session__"))
        .values("session__event_id", "session_id")
        .annotate(tickets=Count("ticket_id", distinct=True))
        .order_by()
    ):
        attended[row["session__event_id"]] = attended.get(row["session__event_id"], 0) + row["tickets"]

    confirmed = Registration.objects.filter(event_id__in=ids, status=CONFIRMED)
    totals_people = _participants(confirmed, None) if ids else {"unique": 0, "returning": 0}
    month_people: dict[str, dict] = {}
    if ids:
        by_month: dict[str, list[int]] = {}
        for event_id, month in month_of.items():
            by_month.setdefault(month, []).append(event_id)
        month_case = Case(
            *(When(event_id__in=event_ids, then=Value(month)) for month, event_ids in by_month.items()),
            output_field=CharField(),
        )
        month_people = _participants(confirmed.annotate(month=month_case), "month")

    event_rows = []
    for event in events:
        row = counts.get(event.pk, {"registrations": 0, "confirmed_seats": 0})
        expected = row["confirmed_seats"] * event.held_sessions
        event_rows.append(
            {
                "slug": event.slug,
                "title": event.t("title", language),
                "kind": event.kind,
                "month": month_of[event.pk],
                "first_held_at": event.first_held_at,
                "held_sessions": event.held_sessions,
                "registrations": row["registrations"],
                "confirmed_seats": row["confirmed_seats"],
                "expected_attendances": expected,
                "attendances": attended.get(event.pk, 0),
                "attendance_rate": rate(attended.get(event.pk, 0), expected),
            }
        )

    months = []
    for month in date_range.months():
        key = month.strftime("%Y-%m")
        rows = [row for row in event_rows if row["month"] == key]
        people = month_people.get(key, {"unique": 0, "returning": 0})
        months.append(
            {
                "month": key,
                "label": date_format(month, "YEAR_MONTH_FORMAT"),
                **_figures(
                    events=len(rows),
                    registrations=sum(r["registrations"] for r in rows),
                    seats=sum(r["confirmed_seats"] for r in rows),
                    expected=sum(r["expected_attendances"] for r in rows),
                    attended=sum(r["attendances"] for r in rows),
                ),
                "unique_participants": people["unique"],
                "returning_participants": people["returning"],
            }
        )
    totals = {
        **_figures(
            events=len(event_rows),
            registrations=sum(r["registrations"] for r in event_rows),
            seats=sum(r["confirmed_seats"] for r in event_rows),
            expected=sum(r["expected_attendances"] for r in event_rows),
            attended=sum(r["attendances"] for r in event_rows),
        ),
        "unique_participants": totals_people["unique"],
        "returning_participants": totals_people["returning"],
    }
    return {
        "organization": organization,
        "from": date_range.first,
        "to": date_range.last,
        "timezone": organization.timezone,
        "generated_at": now,
        "language": language,
        "totals": totals,
        "months": months,
        "events": event_rows,
    }
