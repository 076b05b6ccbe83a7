"""The desk's home: my organizations' upcoming events and courses as cards, drafts apart."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from organizer.selectors import cards as card_selectors
from organizer.views.base import desk_page, desk_render


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
        },
    )
