"""One event's actions on the desk: publish, cancel (a confirm page that says what happens),
duplicate as a draft with new dates, and a preview of the public page (drafts included)."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from common.exceptions import DomainError, InvalidInput
from common.i18n import active_language, pick
from common.pages import language_name, page_context
from events import services as events_services
from events.models import Event, Session
from organizer import services as organizer_services
from organizer.desk_forms import DuplicateForm
from organizer.selectors import effects
from organizer.views.base import desk_page, desk_render, managed_event
from organizer.views.editing import overlap_warning


@require_POST
@desk_page
def event_publish(request: HttpRequest, slug: str) -> HttpResponse:
    event = managed_event(request, slug)
    try:
        events_services.event_publish(user=request.user, event=event)
    except InvalidInput as exc:
        problems = [str(error) for errors in exc.fields.values() for error in errors]
        messages.error(request, " ".join(problems) or exc.message)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Published. Residents can see it and register now."))
    return redirect("desk:event", slug=event.slug)


@require_http_methods(["GET", "POST"])
@desk_page
def event_cancel(request: HttpRequest, slug: str) -> HttpResponse:
    """GET: what cancelling does (notices, refunds). POST: cancel, through ``organizer.services.event_cancel``."""
    event = managed_event(request, slug)
    if request.method == "POST" and event.status != Event.Status.CANCELLED:
        try:
            organizer_services.event_cancel(user=request.user, event=event)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("The event is cancelled. Its attendees are being told."))
        return redirect("desk:event", slug=event.slug)
    return desk_render(
        request, "organizer/event_cancel.html", {"effects": effects.event_cancel_effects(event=event)}, event=event
    )


@require_http_methods(["GET", "POST"])
@desk_page
def event_duplicate(request: HttpRequest, slug: str) -> HttpResponse:
    event = managed_event(request, slug)
    first = event.sessions.exclude(status=Session.Status.CANCELLED).order_by("starts_at").first()
    zone = zoneinfo.ZoneInfo(event.timezone)
    suggested = (first.starts_at.astimezone(zone).date() if first else timezone.localdate()) + dt.timedelta(days=7)
    form = DuplicateForm(request.POST or None, initial={"slug": f"{event.slug}-copy"[:80], "first_day": suggested})
    if request.method == "POST" and form.is_valid():
        try:
            copy = organizer_services.event_duplicate(
                user=request.user, event=event, slug=form.cleaned_data["slug"], first_day=form.cleaned_data["first_day"]
            )
        except InvalidInput as exc:
            for name, errors in exc.fields.items():
                form.add_error(name if name in form.fields else None, [str(e) for e in errors])
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            overlap_warning(request, copy)
            messages.success(request, _("Copied as a draft. Check its dates, then publish it."))
            return redirect("desk:event", slug=copy.slug)
    status = 400 if request.method == "POST" else 200
    return desk_render(request, "organizer/event_duplicate.html", {"form": form}, status=status, event=event)


# --- preview ---------------------------------------------------------------------------------------
# The public page's template (templates/pages/event_detail.html) is rendered with the same
# context names the public view gives it; the desk may not import the residents' desk, so the
# few view objects are built here from the same fields.


@dataclass
class PreviewVenue:
    name: str
    address: str
    map_url: str
    accessibility: str


@dataclass
class PreviewSession:
    starts_at: dt.datetime
    ends_at: dt.datetime
    title: str
    status: str
    status_label: str
    venue: PreviewVenue | None
    cancelled: bool


@dataclass
class PreviewState:
    open: bool
    message: str
    opens_at: dt.datetime | None = None


def preview_venue(venue, language: str, fallbacks: list[str]) -> PreviewVenue | None:
    if venue is None:
        return None
    return PreviewVenue(
        name=pick(venue.name, language, fallbacks),
        address=pick(venue.address, language, fallbacks),
        map_url=venue.map_url,
        accessibility=pick(venue.accessibility_notes, language, fallbacks),
    )


def preview_context(request: HttpRequest, event: Event) -> dict:
    language = active_language()
    fallbacks = [event.default_language, event.organization.default_language]
    sessions = list(event.sessions.select_related("venue").order_by("starts_at", "pk"))
    live = [s for s in sessions if not s.is_cancelled]
    card = {
        "slug": event.slug,
        "title": pick(event.title, language, fallbacks) or event.slug,
        "summary": pick(event.summary, language, fallbacks),
        "kind": event.kind,
        "kind_label": event.get_kind_display(),
        "category": pick(event.category.name, language, fallbacks) if event.category else "",
        "timezone": event.timezone,
        "starts_at": live[0].starts_at if live else None,
        "ends_at": max(s.ends_at for s in live) if live else None,
        "session_count": len(live),
        "is_free": event.is_free,
        "price": event.price,
        "currency": event.currency,
        "seats_left": event.seats_left,
        "waitlist": event.seats_left == 0 or event.waitlist_count > 0,
        "online": bool(event.online_url),
        "spoken_languages": [language_name(code) for code in event.spoken_languages or []],
        "image_url": event.image.url if event.image else "",
        "image_width": event.image_width,
        "image_height": event.image_height,
    }
    venue = preview_venue(event.venue, language, fallbacks)
    return page_context(
        request,
        event=event,
        card=card,
        description=pick(event.description, language, fallbacks),
        organization=pick(event.organization.name, language, fallbacks) or event.organization.slug,
        venue=venue,
        sessions=[
            PreviewSession(
                starts_at=s.starts_at,
                ends_at=s.ends_at,
                title=pick(s.title, language, fallbacks),
                status=s.status,
                status_label=s.get_status_display(),
                venue=preview_venue(s.venue, language, fallbacks)
                if s.venue_id and s.venue_id != event.venue_id
                else None,
                cancelled=s.is_cancelled,
            )
            for s in sessions
        ],
        calendar_url="#",
        state=PreviewState(False, _("This is a preview: residents can register once the event is published.")),
        form=None,
        preview=True,
        desk_url=reverse("desk:event", kwargs={"slug": event.slug}),
    )


@require_GET
@desk_page
def event_preview(request: HttpRequest, slug: str) -> HttpResponse:
    """The public page as residents will see it, for the event's managers only (a draft too),
    marked as a preview and kept out of caches and search engines."""
    event = managed_event(request, slug)
    return desk_render(request, "organizer/preview.html", preview_context(request, event))
