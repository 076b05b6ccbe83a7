"""One event on the desk: its overview (the numbers of its card, its sessions, what to do next)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from organizer.selectors import cards as card_selectors
from organizer.views.base import desk_page, desk_render, managed_event
from registrations import selectors as registration_selectors


@require_GET
@desk_page
def event_overview(request: HttpRequest, slug: str) -> HttpResponse:
    event = managed_event(request, slug)
    (card,) = card_selectors.desk_event_cards(user=request.user, event_id=event.pk)
    stuck = list(registration_selectors.refunds_stuck(event=card.event))
    context = {"card": card, "event": card.event, "refunds_stuck": stuck}
    return desk_render(request, "organizer/event.html", context, event=card.event)
