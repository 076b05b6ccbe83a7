"""The desk's home: my organizations' upcoming events and courses as cards, drafts apart."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from organizations import access
from organizer.selectors import cards as card_selectors
from organizer.views.base import desk_page, desk_render
from registrations import selectors as registration_selectors


@require_GET
@desk_page
def home(request: HttpRequest) -> HttpResponse:
    cards = card_selectors.desk_event_cards(user=request.user)
    return desk_render(
        request,
        "organizer/home.html",
        {
            "drafts": [card for card in cards if card.is_draft],
            "upcoming": [card for card in cards if not card.is_draft],
            "refunds_stuck": list(
                registration_selectors.refunds_stuck(organizations=access.managed_organizations(user=request.user))
            ),
        },
    )
