"""A printable A4 poster per event, for a community center's notice board: the cover, title,
dates, place and price, and a QR code that opens the event page on a phone.

The QR holds the public address (``SITE_URL``): a poster is read far from the host that printed it.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

from common.i18n import active_language, content_languages, pick
from common.pages import not_found, page_context
from pages import presentation
from pages.views.events import EventCard, VenueView, get_event, session_views
from registrations.tickets import qr_svg

MAX_POSTER_SESSIONS = 8


def public_event_url(slug: str) -> str:
    return f"{settings.SITE_URL}{reverse('pages:event-detail', kwargs={'slug': slug})}"


@require_GET
def event_poster(request: HttpRequest, slug: str) -> HttpResponse:
    event = get_event(slug)
    if event is None:
        return not_found(request)
    language = active_language()
    fallbacks = [event.default_language, event.organization.default_language]
    card = EventCard.of(event, language)
    sessions = [session for session in session_views(event, language) if not session.cancelled]
    # The title in the other languages too: a notice board is read by everyone who passes.
    other_titles = [
        (code, event.title[code])
        for code in content_languages()
        if code != language and event.title.get(code) and event.title[code] != card.title
    ]
    context = page_context(
        request,
        event=event,
        card=card,
        other_titles=other_titles,
        organization=pick(event.organization.name, language, fallbacks) or event.organization.slug,
        venue=VenueView.of(event.venue, language, fallbacks),
        sessions=sessions[:MAX_POSTER_SESSIONS],
        more_sessions=max(len(sessions) - MAX_POSTER_SESSIONS, 0),
        timezone_label=presentation.timezone_label(event.timezone, language),
        public_url=public_event_url(event.slug),
        qr_url=reverse("pages:event-qr", kwargs={"slug": event.slug}),
        event_url=reverse("pages:event-detail", kwargs={"slug": event.slug}),
    )
    return render(request, "pages/poster.html", context)


@require_GET
@cache_control(public=True, max_age=3600)
def event_qr(request: HttpRequest, slug: str) -> HttpResponse:
    """The QR code of the event's public page, as SVG (sharp at any print size)."""
    event = get_event(slug)
    if event is None:
        return not_found(request)
    return HttpResponse(qr_svg(code=public_event_url(event.slug)), content_type="image/svg+xml")
