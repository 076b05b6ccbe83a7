"""Create and edit an event or course, and its image. The form only cleans; the services save
(``events.services.event_create`` / ``organizer.services.event_update``, the same as the API),
so notices, sequence bumps and waiting-list promotion happen exactly as they do there."""

from __future__ import annotations

import zoneinfo

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from common.exceptions import DomainError, InvalidInput
from common.i18n import content_languages
from events import services as events_services
from events.models import Event, Session
from organizations import access
from organizer import services as organizer_services
from organizer.desk_forms import DeskEventForm, DeskImageForm
from organizer.views.base import desk_page, desk_render, managed_event


def event_zone(event: Event | None, organizations) -> str:
    """The zone a form's times are entered in: the event's, else its (first) organization's."""
    if event is not None:
        return event.timezone
    first = organizations[0] if organizations else None
    return getattr(first, "timezone", None) or settings.DEFAULT_EVENT_TIMEZONE


def completeness(form: DeskEventForm) -> list[dict]:
    """Per content language, which texts are still empty while another language has them (the hint's start)."""
    values = {name: form[name].value() or {} for name in ("title", "summary", "description")}
    rows = []
    for code in content_languages():
        gaps = [
            name
            for name, value in values.items()
            if any(str(text).strip() for text in value.values()) and not str(value.get(code) or "").strip()
        ]
        rows.append({"code": code, "missing": [form.fields[name].label for name in gaps]})
    return rows


def overlap_warning(request: HttpRequest, event: Event) -> None:
    """After a venue change: tell the organizer which sessions now clash with others in that venue."""
    sessions = list(event.sessions.exclude(status=Session.Status.CANCELLED).filter(venue__isnull=True))
    slots = [events_services.Slot(s.starts_at, s.ends_at, event.venue_id) for s in sessions]
    clashes = events_services.session_overlaps(slots=slots, exclude_ids=[s.pk for s in sessions])
    if clashes:
        messages.warning(
            request,
            ngettext(
                "The new venue is booked for %(count)d other session at the same time.",
                "The new venue is booked for %(count)d other sessions at the same time.",
                len(clashes),
            )
            % {"count": len(clashes)},
        )


def render_event_form(request, form, event, status=200):
    return desk_render(
        request,
        "organizer/event_form.html",
        {"form": form, "completeness": completeness(form), "image_form": DeskImageForm() if event else None},
        status=status,
        event=event,
    )


@require_http_methods(["GET", "POST"])
@desk_page
def event_new(request: HttpRequest) -> HttpResponse:
    organizations = access.managed_organizations(user=request.user).order_by("slug")
    first = organizations.first()
    zone = event_zone(None, [first] if first else [])
    with timezone.override(zoneinfo.ZoneInfo(zone)):
        kind = request.GET.get("kind") if request.GET.get("kind") in Event.Kind.values else Event.Kind.EVENT
        initial = {"kind": kind, "timezone": zone, "default_language": getattr(first, "default_language", "en")}
        form = DeskEventForm(request.POST or None, organizations=organizations, initial=initial)
        if request.method == "POST" and form.is_valid():
            try:
                event = events_services.event_create(
                    user=request.user, organization=form.cleaned_data["organization"], **form.service_fields()
                )
            except InvalidInput as exc:
                form.add_service_errors(exc.fields)
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, _("Draft saved. Add its sessions next."))
                return redirect("desk:event-sessions", slug=event.slug)
        return render_event_form(request, form, None, status=400 if request.method == "POST" else 200)


@require_http_methods(["GET", "POST"])
@desk_page
def event_edit(request: HttpRequest, slug: str) -> HttpResponse:
    event = managed_event(request, slug)
    organizations = access.managed_organizations(user=request.user).filter(pk=event.organization_id)
    with timezone.override(zoneinfo.ZoneInfo(event.timezone)):
        form = DeskEventForm(request.POST or None, organizations=organizations, event=event)
        if event.status == Event.Status.CANCELLED:
            messages.info(request, _("A cancelled event cannot be changed."))
            for field in form.fields.values():
                field.disabled = True
        elif request.method == "POST" and form.is_valid():
            fields = form.service_fields()
            venue_before = event.venue_id
            try:
                event = organizer_services.event_update(user=request.user, event=event, **fields)
            except InvalidInput as exc:
                form.add_service_errors(exc.fields)
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                if event.venue_id != venue_before:
                    overlap_warning(request, event)
                messages.success(request, _("Changes saved.") if fields else _("Nothing changed."))
                return redirect("desk:event-edit", slug=event.slug)
        status = 400 if request.method == "POST" else 200
        return render_event_form(request, form, event, status=status)


@require_POST
@desk_page
def event_image(request: HttpRequest, slug: str) -> HttpResponse:
    """Upload (or, with ``remove``, take away) the event's image through the services."""
    event = managed_event(request, slug)
    try:
        if "remove" in request.POST:
            events_services.event_remove_image(user=request.user, event=event)
            messages.success(request, _("Image removed."))
        else:
            form = DeskImageForm(request.POST, request.FILES)
            if not form.is_valid():
                messages.error(request, " ".join(form.errors.get("image", [])) or _("Choose an image."))
                return redirect("desk:event-edit", slug=event.slug)
            events_services.event_set_image(user=request.user, event=event, upload=form.cleaned_data["image"])
            messages.success(request, _("Image saved."))
    except InvalidInput as exc:
        messages.error(request, " ".join(str(e) for errors in exc.fields.values() for e in errors) or exc.message)
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("desk:event-edit", slug=event.slug)
