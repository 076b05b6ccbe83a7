"""View decorators for the attendee's private links (``/manage/<token>/``), used by every desk
that serves such a page (the manage pages, the personal-data pages)."""

from __future__ import annotations

from functools import wraps

from django.db.models import Prefetch
from django.utils.translation import gettext as _

from common.pages import not_found
from events.models import Session
from registrations.models import Registration

MANAGE_TOKEN_MAX_LENGTH = 64


def registration_by_token(token: str) -> Registration | None:
    """The registration holding this manage token, with everything the manage page shows loaded."""
    if not token or len(token) > MANAGE_TOKEN_MAX_LENGTH:
        return None
    sessions = Session.objects.select_related("venue", "venue__organization")
    return (
        Registration.objects.select_related(
            "event", "event__organization", "event__venue", "event__venue__organization"
        )
        .prefetch_related("tickets", Prefetch("event__sessions", queryset=sessions), "event__questions")
        .filter(manage_token=token)
        .first()
    )


def by_manage_token(view):
    """Hand the view the registration of the link's token; an unknown token gets a page saying so."""

    @wraps(view)
    def wrapped(request, token: str, *args, **kwargs):
        registration = registration_by_token(token)
        if registration is None:
            return not_found(request, _("This registration link is not valid. Please use the link from your email."))
        return view(request, registration, *args, **kwargs)

    return wrapped
