"""The event report: registrations, check-ins per session, arrivals, languages, answers, money, feedback.

Every figure is one aggregate query over the event's rows (GROUP BY in the database); Python only
reshapes the few result rows. The number of queries depends on the event's shape (whether it
has choice questions, whether it is a course), never on how many people registered.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

from django.db.models import Avg, Case, Count, F, IntegerField, Q, Sum, Value, When
from django.db.models.fields.json import KeyTransform
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext

from checkin.models import CheckIn
from common.i18n import active_language, pick
from events.models import Event, Question, Session
from notifications.models import Feedback
from registrations.models import Payment, Registration
from reports.selectors.common import (
    CONFIRMED,
    EFFECTIVE_IN,
    event_sessions,
    is_held,
    language_label,
    rate,
    zone,
)
from reports.selectors.courses import course_summary

# Arrivals: 5-minute buckets from an hour before the start to 90 minutes after it.
ARRIVAL_BUCKET_MINUTES = 5
ARRIVALS_FROM_MINUTES = -60
ARRIVALS_TO_MINUTES = 90
BEFORE, AFTER = -1, 10_000  # bucket numbers of the "earlier" and "later" catch-alls
FEEDBACK_COMMENTS_LIMIT = 100
REPORTED_QUESTION_KINDS = (Question.Kind.CHOICE, Question.Kind.CHECKBOX)
STATUSES = [status for status, _label in Registration.Status.choices]


def event_report(*, event: Event, now: dt.datetime | None = None, language: str | None = None) -> dict:
    """Every figure of one event (and, for a course, its completion summary).

    Labels (languages, questions, choices) are in ``language`` (default: the request's).
    """
    now = now or timezone.now()
    language = language or active_language()
    sessions = event_sessions(event=event)
    registrations = registration_counts(event=event)
    overall = event_checkins(event=event)
    confirmed_seats = registrations["confirmed"]["seats"]
    any_held = any(is_held(session, now=now) for session in sessions)
    return {
        "event": event,
        "generated_at": now,
        "language": language,
        "registrations": registrations,
        "checked_in": overall["checked_in"],
        "checked_in_confirmed": overall["checked_in_confirmed"],
        "attendance_rate": rate(overall["checked_in_confirmed"], confirmed_seats) if any_held else None,
        "no_show_rate": rate(confirmed_seats - overall["checked_in_confirmed"], confirmed_seats) if any_held else None,
        "sessions": session_figures(
            event=event, sessions=sessions, confirmed_seats=confirmed_seats, now=now, language=language
        ),
        "languages": languages(event=event),
        "questions": answer_counts(event=event, language=language),
        "door_takings": door_takings(event=event),
        "feedback": feedback_summary(event=event),
        "course": course_summary(event=event, sessions=sessions, now=now) if event.kind == Event.Kind.COURSE else None,
    }


def session_figures(
    *, event: Event, sessions: list[Session], confirmed_seats: int, now: dt.datetime, language: str
) -> list[dict]:
    """Per session: confirmed seats expected, distinct tickets checked in, rates, arrivals (2 queries)."""
    per_session = session_checkins(event=event)
    arrivals = session_arrivals(event=event, sessions=sessions)
    rows = []
    for session in sessions:
        held = is_held(session, now=now)
        expected = confirmed_seats if session.status != Session.Status.CANCELLED else 0
        counts = per_session.get(session.pk, {"checked_in": 0, "checked_in_confirmed": 0})
        came = counts["checked_in_confirmed"]
        rows.append(
            {
                "id": session.pk,
                "title": session.t("title", language),
                "starts_at": session.starts_at,
                "ends_at": session.ends_at,
                "status": session.status,
                "held": held,
                "confirmed_seats": expected,
                "checked_in": counts["checked_in"],
                "checked_in_confirmed": came,
                "attendance_rate": rate(came, expected) if held else None,
                "no_show_rate": rate(expected - came, expected) if held else None,
                "arrivals": arrivals[session.pk],
            }
        )
    return rows


def registration_counts(*, event: Event) -> dict[str, dict[str, int]]:
    """Registrations and seats by status, and in total: one query."""
    aggregates = {"total_registrations": Count("id"), "total_seats": Coalesce(Sum("party_size"), 0)}
    for status in STATUSES:
        aggregates[f"{status}_registrations"] = Count("id", filter=Q(status=status))
        aggregates[f"{status}_seats"] = Coalesce(Sum("party_size", filter=Q(status=status)), 0)
    row = Registration.objects.filter(event_id=event.pk).aggregate(**aggregates)
    return {
        key: {"registrations": row[f"{key}_registrations"], "seats": row[f"{key}_seats"]}
        for key in ("total", *STATUSES)
    }


def _effective_ins(event: Event):
    return CheckIn.objects.filter(EFFECTIVE_IN, session__event_id=event.pk)


def session_checkins(*, event: Event) -> dict[int, dict[str, int]]:
    """Distinct tickets checked in at each session (all, and those of confirmed registrations)."""
    rows = (
        _effective_ins(event)
        .values("session_id")
        .annotate(
            checked_in=Count("ticket_id", distinct=True),
            checked_in_confirmed=Count("ticket_id", distinct=True, filter=Q(registration__status=CONFIRMED)),
        )
        .order_by()
    )
    return {row.pop("session_id"): row for row in rows}


def event_checkins(*, event: Event) -> dict[str, int]:
    """Distinct tickets checked in at any session of the event."""
    return _effective_ins(event).aggregate(
        checked_in=Count("ticket_id", distinct=True),
        checked_in_confirmed=Count("ticket_id", distinct=True, filter=Q(registration__status=CONFIRMED)),
    )


def _bucket_expression() -> Case:
    """Which 5-minute bucket (0, 1, …) an arrival falls in, counted from 60 minutes before the
    session's start; ``BEFORE``/``AFTER`` for earlier and later ones. Comparisons against
    ``starts_at + interval`` work the same on SQLite and PostgreSQL (no epoch arithmetic)."""
    start = F("session__starts_at")
    whens = [When(scanned_at__lt=start + dt.timedelta(minutes=ARRIVALS_FROM_MINUTES), then=Value(BEFORE))]
    count = (ARRIVALS_TO_MINUTES - ARRIVALS_FROM_MINUTES) // ARRIVAL_BUCKET_MINUTES
    for index in range(count):
        upper = ARRIVALS_FROM_MINUTES + (index + 1) * ARRIVAL_BUCKET_MINUTES
        whens.append(When(scanned_at__lt=start + dt.timedelta(minutes=upper), then=Value(index)))
    return Case(*whens, default=Value(AFTER), output_field=IntegerField())


def session_arrivals(*, event: Event, sessions: list[Session]) -> dict[int, dict]:
    """Arrivals over time for every session: first entries (entry 1) by their scan time."""
    rows = (
        _effective_ins(event)
        .filter(entry=1)
        .annotate(bucket=_bucket_expression())
        .values("session_id", "bucket")
        .annotate(arrivals=Count("id"))
        .order_by()
    )
    counts: dict[int, dict[int, int]] = defaultdict(dict)
    for row in rows:
        counts[row["session_id"]][row["bucket"]] = row["arrivals"]
    tz = zone(event.timezone)
    bucket_count = (ARRIVALS_TO_MINUTES - ARRIVALS_FROM_MINUTES) // ARRIVAL_BUCKET_MINUTES
    result = {}
    for session in sessions:
        found = counts.get(session.pk, {})
        buckets = []
        for index in range(bucket_count):
            offset = ARRIVALS_FROM_MINUTES + index * ARRIVAL_BUCKET_MINUTES
            starts_at = session.starts_at + dt.timedelta(minutes=offset)
            buckets.append(
                {
                    "offset_minutes": offset,
                    "starts_at": starts_at,
                    "label": starts_at.astimezone(tz).strftime("%H:%M"),
                    "arrivals": found.get(index, 0),
                }
            )
        result[session.pk] = {
            "bucket_minutes": ARRIVAL_BUCKET_MINUTES,
            "from_minutes": ARRIVALS_FROM_MINUTES,
            "to_minutes": ARRIVALS_TO_MINUTES,
            "timezone": event.timezone,
            "earlier": found.get(BEFORE, 0),
            "later": found.get(AFTER, 0),
            "total": sum(found.values()),
            "buckets": buckets,
        }
    return result


def languages(*, event: Event) -> list[dict]:
    """Confirmed registrations and seats by the registrant's language, and how many of those seats
    checked in at any session (so checked in ≤ seats, and the languages add up to the event's
    ``checked_in_confirmed``). Labels in the active language."""
    confirmed = (
        Registration.objects.filter(event_id=event.pk, status=CONFIRMED)
        .values("language")
        .annotate(registrations=Count("id"), seats=Sum("party_size"))
        .order_by()
    )
    checked_in = (
        _effective_ins(event)
        .filter(registration__status=CONFIRMED)
        .values("registration__language")
        .annotate(checked_in=Count("ticket_id", distinct=True))
        .order_by()
    )
    rows: dict[str, dict] = {}
    for row in confirmed:
        rows[row["language"]] = {"registrations": row["registrations"], "seats": row["seats"], "checked_in": 0}
    for row in checked_in:
        code = row["registration__language"]
        rows.setdefault(code, {"registrations": 0, "seats": 0, "checked_in": 0})["checked_in"] = row["checked_in"]
    result = [{"code": code, "label": language_label(code), **values} for code, values in rows.items()]
    result.sort(key=lambda row: (-row["seats"], -row["checked_in"], row["code"]))
    return result


def _answer_options(question: Question, language: str) -> list[tuple[object, str]]:
    if question.kind == Question.Kind.CHECKBOX:
        return [(True, gettext("Yes")), (False, gettext("No"))]
    fallbacks = question.fallback_languages()
    return [(choice.get("value"), pick(choice.get("label"), language, fallbacks)) for choice in question.choices or []]


def answer_counts(*, event: Event, language: str) -> list[dict]:
    """Confirmed registrations and seats for each answer of each choice and checkbox question.

    One GROUP BY over the answer's JSON value per question (grouping is far cheaper than one
    conditional count per choice: each row's JSON is read once). Registrations without an
    answer, or with a choice since removed, are ``unanswered``, so every question's rows add up
    to the confirmed total. An unticked or never-answered checkbox counts as "No".
    """
    questions = list(
        Question.objects.filter(event_id=event.pk, kind__in=REPORTED_QUESTION_KINDS)
        .select_related("event")
        .order_by("position", "id")
    )
    confirmed = Registration.objects.filter(event_id=event.pk, status=CONFIRMED)
    result = []
    for question in questions:
        groups = (
            confirmed.annotate(value=KeyTransform(question.key, "answers"))
            .values("value")
            .annotate(registrations=Count("id"), seats=Sum("party_size"))
            .order_by()
        )
        found: dict[object, dict[str, int]] = {}
        for row in groups:
            value = row["value"]
            if question.kind == Question.Kind.CHECKBOX:
                value = value is True
            key = (type(value).__name__, value) if isinstance(value, str | bool) else ("other", None)
            counts = found.setdefault(key, {"registrations": 0, "seats": 0})
            counts["registrations"] += row["registrations"]
            counts["seats"] += row["seats"]
        answers = []
        for value, label in _answer_options(question, language):
            counts = found.pop((type(value).__name__, value), {"registrations": 0, "seats": 0})
            answers.append({"value": value, "label": label, **counts})
        result.append(
            {
                "key": question.key,
                "label": question.t("label", language),
                "kind": question.kind,
                "answers": answers,
                "unanswered": {
                    "registrations": sum(c["registrations"] for c in found.values()),
                    "seats": sum(c["seats"] for c in found.values()),
                },
            }
        )
    return result


def door_takings(*, event: Event) -> list[dict]:
    """Cash recorded at the door (paid door payments), per currency."""
    rows = (
        Payment.objects.filter(
            registration__event_id=event.pk, provider=Payment.Provider.DOOR, status=Payment.Status.PAID
        )
        .values("currency")
        .annotate(amount=Sum("amount"), payments=Count("id"))
        .order_by("currency")
    )
    return [
        {"currency": row["currency"], "amount": row["amount"] or Decimal("0"), "payments": row["payments"]}
        for row in rows
    ]


def feedback_summary(*, event: Event, comments_limit: int = FEEDBACK_COMMENTS_LIMIT) -> dict:
    """Average rating, how many gave each rating, and the latest comments (newest first)."""
    feedback = Feedback.objects.filter(registration__event_id=event.pk)
    aggregates = {"count": Count("id"), "average": Avg("rating")}
    for rating in range(1, 6):
        aggregates[f"r{rating}"] = Count("id", filter=Q(rating=rating))
    aggregates["comments_total"] = Count("id", filter=~Q(comment=""))
    row = feedback.aggregate(**aggregates)
    comments = list(
        feedback.exclude(comment="")
        .order_by("-created_at", "-id")
        .values("id", "rating", "comment", "language", "created_at")[:comments_limit]
    )
    return {
        "count": row["count"],
        "average": round(float(row["average"]), 2) if row["average"] is not None else None,
        "ratings": [{"rating": rating, "count": row[f"r{rating}"]} for rating in range(1, 6)],
        "comments_total": row["comments_total"],
        "comments": comments,
    }
