"""Events with their sessions and questions, publish/cancel actions, "generate sessions from a rule"."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django.contrib import admin, messages
from django.contrib.admin.utils import quote, unquote
from django.core.exceptions import PermissionDenied
from django.db.models import Min, Q
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext, ngettext_lazy

from common.exceptions import DomainError, InvalidInput, SessionOverlap
from common.i18n import active_language
from events import services as events_services
from events.models import Event, Question, Session
from events.services import EVENT_FIELDS, event_publish, image_delete_on_commit
from organizations.models import Organization, Venue
from organizer import services as organizer_services
from organizer.admin.scoping import (
    OrganizationScopedAdmin,
    audited_by_service,
    can_manage,
    limit_foreign_key,
    managed_organization_ids,
)
from organizer.admin.sessions import adopt, clash_list, local_span, save_session, warn_about_overlaps
from organizer.forms import EventAdminForm, GenerateSessionsForm, QuestionAdminForm, SessionAdminForm

# --- inlines -----------------------------------------------------------------------------------


class EventChildInline:
    """Inline rows of an event: readable when the event is, writable unless it is cancelled."""

    def _allowed(self, request, event: Event | None, *, write: bool) -> bool:
        if event is None or event.pk is None:
            return can_manage(request)
        if not can_manage(request, event.organization_id):
            return False
        return not (write and event.status == Event.Status.CANCELLED)

    def has_view_permission(self, request, obj=None):
        return self._allowed(request, obj, write=False)

    def has_add_permission(self, request, obj=None):
        return self._allowed(request, obj, write=True)

    def has_change_permission(self, request, obj=None):
        return self._allowed(request, obj, write=True)

    def has_delete_permission(self, request, obj=None):
        return self._allowed(request, obj, write=True)

    def get_formset(self, request, obj=None, **kwargs):
        self.parent_event = obj  # inline instances are created per request
        return super().get_formset(request, obj, **kwargs)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        event = getattr(self, "parent_event", None)
        if db_field.related_model is Venue and event is not None and event.organization_id:
            kwargs["queryset"] = Venue.objects.filter(organization_id=event.organization_id)
        limit_foreign_key(request, db_field, kwargs)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class SessionInline(EventChildInline, admin.TabularInline):
    model = Session
    form = SessionAdminForm
    fields = ("starts_at", "ends_at", "display_local_time", "venue", "status", "title")
    readonly_fields = ("display_local_time",)

    def get_extra(self, request, obj=None, **kwargs):
        return 0 if obj is not None and obj.pk else 1

    def has_delete_permission(self, request, obj=None):
        # Sessions of a published event are cancelled (status), not deleted: calendars need the cancellation.
        allowed = super().has_delete_permission(request, obj)
        return allowed and (obj is None or request.user.is_superuser or obj.status == Event.Status.DRAFT)

    @admin.display(description=_("time in the event's zone"))
    def display_local_time(self, obj: Session) -> str:
        return local_span(obj) if obj.pk else "—"


class QuestionInline(EventChildInline, admin.StackedInline):
    model = Question
    form = QuestionAdminForm
    extra = 0
    fields = (("key", "kind", "position"), "label", "choices", ("required", "show_at_checkin"))


# --- list filters ------------------------------------------------------------------------------


class PriceFilter(admin.SimpleListFilter):
    title = _("price")
    parameter_name = "price"

    def lookups(self, request, model_admin):
        return [("free", _("Free")), ("paid", _("Paid"))]

    def queryset(self, request, queryset):
        if self.value() == "free":
            return queryset.filter(price=0)
        if self.value() == "paid":
            return queryset.filter(price__gt=0)
        return queryset


# --- events ------------------------------------------------------------------------------------


@admin.register(Event)
class EventAdmin(OrganizationScopedAdmin):
    form = EventAdminForm
    inlines = (SessionInline, QuestionInline)
    list_display = ("display_title", "kind", "status", "display_organization", "first_start", "capacity")
    list_filter = (
        "status",
        "kind",
        "category",
        ("organization", admin.RelatedOnlyFieldListFilter),
        PriceFilter,
    )
    list_select_related = ("organization", "category")
    search_fields = ("slug", "search_text")
    search_help_text = _("Slug or words of the title or summary, in any language.")
    # privacy contributes "anonymise the registrations" (privacy/admin.py): desks do not import each other.
    actions = ["publish_events", "cancel_events"]
    readonly_fields = (
        "status",
        "published_at",
        "cancelled_at",
        "recurrence_rule",
        "search_text",
        "created_at",
        "updated_at",
    )
    fieldsets = (
        (None, {"fields": ("organization", "kind", "slug", "status", "category")}),
        (
            _("Texts"),
            {"fields": ("default_language", "title", "summary", "description", "spoken_languages", "image")},
        ),
        (_("Place and time zone"), {"fields": ("venue", "online_url", "timezone")}),
        (
            _("Registration"),
            {
                "fields": (
                    "capacity",
                    "max_guests",
                    "registration_opens_at",
                    "registration_closes_at",
                    ("price", "currency"),
                    "payment_methods",
                    "allow_pay_at_door",
                    "payment_hold_minutes",
                    "email_confirm_minutes",
                    "open_holds_per_domain",
                ),
            },
        ),
        (
            _("At the door and reminders"),
            {
                "fields": ("checkin_opens_minutes", "reminder_hours"),
            },
        ),
        (
            _("Record"),
            {
                "classes": ("collapse",),
                "fields": (
                    "recurrence_rule",
                    "published_at",
                    "cancelled_at",
                    "created_at",
                    "updated_at",
                    "search_text",
                ),
            },
        ),
    )

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(first_start=Min("sessions__starts_at", filter=~Q(sessions__status=Session.Status.CANCELLED)))
        )

    def get_fieldsets(self, request, obj=None):
        zone_note = _("Times are entered in %(zone)s, the admin's time zone.") % {
            "zone": timezone.get_current_timezone_name()
        }
        return [
            (name, {**options, "description": zone_note})
            if "registration_opens_at" in options["fields"]
            else (name, options)
            for name, options in super().get_fieldsets(request, obj)
        ]

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        if obj is not None and "venue" in form.base_fields:
            # The form class (and its fields) is built afresh per call, so narrowing here is safe.
            form.base_fields["venue"].queryset = Venue.objects.filter(organization_id=obj.organization_id)
        return form

    def get_readonly_fields(self, request, obj=None):
        readonly = super().get_readonly_fields(request, obj)
        # Moving an event between organizations would strand its venue, sessions and registrations.
        return (*readonly, "organization") if obj else readonly

    def has_change_permission(self, request, obj=None):
        # A cancelled event is history (``event_update`` refuses it too).
        allowed = super().has_change_permission(request, obj)
        return allowed and (obj is None or obj.status != Event.Status.CANCELLED)

    def has_delete_permission(self, request, obj=None):
        # Published events are cancelled, not deleted: people registered for them.
        allowed = super().has_delete_permission(request, obj)
        return allowed and (obj is None or request.user.is_superuser or obj.status == Event.Status.DRAFT)

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        ids = managed_organization_ids(request)
        if len(ids) == 1 and "organization" not in initial:
            organization = Organization.objects.get(pk=next(iter(ids)))
            initial.update(
                organization=organization.pk,
                timezone=organization.timezone,
                default_language=organization.default_language,
            )
        return initial

    def get_search_results(self, request, queryset, search_term):
        # search_text holds case-folded titles and summaries.
        return super().get_search_results(request, queryset, search_term.casefold())

    def get_formset_kwargs(self, request, obj, inline, prefix):
        kwargs = super().get_formset_kwargs(request, obj, inline, prefix)
        if isinstance(inline, SessionInline):
            kwargs["form_kwargs"] = {"event": obj}  # for the time zone hint
        return kwargs

    def save_model(self, request, obj, form, change):
        """Through the services the organizer API uses: the edited fields only (never the seat
        counters this form loaded), a bigger capacity reaches the waiting list, a new venue sends
        notices; the image is checked and replaced (the old file goes on commit) by its own service."""
        user = request.user
        if change:
            fields = {name: form.cleaned_data[name] for name in form.changed_data if name in EVENT_FIELDS}
            saved = organizer_services.event_update(user=user, event=obj, **fields) if fields else obj
        else:
            fields = {name: form.cleaned_data[name] for name in EVENT_FIELDS if name in form.cleaned_data}
            saved = events_services.event_create(user=user, organization=form.cleaned_data["organization"], **fields)
        if "image" in form.changed_data:
            image = form.cleaned_data.get("image")
            if image:
                saved = events_services.event_set_image(user=user, event=saved, upload=image)
            else:
                saved = events_services.event_remove_image(user=user, event=saved)
        adopt(obj, Event.objects.get(pk=saved.pk))
        if fields or "image" in form.changed_data:
            audited_by_service(request, obj)

    def delete_model(self, request, obj):
        self.delete_queryset(request, Event.objects.filter(pk=obj.pk))

    def delete_queryset(self, request, queryset):
        # A deleted (draft) event's image file goes with it, once the deletion is committed.
        names = list(queryset.values_list("image", flat=True))
        super().delete_queryset(request, queryset)
        for name in names:
            image_delete_on_commit(name)

    def save_formset(self, request, form, formset, change):
        if formset.model is not Session:
            return super().save_formset(request, form, formset, change)
        sessions = formset.save(commit=False)
        for session in formset.deleted_objects:
            session.delete()
        for session in sessions:
            save_session(request, session)
        formset.save_m2m()
        warn_about_overlaps(request, sessions)

    # --- list columns --------------------------------------------------------------------------

    @admin.display(description=_("title"), ordering="slug")
    def display_title(self, obj: Event) -> str:
        return obj.t("title", active_language()) or obj.slug

    @admin.display(description=_("organization"), ordering="organization__slug")
    def display_organization(self, obj: Event) -> str:
        return obj.organization.t("name", active_language()) or obj.organization.slug

    @admin.display(description=_("first session"), ordering="first_start")
    def first_start(self, obj: Event) -> str:
        if obj.first_start is None:
            return "—"
        return date_format(timezone.localtime(obj.first_start, zoneinfo.ZoneInfo(obj.timezone)), "Y-m-d H:i T")

    # --- actions -------------------------------------------------------------------------------

    def _transition(self, request, queryset, service, *, log: str, done_message) -> None:
        """Run ``service`` per event; a refusal (DomainError) is reported and the others go on."""
        done = 0
        for event in queryset:
            try:
                service(user=request.user, event=event)
            except DomainError as exc:
                self.message_user(request, format_html("{}: {}", event, exc.message), messages.ERROR)
            else:
                done += 1
                self.log_change(request, event, log)
        if done:
            self.message_user(request, done_message % {"count": done}, messages.SUCCESS)

    @admin.action(description=_("Publish selected events"), permissions=["change"])
    def publish_events(self, request, queryset):
        self._transition(
            request,
            queryset,
            event_publish,
            log="Published.",
            done_message=ngettext_lazy("%(count)d event published.", "%(count)d events published.", "count"),
        )

    @admin.action(description=_("Cancel selected events"), permissions=["change"])
    def cancel_events(self, request, queryset):
        self._transition(
            request,
            queryset,
            organizer_services.event_cancel,
            log="Cancelled.",
            done_message=ngettext_lazy("%(count)d event cancelled.", "%(count)d events cancelled.", "count"),
        )

    # --- generate sessions ---------------------------------------------------------------------

    def get_urls(self):
        return [
            path(
                "<path:object_id>/generate-sessions/",
                self.admin_site.admin_view(self.generate_sessions_view),
                name=f"{self.opts.app_label}_{self.opts.model_name}_generate_sessions",
            ),
            *super().get_urls(),
        ]

    def generate_sessions_view(self, request, object_id):
        event = self.get_object(request, unquote(object_id))
        if event is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not self.has_change_permission(request, event):
            raise PermissionDenied
        if request.method == "POST":
            form = GenerateSessionsForm(request.POST, event=event, offer_overlap="overlap_offered" in request.POST)
            if form.is_valid():
                try:
                    created = organizer_services.sessions_generate(
                        user=request.user,
                        event=event,
                        rule=form.recurrence_rule,
                        first_start=form.first_start,
                        duration=form.duration,
                        venue=form.cleaned_data["venue"],
                        replace_future=form.cleaned_data["replace_future"],
                        allow_overlap=form.cleaned_data["allow_overlap"],
                    )
                except SessionOverlap as exc:
                    self._report_overlap(request, exc)
                    form.offer_overlap()
                except InvalidInput as exc:
                    form.add_service_errors(exc.fields)
                    if not exc.fields:
                        messages.error(request, exc.message)
                except DomainError as exc:
                    messages.error(request, exc.message)
                else:
                    self.log_change(request, event, f"Generated {len(created)} sessions: {form.recurrence_rule}")
                    messages.success(
                        request,
                        ngettext("%(count)d session created.", "%(count)d sessions created.", len(created))
                        % {"count": len(created)},
                    )
                    return HttpResponseRedirect(
                        reverse("admin:events_event_change", args=[quote(event.pk)], current_app=self.admin_site.name)
                    )
        else:
            form = GenerateSessionsForm(event=event, initial=self._generate_initial(event))

        upcoming = event.sessions.exclude(status=Session.Status.CANCELLED).filter(starts_at__gt=timezone.now())
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": event,
            "title": _("Generate sessions"),
            "subtitle": str(event),
            "form": form,
            "upcoming_count": upcoming.count(),
            "event_zone": event.timezone,
            "has_view_permission": True,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/events/event/generate_sessions.html", context)

    def _report_overlap(self, request, exc: SessionOverlap) -> None:
        ids = [conflict["session"] for conflict in exc.extra.get("conflicts", [])]
        clashes = Session.objects.filter(pk__in=ids).select_related("event", "venue", "event__venue")
        messages.warning(
            request,
            format_html(
                "{} {}{}",
                ngettext(
                    "These sessions would overlap %(count)d session in the same venue:",
                    "These sessions would overlap %(count)d sessions in the same venue:",
                    len(ids),
                )
                % {"count": len(ids)},
                _("tick “Schedule anyway” to create them regardless, or change the time or venue."),
                clash_list(request, clashes),
            ),
        )

    @staticmethod
    def _generate_initial(event: Event) -> dict:
        """Continue the existing schedule: a week after the last session, same time and length."""
        initial = {"rule": event.recurrence_rule, "first_time": dt.time(19, 0), "duration_minutes": 120}
        last = event.sessions.exclude(status=Session.Status.CANCELLED).order_by("-starts_at").first()
        if last is not None:
            start = timezone.localtime(last.starts_at, zoneinfo.ZoneInfo(event.timezone))
            initial.update(
                first_date=start.date() + dt.timedelta(days=7),
                first_time=start.time().replace(second=0, microsecond=0),
                duration_minutes=int((last.ends_at - last.starts_at).total_seconds() // 60),
                venue=last.venue_id,
            )
        return initial
