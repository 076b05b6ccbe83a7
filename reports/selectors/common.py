"""What every report shares: who may read it, what counts as held / checked in, labels.

Definitions used by every figure (and by docs/benchmarks.md):

- a session is **held** when it is not cancelled and has started (``starts_at <= now``);
- a ticket is **checked in** at a session when it has an *effective in* there: direction "in",
  not reverted, not a recorded duplicate. Re-entries (entry 2, 3…) do not count twice: figures
  count distinct tickets; an **arrival** is the effective in of entry 1 (the first time through
  the door);
- **seats** are tickets: a registration of a party of three is one registration and three seats.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django.conf import settings
from django.db.models import Q
from django.utils.translation import get_language_info

from checkin.completion import EFFECTIVE_IN, is_held, sessions_needed, threshold_of  # noqa: F401 (shared)
from common.exceptions import NotFound
from events.models import Event, Session
from organizations import access
from organizations.models import Organization
from registrations.models import Registration

CONFIRMED = Registration.Status.CONFIRMED


def effective_in(prefix: str = "") -> Q:
    """``EFFECTIVE_IN`` seen from another model (``prefix="checkins__"``)."""
    return Q(**{f"{prefix}direction": "in", f"{prefix}is_duplicate": False, f"{prefix}reverted_at__isnull": True})


def held_sessions_q(*, now: dt.datetime, prefix: str = "") -> Q:
    return Q(**{f"{prefix}starts_at__lte": now}) & ~Q(**{f"{prefix}status": Session.Status.CANCELLED})


def rate(part: int, whole: int) -> float | None:
    """A share rounded for display (4 decimals); None when there is nothing to divide by."""
    return round(part / whole, 4) if whole else None


def zone(name: str) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def language_label(code: str) -> str:
    """A language's name in the active (request) language, e.g. ``ja`` → "Japanese" / "日语"."""
    try:
        return str(get_language_info(code)["name_translated"])
    except KeyError:
        return code or "—"


# --- scoping: reports are for owners and managers of the event's organization ----------------------


def report_event(*, user, slug: str) -> Event:
    """The event if ``user`` manages its organization; otherwise "not found" (never "forbidden",
    so slugs of other organizations cannot be probed). Volunteers do not read reports."""
    event = Event.objects.for_organizer(user).select_related("organization").filter(slug=slug).first()
    if event is None:
        raise NotFound()
    return event


def report_organization(*, user, slug: str) -> Organization:
    organization = access.managed_organizations(user=user).filter(slug=slug).first()
    if organization is None:
        raise NotFound()
    return organization


def event_sessions(*, event: Event) -> list[Session]:
    sessions = list(Session.objects.filter(event_id=event.pk).order_by("starts_at", "id"))
    for session in sessions:
        session.event = event  # translations fall back to the event's language: no query per session
    return sessions
