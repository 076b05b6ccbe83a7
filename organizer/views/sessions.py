"""An event's sessions on the desk: add one, edit or cancel one, or generate them from a rule
with a preview calendar first. Saving goes through ``events.services.session_create`` and
``organizer.services`` (session_update / session_cancel / sessions_generate), as in the API:
moves and cancellations bump the iCal sequence and send attendees their notices."""

from __future__ import annotations

import calendar
import datetime as dt
import zoneinfo

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from common.exceptions import DomainError, InvalidInput, SessionOverlap
from events import services as events_services
from events.models import Event, Session
from events.recurrence import localize, parse_recurrence
from organizer import services as organizer_services
from organizer.desk_forms import DeskSessionForm
from organizer.forms import GenerateSessionsForm
from organizer.views.base import desk_page, desk_render, managed_event


def overlap_message(exc: SessionOverlap) -> str:
    count = len(exc.extra.get("conflicts", []))
    return ngettext(
        "This overlaps %(count)d session in the same venue. Tick “Schedule anyway” to keep it.",
        "This overlaps %(count)d sessions in the same venue. Tick “Schedule anyway” to keep them.",
        count,
    ) % {"count": count}


def event_sessions(event: Event) -> list[Session]:
    return list(event.sessions.select_related("venue").order_by("starts_at", "pk"))


def generate_initial(event: Event, sessions: list[Session]) -> dict:
    """Start from the last session's weekday and time, a week later; or next week at 19:00."""
    zone = zoneinfo.ZoneInfo(event.timezone)
    live = [s for s in sessions if not s.is_cancelled]
    if live:
        last = live[-1]
        start = last.starts_at.astimezone(zone) + dt.timedelta(days=7)
        minutes = int((last.ends_at - last.starts_at).total_seconds() // 60)
    else:
        start = (timezone.now().astimezone(zone) + dt.timedelta(days=7)).replace(hour=19, minute=0)
        minutes = 120
    return {
        "first_date": start.date(),
        "first_time": start.time().replace(second=0, microsecond=0),
        "duration_minutes": minutes,
        "count": 8,
    }


def month_grids(days: dict[dt.date, list[dict]]) -> list[dict]:
    """Month calendars (weeks of 7 days, Monday first) covering ``days``, each day with its items."""
    if not days:
        return []
    months = sorted({(day.year, day.month) for day in days})
    grids = []
    for year, month in months:
        weeks = calendar.Calendar(firstweekday=0).monthdatescalendar(year, month)
        grids.append(
            {
                "month": dt.date(year, month, 1),
                "weeks": [
                    [{"date": day, "in_month": day.month == month, "items": days.get(day, [])} for day in week]
                    for week in weeks
                ],
            }
        )
    return grids


def generate_preview(event: Event, form: GenerateSessionsForm) -> dict:
    """What the rule would create, without saving: the dates (``parse_recurrence``), the clashes
    with other sessions in the venue, and the future sessions a replacement would cancel."""
    occurrences = parse_recurrence(rule=form.recurrence_rule, first_start=form.first_start)
    venue = form.cleaned_data.get("venue")
    venue_id = venue.pk if venue else event.venue_id
    duration = form.duration
    slots = [
        events_services.Slot(localize(o, event.timezone), localize(o + duration, event.timezone), venue_id)
        for o in occurrences
    ]
    replaced = []
    if form.cleaned_data.get("replace_future"):
        replaced = list(event.sessions.filter(starts_at__gt=timezone.now()).exclude(status=Session.Status.CANCELLED))
    clashes = events_services.session_overlaps(slots=slots, exclude_ids=[s.pk for s in replaced])
    zone = zoneinfo.ZoneInfo(event.timezone)
    days: dict[dt.date, list[dict]] = {}
    items = []
    for slot in slots:
        clash = [c for c in clashes if c.starts_at < slot.ends_at and c.ends_at > slot.starts_at]
        item = {"starts_at": slot.starts_at, "ends_at": slot.ends_at, "clash": bool(clash)}
        items.append(item)
        days.setdefault(slot.starts_at.astimezone(zone).date(), []).append(item)
    return {"items": items, "grids": month_grids(days), "clashes": clashes, "replaced": replaced}


@require_http_methods(["GET", "POST"])
@desk_page
def sessions_page(request: HttpRequest, slug: str) -> HttpResponse:
    """The list, with the "add one" form (POST here) and the generator (its own URL)."""
    event = managed_event(request, slug)
    with timezone.override(zoneinfo.ZoneInfo(event.timezone)):
        sessions = event_sessions(event)
        form = DeskSessionForm(request.POST or None, event=event, prefix="add")
        if request.method == "POST":
            if "add-allow_overlap" in request.POST:
                form.offer_overlap()
            if form.is_valid():
                try:
                    events_services.session_create(
                        user=request.user,
                        event=event,
                        allow_overlap=form.cleaned_data["allow_overlap"],
                        **form.service_fields(),
                    )
                except SessionOverlap as exc:
                    form.offer_overlap()
                    form.add_error(None, overlap_message(exc))
                except InvalidInput as exc:
                    form.add_service_errors(exc.fields)
                except DomainError as exc:
                    form.add_error(None, exc.message)
                else:
                    messages.success(request, _("Session added."))
                    return redirect("desk:event-sessions", slug=event.slug)
        generate = GenerateSessionsForm(event=event, initial=generate_initial(event, sessions), prefix="gen")
        return desk_render(
            request,
            "organizer/sessions.html",
            {"sessions": sessions, "form": form, "generate": generate, "can_change": event.status != "cancelled"},
            status=400 if request.method == "POST" else 200,
            event=event,
        )


@require_POST
@desk_page
def sessions_generate(request: HttpRequest, slug: str) -> HttpResponse:
    """``preview`` shows the calendar of what the rule gives; ``create`` saves it through the service."""
    event = managed_event(request, slug)
    with timezone.override(zoneinfo.ZoneInfo(event.timezone)):
        form = GenerateSessionsForm(
            request.POST, event=event, offer_overlap="gen-allow_overlap" in request.POST, prefix="gen"
        )
        preview = None
        if form.is_valid():
            try:
                preview = generate_preview(event, form)
                if preview["clashes"]:
                    form.offer_overlap()
                if "create" in request.POST:
                    created = organizer_services.sessions_generate(
                        user=request.user,
                        event=event,
                        rule=form.recurrence_rule,
                        first_start=form.first_start,
                        duration=form.duration,
                        venue=form.cleaned_data.get("venue"),
                        replace_future=form.cleaned_data.get("replace_future", False),
                        allow_overlap=form.cleaned_data.get("allow_overlap", False),
                    )
                    messages.success(
                        request,
                        ngettext("%(count)d session created.", "%(count)d sessions created.", len(created))
                        % {"count": len(created)},
                    )
                    return redirect("desk:event-sessions", slug=event.slug)
            except SessionOverlap as exc:
                form.offer_overlap()
                form.add_error(None, overlap_message(exc))
            except InvalidInput as exc:
                form.add_service_errors(exc.fields)
                preview = None
            except DomainError as exc:
                form.add_error(None, exc.message)
        return desk_render(
            request,
            "organizer/sessions_generate.html",
            {"generate": form, "preview": preview},
            status=200 if form.is_valid() and not form.errors else 400,
            event=event,
        )


def managed_session(request: HttpRequest, event: Event, pk: int) -> Session:
    session = event.sessions.select_related("venue").filter(pk=pk).first()
    if session is None:
        raise Http404
    session.event = event
    return session


@require_http_methods(["GET", "POST"])
@desk_page
def session_edit(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    event = managed_event(request, slug)
    session = managed_session(request, event, pk)
    with timezone.override(zoneinfo.ZoneInfo(event.timezone)):
        form = DeskSessionForm(request.POST or None, event=event, initial=DeskSessionForm.initial_for(session))
        if request.method == "POST":
            if "allow_overlap" in request.POST:
                form.offer_overlap()
            if form.is_valid():
                fields = {
                    name: value for name, value in form.service_fields().items() if getattr(session, name) != value
                }
                try:
                    organizer_services.session_update(
                        user=request.user, session=session, allow_overlap=form.cleaned_data["allow_overlap"], **fields
                    )
                except SessionOverlap as exc:
                    form.offer_overlap()
                    form.add_error(None, overlap_message(exc))
                except InvalidInput as exc:
                    form.add_service_errors(exc.fields)
                except DomainError as exc:
                    form.add_error(None, exc.message)
                else:
                    messages.success(request, _("Session saved.") if fields else _("Nothing changed."))
                    return redirect("desk:event-sessions", slug=event.slug)
        return desk_render(
            request,
            "organizer/session_form.html",
            {"form": form, "session": session},
            status=400 if request.method == "POST" else 200,
            event=event,
        )


@require_POST
@desk_page
def session_cancel(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    event = managed_event(request, slug)
    session = managed_session(request, event, pk)
    try:
        organizer_services.session_cancel(user=request.user, session=session)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Session cancelled. Its attendees get a notice."))
    return redirect("desk:event-sessions", slug=event.slug)
