"""The organizer's report pages: server-rendered, printable, charts as inline SVG.

Same scoping as the API (owners and managers of the organization; anyone else gets 404), same
selectors; the views only turn report dicts into headline numbers, charts and tables.
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.db.models import Max, Min, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET

from checkin.completion import participant_completion
from common.exceptions import InvalidInput, NotFound
from common.pages import not_found, private_page
from events.models import Event, Session
from organizations import access
from registrations.decorators import by_manage_token
from reports import charts, selectors
from reports.certificates import certificate_pdf
from reports.charts import DARK, LIGHT, Series
from reports.selectors.common import zone

LOGIN_URL = reverse_lazy("admin:login")
PAGE_PARTICIPANTS = 200  # the course attendance table on the page; the CSV has everyone


def percent(value: float | None) -> str:
    return "—" if value is None else f"{number_format(round(value * 100, 1))} %"


def _local(value, tz, fmt: str = "SHORT_DATETIME_FORMAT") -> str:
    return date_format(timezone.localtime(value, tz), fmt) if value else ""


# --- event report ------------------------------------------------------------------------------------


def _headlines(report: dict) -> list[dict]:
    registrations = report["registrations"]
    feedback = report["feedback"]
    cards = [
        {
            "label": _("Registered"),
            "value": registrations["total"]["seats"],
            "note": ngettext("%(n)d registration", "%(n)d registrations", registrations["total"]["registrations"])
            % {"n": registrations["total"]["registrations"]},
        },
        {
            "label": _("Confirmed seats"),
            "value": registrations["confirmed"]["seats"],
            "note": _("capacity %(capacity)d") % {"capacity": report["event"].capacity},
        },
        {"label": _("Waiting list"), "value": registrations["waitlisted"]["seats"], "note": ""},
        {
            "label": _("Cancelled"),
            "value": registrations["cancelled"]["seats"],
            "note": _("%(n)d expired unpaid") % {"n": registrations["expired"]["seats"]},
        },
        {"label": _("Checked in"), "value": report["checked_in"], "note": _("distinct tickets, any session")},
        {"label": _("No-show rate"), "value": percent(report["no_show_rate"]), "note": _("of confirmed seats")},
    ]
    for takings in report["door_takings"]:
        cards.append(
            {
                "label": _("Door takings"),
                "value": f"{takings['currency']} {number_format(takings['amount'], 2)}",
                "note": ngettext("%(n)d payment", "%(n)d payments", takings["payments"]) % {"n": takings["payments"]},
            }
        )
    if feedback["count"]:
        cards.append(
            {
                "label": _("Feedback"),
                "value": f"{number_format(feedback['average'], 1)} / 5",
                "note": ngettext("%(n)d rating", "%(n)d ratings", feedback["count"]) % {"n": feedback["count"]},
            }
        )
    return cards


def _arrivals_chart(session: dict, tz) -> dict:
    arrivals = session["arrivals"]
    buckets = arrivals["buckets"]
    labels = [bucket["label"] for bucket in buckets]
    values = [bucket["arrivals"] for bucket in buckets]
    start_label = _local(session["starts_at"], tz, "TIME_FORMAT")
    if arrivals["total"]:
        peak = max(buckets, key=lambda bucket: bucket["arrivals"])
        desc = ngettext(
            "%(total)d arrival in total; most (%(peak)d) between %(start)s and %(end)s.",
            "%(total)d arrivals in total; most (%(peak)d) between %(start)s and %(end)s.",
            arrivals["total"],
        ) % {
            "total": arrivals["total"],
            "peak": peak["arrivals"],
            "start": peak["label"],
            "end": _local(peak["starts_at"] + dt.timedelta(minutes=arrivals["bucket_minutes"]), tz, "H:i"),
        }
        if arrivals["earlier"] or arrivals["later"]:
            desc += " " + _("%(earlier)d came earlier and %(later)d later than shown.") % {
                "earlier": arrivals["earlier"],
                "later": arrivals["later"],
            }
    else:
        desc = _("Nobody has checked in yet.")
    start_index = -arrivals["from_minutes"] // arrivals["bucket_minutes"]
    return {
        "session": session,
        "when": _local(session["starts_at"], tz),
        "svg": charts.column_chart(
            title=_("Arrivals per %(minutes)d minutes, session of %(when)s")
            % {"minutes": arrivals["bucket_minutes"], "when": _local(session["starts_at"], tz)},
            desc=desc,
            labels=labels,
            series=[Series(_("Arrivals"), values, DARK)],
            marker=(start_index, _("Start %(time)s") % {"time": start_label}),
            label_every=3,
        ),
        "desc": desc,
        "rows": [b for b in buckets if b["arrivals"]],
        "arrivals": arrivals,
    }


def _sessions_chart(report: dict, tz) -> str:
    held = [s for s in report["sessions"] if s["held"]]
    labels = [_local(s["starts_at"], tz, "SHORT_DATE_FORMAT") for s in held]
    expected = [s["confirmed_seats"] for s in held]
    came = [s["checked_in_confirmed"] for s in held]
    desc = "; ".join(f"{label}: {c} / {e}" for label, c, e in zip(labels, came, expected, strict=True))
    return charts.column_chart(
        title=_("Attendance per session (checked in of confirmed seats)"),
        desc=desc or _("No session has been held yet."),
        labels=labels,
        series=[Series(_("Confirmed seats"), expected, LIGHT), Series(_("Checked in"), came, DARK)],
        show_values=True,
    )


def _bars(*, title: str, rows: list[dict], key_label: str = "label", two: bool = True) -> str:
    labels = [row[key_label] for row in rows]
    if two:
        series = [
            Series(_("Confirmed seats"), [row["seats"] for row in rows], LIGHT),
            Series(_("Checked in"), [row["checked_in"] for row in rows], DARK),
        ]
        desc = "; ".join(f"{row[key_label]}: {row['seats']} ({row['checked_in']})" for row in rows)
    else:
        series = [Series(_("Confirmed seats"), [row["seats"] for row in rows], DARK)]
        desc = "; ".join(f"{row[key_label]}: {row['seats']}" for row in rows)
    return charts.bar_chart(title=title, desc=desc, labels=labels, series=series)


def _question_block(question: dict) -> dict:
    rows = [dict(answer) for answer in question["answers"]]
    if question["unanswered"]["registrations"]:
        rows.append({"label": _("No answer"), **question["unanswered"]})
    return {
        "question": question,
        "rows": rows,
        "svg": _bars(title=question["label"], rows=rows, two=False) if rows else "",
    }


def _feedback_chart(feedback: dict) -> str:
    ratings = feedback["ratings"]
    labels = ["★" * row["rating"] for row in ratings]
    desc = _("Average %(average)s from %(count)d ratings.") % {
        "average": number_format(feedback["average"], 1) if feedback["average"] is not None else "—",
        "count": feedback["count"],
    }
    return charts.bar_chart(
        title=_("Ratings"),
        desc=desc + " " + "; ".join(f"{row['rating']}: {row['count']}" for row in ratings),
        labels=labels,
        series=[Series(_("Ratings"), [row["count"] for row in ratings], DARK)],
        label_width=90,
    )


def _course_block(event: Event, report: dict, tz) -> dict:
    course = report["course"]
    table = selectors.attendance_table(event=event)
    people = list(table.rows[:PAGE_PARTICIPANTS])
    held = set(table.held_ids)
    rows = []
    for ticket in people:
        completed = bool(held) and ticket.attended >= table.needed
        certificate = reverse("reports-api:certificate", args=[event.slug, ticket.registration_id])
        rows.append(
            {
                "name": ticket.name,
                "cells": [
                    {"held": s.pk in held, "at": _local(getattr(ticket, table.column(s)), tz, "TIME_FORMAT")}
                    for s in table.sessions
                ],
                "attended": ticket.attended,
                "completed": completed,
                "certificate": f"{certificate}?seat={ticket.position}" if ticket.position else certificate,
            }
        )
    distribution = course["distribution"]
    return {
        "summary": course,
        "threshold": percent(course["threshold"]),
        "sessions": [
            {"label": _local(s.starts_at, tz, "SHORT_DATE_FORMAT"), "held": s.pk in held} for s in table.sessions
        ],
        "rows": rows,
        "more": course["participants"] > len(rows),
        "distribution_svg": charts.column_chart(
            title=_("Participants by number of sessions attended"),
            desc="; ".join(
                _("%(sessions)d sessions: %(n)d") % {"sessions": d["sessions_attended"], "n": d["participants"]}
                for d in distribution
            ),
            labels=[str(d["sessions_attended"]) for d in distribution],
            series=[Series(_("Participants"), [d["participants"] for d in distribution], DARK)],
            show_values=True,
            height=200,
        ),
    }


@login_required(login_url=LOGIN_URL)
def event_report_page(request: HttpRequest, slug: str) -> HttpResponse:
    try:
        event = selectors.report_event(user=request.user, slug=slug)
    except NotFound as exc:
        raise Http404 from exc
    report = selectors.event_report(event=event)
    tz = zone(event.timezone)
    sessions = report["sessions"]
    held = [s for s in sessions if s["held"]]
    arrivals = [_arrivals_chart(s, tz) for s in (held or sessions[:1])]
    context = {
        "event": event,
        "title": event.t("title", report["language"]),
        "report": report,
        "tz": event.timezone,
        "period": " – ".join(
            dict.fromkeys(_local(s["starts_at"], tz, "DATE_FORMAT") for s in (sessions[:1] + sessions[-1:]))
        ),
        "generated": _local(report["generated_at"], tz),
        "headlines": _headlines(report),
        "statuses": [
            (_("Confirmed"), report["registrations"]["confirmed"]),
            (_("Pending payment"), report["registrations"]["pending_payment"]),
            (_("Awaiting email confirmation"), report["registrations"]["pending_email"]),
            (_("Waiting list"), report["registrations"]["waitlisted"]),
            (_("Cancelled"), report["registrations"]["cancelled"]),
            (_("Expired"), report["registrations"]["expired"]),
            (_("Total"), report["registrations"]["total"]),
        ],
        "sessions": [
            {**s, "when": _local(s["starts_at"], tz), "no_show": percent(s["no_show_rate"])} for s in sessions
        ],
        "sessions_chart": _sessions_chart(report, tz) if event.kind == Event.Kind.COURSE else "",
        "arrivals": arrivals,
        "languages_svg": _bars(title=_("Attendees by language"), rows=report["languages"])
        if report["languages"]
        else "",
        "questions": [_question_block(q) for q in report["questions"]],
        "feedback_svg": _feedback_chart(report["feedback"]) if report["feedback"]["count"] else "",
        "comments": [
            {**c, "when": _local(c["created_at"], tz, "SHORT_DATE_FORMAT")} for c in report["feedback"]["comments"]
        ],
        "course": _course_block(event, report, tz) if report["course"] else None,
        "csv_links": [
            (label, reverse("reports-api:event-csv", args=[event.slug, table]))
            for table, label in (
                ("sessions", _("Sessions")),
                ("attendance", _("Attendance (one row per participant)")),
                ("arrivals", _("Arrivals")),
                ("languages", _("Languages")),
                ("answers", _("Answers")),
                ("feedback", _("Feedback")),
            )
        ],
        "admin_url": reverse("admin:events_event_change", args=[event.pk]),
    }
    return render(request, "reports/event.html", context)


# --- organization report ----------------------------------------------------------------------------


def _month_charts(report: dict) -> list[dict]:
    months = report["months"]
    labels = [m["month"] for m in months]  # "2026-03": the same in every language, short enough for 12 columns
    activity = charts.column_chart(
        title=_("Registrations and confirmed seats by month"),
        desc="; ".join(f"{m['label']}: {m['events_held']} events, {m['registrations']} registrations" for m in months),
        labels=labels,
        series=[
            Series(_("Registrations"), [m["registrations"] for m in months], LIGHT),
            Series(_("Confirmed seats"), [m["confirmed_seats"] for m in months], DARK),
        ],
    )
    attendance = charts.column_chart(
        title=_("Attendance rate by month (%)"),
        desc="; ".join(f"{m['label']}: {percent(m['attendance_rate'])}" for m in months),
        labels=labels,
        series=[Series(_("Attendance rate"), [round((m["attendance_rate"] or 0) * 100, 1) for m in months], DARK)],
    )
    people = charts.column_chart(
        title=_("Participants by month: unique and returning"),
        desc="; ".join(f"{m['label']}: {m['unique_participants']} / {m['returning_participants']}" for m in months),
        labels=labels,
        series=[
            Series(_("Unique participants"), [m["unique_participants"] for m in months], LIGHT),
            Series(_("Returning"), [m["returning_participants"] for m in months], DARK),
        ],
    )
    return [
        {"title": _("Registrations"), "svg": activity},
        {"title": _("Attendance"), "svg": attendance},
        {"title": _("Participants"), "svg": people},
    ]


@login_required(login_url=LOGIN_URL)
def organization_report_page(request: HttpRequest, slug: str) -> HttpResponse:
    try:
        organization = selectors.report_organization(user=request.user, slug=slug)
    except NotFound as exc:
        raise Http404 from exc
    context = {
        "organization": organization,
        "name": organization.t("name"),
        "date_from": request.GET.get("from", ""),
        "date_to": request.GET.get("to", ""),
    }
    try:
        date_range = selectors.parse_date_range(
            date_from=request.GET.get("from"), date_to=request.GET.get("to"), organization=organization
        )
    except InvalidInput as exc:
        context["errors"] = exc.fields
        return render(request, "reports/organization.html", context, status=400)
    report = selectors.organization_report(organization=organization, date_range=date_range)
    voices = selectors.organization_voices(organization=organization, date_range=date_range)
    tz = zone(organization.timezone)
    query = urlencode({"from": date_range.first.isoformat(), "to": date_range.last.isoformat()})
    totals = report["totals"]
    context.update(
        {
            "report": report,
            "date_from": date_range.first.isoformat(),
            "date_to": date_range.last.isoformat(),
            "period": f"{date_format(date_range.first)} – {date_format(date_range.last)}",
            "generated": _local(report["generated_at"], tz),
            "headlines": [
                {"label": _("Events held"), "value": totals["events_held"], "note": ""},
                {"label": _("Registrations"), "value": totals["registrations"], "note": ""},
                {
                    "label": _("Attendance rate"),
                    "value": percent(totals["attendance_rate"]),
                    "note": _("%(came)d of %(expected)d expected")
                    % {"came": totals["attendances"], "expected": totals["expected_attendances"]},
                },
                {"label": _("Unique participants"), "value": totals["unique_participants"], "note": ""},
                {"label": _("Returning participants"), "value": totals["returning_participants"], "note": ""},
            ],
            "charts": _month_charts(report),
            "voices": voices,
            "voices_hours": [
                (_("Median time to first answer"), voices["median_hours_to_answer"]),
                (_("Mean time to first answer"), voices["mean_hours_to_answer"]),
            ],
            "events": [
                {
                    **row,
                    "when": _local(row["first_held_at"], tz, "SHORT_DATE_FORMAT"),
                    "url": reverse("reports:event", args=[row["slug"]]),
                    "rate": percent(row["attendance_rate"]),
                }
                for row in report["events"]
            ],
            "months": [{**m, "rate": percent(m["attendance_rate"])} for m in report["months"]],
            "csv_links": [
                (
                    label,
                    reverse("reports-api:organization-csv", args=[organization.slug, table]) + f"?{query}",
                )
                for table, label in (("months", _("By month")), ("events", _("By event")))
            ],
        }
    )
    return render(request, "reports/organization.html", context)


# --- index ---------------------------------------------------------------------------------------------


@login_required(login_url=LOGIN_URL)
def report_index(request: HttpRequest) -> HttpResponse:
    live = ~Q(sessions__status=Session.Status.CANCELLED)
    events = (
        Event.objects.for_organizer(request.user)
        .exclude(status=Event.Status.DRAFT)
        .select_related("organization")
        .annotate(first_at=Min("sessions__starts_at", filter=live), last_at=Max("sessions__starts_at", filter=live))
        .order_by("-first_at", "-id")[:100]
    )
    rows = []
    for event in events:
        tz = zone(event.timezone)
        rows.append(
            {
                "title": event.t("title"),
                "organization": event.organization.t("name"),
                "kind": event.get_kind_display(),
                "when": _local(event.first_at, tz, "SHORT_DATE_FORMAT"),
                "url": reverse("reports:event", args=[event.slug]),
            }
        )
    organizations = [
        {"name": org.t("name"), "url": reverse("reports:organization", args=[org.slug])}
        for org in access.managed_organizations(user=request.user)
    ]
    return render(request, "reports/index.html", {"events": rows, "organizations": organizations})


# --- the attendee's own certificate (private manage link) -----------------------------------------


@private_page
@require_GET
@by_manage_token
def attendee_certificate(request: HttpRequest, registration, seat: int) -> HttpResponse:
    """A participant's certificate, from the attendee's manage link: the same PDF the organizer
    downloads, for a seat of this registration that completed its course; otherwise a page
    saying it is not (yet) available."""
    completion = participant_completion(event=registration.event, registration_id=registration.pk, seat=seat)
    if completion is None or not completion.completed or registration.anonymised_at is not None:
        return not_found(request, _("There is no certificate for this seat (yet)."))
    response = HttpResponse(
        certificate_pdf(completion=completion, event=registration.event), content_type="application/pdf"
    )
    response["Content-Disposition"] = f'attachment; filename="certificate-{registration.event.slug}-{seat}.pdf"'
    return response
