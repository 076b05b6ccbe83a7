"""Sessions: the session list, saving through the services (sequence, notices), overlap warnings, the week calendar."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from collections import defaultdict
from collections.abc import Iterable

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.html import format_html, format_html_join
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from common.i18n import active_language, pick
from events import services as events_services
from events.models import Event, Session
from events.recurrence import localize
from events.selectors import organization_week_sessions
from events.services import Slot, session_overlaps
from organizations import access
from organizer import services as organizer_services
from organizer.admin.scoping import OrganizationScopedAdmin, audited_by_service, can_manage
from organizer.forms import SessionAdminForm

# --- shared with the event page's session inline -----------------------------------------------


def local_span(session: Session) -> str:
    """ "Tue 2026-11-24 19:00–21:00 CET" in the event's time zone."""
    zone = zoneinfo.ZoneInfo(session.event.timezone)
    start = timezone.localtime(session.starts_at, zone)
    end = timezone.localtime(session.ends_at, zone)
    end_format = "H:i T" if start.date() == end.date() else "D Y-m-d H:i T"
    return f"{date_format(start, 'D Y-m-d H:i')}–{date_format(end, end_format)}"


def describe_session(request: HttpRequest, session: Session):
    """Event title and local time, linked to the event page when the user may open it."""
    text = f"{session.event.t('title', active_language())} · {local_span(session)}"
    if can_manage(request, session.event.organization_id):
        url = reverse("admin:events_event_change", args=[session.event_id])
        return format_html('<a href="{}">{}</a>', url, text)
    return text


def clash_list(request: HttpRequest, clashes: Iterable[Session]):
    items = ((describe_session(request, session),) for session in clashes)
    return format_html("<ul>{}</ul>", format_html_join("", "<li>{}</li>", items))


SESSION_FIELDS = ("starts_at", "ends_at", "venue", "title")


def adopt(instance, saved) -> None:
    """Make the admin's form instance the row a service saved (the admin logs and redirects with it)."""
    for field in type(saved)._meta.concrete_fields:
        setattr(instance, field.attname, getattr(saved, field.attname))
    instance._state.adding = False
    instance._state.db = saved._state.db


def save_session(request: HttpRequest, session: Session) -> None:
    """Save an admin-edited session through the services the organizer API uses, so a move or a
    cancellation bumps the iCal sequence and sends attendees the same notices as
    ``PATCH /api/v1/organizer/sessions/{id}/``. Overlaps are allowed here and warned about after
    the save (``warn_about_overlaps``), as the admin always did."""
    user = request.user
    if session.pk is None:
        saved = events_services.session_create(
            user=user,
            event=session.event,
            starts_at=session.starts_at,
            ends_at=session.ends_at,
            venue=session.venue,
            title=session.title,
            allow_overlap=True,
        )
        if session.is_cancelled:
            saved = organizer_services.session_cancel(user=user, session=saved)
        adopt(session, saved)
        audited_by_service(request, session)
        return
    before = Session.objects.get(pk=session.pk)
    changed = {
        name: getattr(session, name)
        for name in SESSION_FIELDS
        if getattr(session, Session._meta.get_field(name).attname)
        != getattr(before, Session._meta.get_field(name).attname)
    }
    saved = before
    if before.is_cancelled and not session.is_cancelled:
        saved = events_services.session_reinstate(user=user, session=saved, status=session.status)
    if changed and not saved.is_cancelled:
        saved = organizer_services.session_update(user=user, session=saved, allow_overlap=True, **changed)
    if session.is_cancelled and not saved.is_cancelled:
        saved = organizer_services.session_cancel(user=user, session=saved)
    adopt(session, saved)
    if saved is not before:
        audited_by_service(request, session)


def warn_about_overlaps(request: HttpRequest, sessions: Iterable[Session]) -> None:
    """After an admin save: warn (not refuse) when a session shares its venue and time with another."""
    for session in sessions:
        if session.is_cancelled or session.event.status == Event.Status.CANCELLED:
            continue
        slot = Slot(session.starts_at, session.ends_at, session.effective_venue_id)
        clashes = session_overlaps(slots=[slot], exclude_ids=[session.pk])
        if clashes:
            messages.warning(
                request,
                format_html(
                    "{} {}{}",
                    local_span(session),
                    ngettext(
                        "overlaps this session in the same venue:",
                        "overlaps these sessions in the same venue:",
                        len(clashes),
                    ),
                    clash_list(request, clashes),
                ),
            )


# --- session list ------------------------------------------------------------------------------


@admin.register(Session)
class SessionAdmin(OrganizationScopedAdmin):
    form = SessionAdminForm
    organization_lookup = "event__organization_id"
    list_display = ("display_event", "display_local_time", "display_venue", "status", "sequence")
    list_filter = (("event__organization", admin.RelatedOnlyFieldListFilter), "status", "event__kind")
    list_select_related = ("event", "event__organization", "event__venue", "venue")
    date_hierarchy = "starts_at"
    search_fields = ("event__slug", "event__search_text")
    readonly_fields = ("display_local_time", "sequence", "created_at", "updated_at")
    fields = ("event", "starts_at", "ends_at", "display_local_time", "venue", "title", "status", "sequence")

    def organization_id_of(self, obj: Session) -> int:
        return obj.event.organization_id

    def get_readonly_fields(self, request, obj=None):
        readonly = super().get_readonly_fields(request, obj)
        return (*readonly, "event") if obj else readonly

    def has_change_permission(self, request, obj=None):
        allowed = super().has_change_permission(request, obj)
        return allowed and (obj is None or obj.event.status != Event.Status.CANCELLED)

    def has_delete_permission(self, request, obj=None):
        # Published sessions are cancelled, not deleted: attendees' calendars need the cancellation.
        allowed = super().has_delete_permission(request, obj)
        return allowed and (obj is None or request.user.is_superuser or obj.event.status == Event.Status.DRAFT)

    def get_search_results(self, request, queryset, search_term):
        return super().get_search_results(request, queryset, search_term.casefold())

    def save_model(self, request, obj, form, change):
        save_session(request, obj)
        warn_about_overlaps(request, [obj])

    @admin.display(description=_("event"), ordering="event__slug")
    def display_event(self, obj: Session) -> str:
        title = obj.event.t("title", active_language())
        session_title = obj.t("title", active_language()) if obj.title else ""
        return f"{title} · {session_title}" if session_title else title

    @admin.display(description=_("time (event's zone)"), ordering="starts_at")
    def display_local_time(self, obj: Session) -> str:
        return local_span(obj) if obj.pk else "—"

    @admin.display(description=_("venue"))
    def display_venue(self, obj: Session) -> str:
        venue = obj.effective_venue
        return pick(venue.name, active_language()) if venue else "—"

    # --- week calendar -------------------------------------------------------------------------

    def get_urls(self):
        return [
            path(
                "calendar/",
                self.admin_site.admin_view(self.calendar_view),
                name=f"{self.opts.app_label}_{self.opts.model_name}_calendar",
            ),
            *super().get_urls(),
        ]

    def calendar_view(self, request):
        """The week's sessions of the user's organizations, one column a day, in each organization's zone."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        organizations = list(access.managed_organizations(user=request.user).order_by("slug"))
        chosen = request.GET.get("organization", "")
        selected = [org for org in organizations if str(org.pk) == chosen] or organizations
        today_zone = zoneinfo.ZoneInfo(selected[0].timezone) if len(selected) == 1 else None
        today = timezone.localdate(timezone=today_zone)
        monday = parse_iso_week(request.GET.get("week")) or today - dt.timedelta(days=today.weekday())
        days = [monday + dt.timedelta(days=offset) for offset in range(7)]

        # One query per time zone: a week starts at local midnight, which differs between zones.
        by_zone: dict[str, list[int]] = defaultdict(list)
        for org in selected:
            by_zone[org.timezone].append(org.pk)
        entries: dict[dt.date, list[dict]] = {day: [] for day in days}
        language = active_language()
        for zone_name, organization_ids in by_zone.items():
            zone = zoneinfo.ZoneInfo(zone_name)
            week_start = localize(dt.datetime.combine(monday, dt.time.min), zone_name)
            for session in organization_week_sessions(organization_ids=organization_ids, week_start=week_start):
                start = timezone.localtime(session.starts_at, zone)
                end = timezone.localtime(session.ends_at, zone)
                day = min(max(start.date(), days[0]), days[-1])  # a session from last Sunday night shows on Monday
                event = session.event
                venue = session.venue if session.venue_id else event.venue
                session_title = pick(session.title, language, [event.default_language])
                entries[day].append(
                    {
                        "start": start,
                        "time": f"{date_format(start, 'H:i')}–{date_format(end, 'H:i T')}",
                        "title": event.t("title", language),
                        "session_title": session_title,
                        "url": reverse("admin:events_event_change", args=[event.pk]),
                        "venue": pick(venue.name, language) if venue else "",
                        "organization": event.organization.t("name", language),
                        "cancelled": session.is_cancelled or event.status == Event.Status.CANCELLED,
                        "status": session.get_status_display(),
                        "moved": session.status == Session.Status.MOVED,
                        "draft": event.status == Event.Status.DRAFT,
                    }
                )
        columns = [
            {"date": day, "is_today": day == today, "entries": sorted(entries[day], key=lambda e: e["start"])}
            for day in days
        ]

        def week_link(day: dt.date) -> str:
            year, week, _weekday = day.isocalendar()
            params = {"week": f"{year}-W{week:02d}"}
            if chosen and len(selected) == 1:
                params["organization"] = chosen
            return "?" + urlencode(params)

        iso_year, iso_week, _weekday = monday.isocalendar()
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Week %(week)d, %(year)d") % {"week": iso_week, "year": iso_year},
            "columns": columns,
            "week_start": days[0],
            "week_end": days[-1],
            "previous_url": week_link(monday - dt.timedelta(days=7)),
            "next_url": week_link(monday + dt.timedelta(days=7)),
            "current_url": week_link(today),
            "week_value": f"{iso_year}-W{iso_week:02d}",
            "organizations": organizations,
            "chosen_organization": chosen if len(selected) == 1 and len(organizations) > 1 else "",
            "show_organization": len(selected) > 1,
            "zones": sorted(by_zone),
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/events/session/calendar.html", context)


def parse_iso_week(text: str | None) -> dt.date | None:
    """The Monday of an ISO week written "2026-W48", or None."""
    match = re.fullmatch(r"(\d{4})-?W(\d{1,2})", (text or "").strip(), flags=re.IGNORECASE)
    if not match:
        return None
    try:
        return dt.date.fromisocalendar(int(match[1]), int(match[2]), 1)
    except ValueError:
        return None
