"""Messages to an event's attendees: compose in each language, choose recipients, **Preview**
(each language as it will read, and how many people get it in which language), **Send**
(``notifications.notices.announcement_create``), then the delivery as the outbox reports it."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from common.exceptions import DomainError
from common.i18n import active_language, pick
from common.pages import language_name
from events.models import Event
from notifications import notices
from notifications import selectors as outbox_reads
from notifications.messages import announcement_parts
from notifications.models import Announcement
from organizer.ops_forms import AUDIENCE_CHOICES, AnnouncementForm
from organizer.views.base import desk_page, desk_render, managed_event
from organizer.views.registrations import session_label, session_options


def announcement_title(announcement: Announcement, event: Event) -> str:
    return pick(announcement.subject, active_language(), [event.organization.default_language]) or str(announcement)


@require_http_methods(["GET", "POST"])
@desk_page
def message_page(request: HttpRequest, slug: str) -> HttpResponse:
    event = managed_event(request, slug)
    form = AnnouncementForm(request.POST or None, sessions=session_options(event))
    preview = None
    if form.is_bound and form.is_valid():
        if "send" in request.POST:
            try:
                announcement = notices.announcement_create(
                    user=request.user,
                    event_slugs=[event.slug],
                    subject=form.cleaned_data["subject"],
                    body=form.cleaned_data["body"],
                    audience=form.cleaned_data["audience"],
                    session_id=form.session_id,
                )
            except DomainError as exc:
                messages.error(request, exc.message)
            else:
                messages.success(request, _("Sent to %(n)d people.") % {"n": announcement.recipient_count})
                return redirect("desk:event-message-detail", slug=event.slug, pk=announcement.pk)
        preview = announcement_preview(event=event, form=form)
    sent = list(Announcement.objects.filter(events=event).order_by("-id")[:20])
    for announcement in sent:
        announcement.title = announcement_title(announcement, event)
    context = {"event": event, "form": form, "preview": preview, "sent": sent}
    status = 400 if form.is_bound and not form.is_valid() else 200
    return desk_render(request, "organizer/message.html", context, status=status, event=event)


def announcement_preview(*, event: Event, form: AnnouncementForm) -> dict:
    """Each written language as a reader of it gets the message, and who reads which."""
    draft = Announcement(subject=form.cleaned_data["subject"], body=form.cleaned_data["body"])
    organization_language = event.organization.default_language
    languages = [
        {"code": code, "name": language_name(code), "parts": announcement_parts(draft, code, organization_language)}
        for code in form.written
    ]
    audience = outbox_reads.announcement_audience(
        event_ids=[event.pk], audience=form.cleaned_data["audience"], session_id=form.session_id
    )
    counts = outbox_reads.reading_languages(
        registrations=audience, written=form.written, organization_language=organization_language
    )
    readers = [
        {"languages": " + ".join(language_name(code) for code in key.split("+")), "count": n}
        for key, n in counts.items()
    ]
    return {"languages": languages, "readers": readers, "total": sum(counts.values())}


@require_GET
@desk_page
def message_detail(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """One announcement: its texts, its recipients, and the delivery (sent / waiting / failed)."""
    event = managed_event(request, slug)
    announcement = get_object_or_404(Announcement.objects.filter(events=event).select_related("session"), pk=pk)
    delivery = outbox_reads.announcement_delivery(announcement_id=announcement.pk)
    context = {
        "event": event,
        "announcement": announcement,
        "title": announcement_title(announcement, event),
        "audience_label": dict(AUDIENCE_CHOICES).get(announcement.audience, ""),
        "session_label": session_label(announcement.session, event) if announcement.session else "",
        "delivery": delivery,
        "in_progress": delivery["pending"] + delivery["sending"],
        "texts": [
            {"code": code, "name": language_name(code), "subject": text, "body": announcement.body.get(code, "")}
            for code, text in announcement.subject.items()
        ],
    }
    return desk_render(request, "organizer/message_detail.html", context, event=event)
