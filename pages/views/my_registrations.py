"""Public pages for "My registrations": ask for the link by email, then the list it opens.

The request form answers the same whether or not the address is known, and the list is reached
only through the mailed, expiring link (``registrations/services/my_registrations.py``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from common.i18n import active_language, pick
from common.pages import lang_query, not_found, page_context, private_page
from common.throttling import RegistrationPerEmailThrottle, RegistrationPerIPThrottle, throttle_waits, too_many_requests
from pages.forms import MyRegistrationsForm
from pages.views.events import VenueView
from registrations import selectors
from registrations.models import Registration
from registrations.services.my_registrations import link_lifetime, my_registrations_link_send


@require_http_methods(["GET", "POST"])
def my_registrations(request: HttpRequest) -> HttpResponse:
    """GET the form; POST sends the link (if the address has registrations) and says the same either way."""
    form = MyRegistrationsForm(request.POST or None)
    sent_to = ""
    if request.method == "POST":
        wait = throttle_waits(request, [RegistrationPerIPThrottle(), RegistrationPerEmailThrottle()])
        if wait is not None:
            return too_many_requests(request, wait)
        if form.is_valid():
            sent_to = form.cleaned_data["email"]
            my_registrations_link_send(email=sent_to, language=active_language())
            form = MyRegistrationsForm()
    form.mark_errors()
    hours = int(link_lifetime().total_seconds() // 3600)
    context = page_context(request, form=form, sent_to=sent_to, hours=hours)
    return render(request, "pages/my_registrations.html", context, status=400 if form.errors else 200)


@dataclass
class MyRegistrationView:
    title: str
    title_lang: str
    event_url: str
    status: str
    status_label: str
    timezone: str
    starts_at: dt.datetime | None
    ends_at: dt.datetime | None
    session_count: int
    venue: VenueView | None
    party_size: int
    manage_url: str
    calendar_url: str | None
    cancel_url: str | None
    upcoming: bool
    ticket_names: list[str] = field(default_factory=list)


def _view(registration: Registration, *, language: str, now: dt.datetime, lang: str) -> MyRegistrationView:
    event = registration.event
    fallbacks = [event.default_language, event.organization.default_language]
    sessions = [session for session in event.sessions.all() if not session.is_cancelled]
    upcoming_sessions = [session for session in sessions if session.ends_at > now]
    shown = upcoming_sessions[0] if upcoming_sessions else (sessions[-1] if sessions else None)
    upcoming = bool(upcoming_sessions)
    token = registration.manage_token
    links = selectors.registration_links(registration=registration, absolute=False)
    title = pick(event.title, language, fallbacks) or event.slug
    return MyRegistrationView(
        title=title,
        title_lang="" if event.title.get(language) else (event.default_language or ""),
        event_url=reverse("pages:event-detail", kwargs={"slug": event.slug}) + lang,
        status=registration.status,
        status_label=registration.get_status_display(),
        timezone=event.timezone,
        starts_at=shown.starts_at if shown else None,
        ends_at=shown.ends_at if shown else None,
        session_count=len(sessions),
        venue=VenueView.of(event.venue, language, fallbacks),
        party_size=registration.party_size,
        manage_url=reverse("pages:manage", kwargs={"token": token}) + lang,
        calendar_url=links["calendar_url"],
        cancel_url=(
            reverse("pages:manage-cancel", kwargs={"token": token}) + lang
            if upcoming and registration.status in Registration.ACTIVE
            else None
        ),
        upcoming=upcoming,
        ticket_names=[ticket.name for ticket in registration.tickets.all()]
        if registration.status == Registration.Status.CONFIRMED
        else [],
    )


@private_page
@require_http_methods(["GET"])
def my_registrations_list(request: HttpRequest, token: str) -> HttpResponse:
    now = timezone.now()
    link = selectors.my_registrations_link(token=token, now=now)
    if link is None:
        return not_found(
            request,
            _("This link is not valid or has expired. Ask for a new one: we email it to you at once."),
        )
    language = active_language()
    lang = lang_query(request)
    views = [_view(r, language=language, now=now, lang=lang) for r in selectors.my_registrations(email=link.email)]
    upcoming = sorted((v for v in views if v.upcoming), key=lambda v: v.starts_at or now)
    past = [v for v in views if not v.upcoming]
    context = page_context(
        request,
        email=link.email,
        upcoming=upcoming,
        past=past,
        expires_at=link.expires_at,
        ask_url=reverse("pages:my-registrations"),
    )
    return render(request, "pages/my_registrations_list.html", context)
