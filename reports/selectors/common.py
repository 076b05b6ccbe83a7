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
from fractions import Fraction

from django.conf import settings
from django.db.models import Q
from django.utils.translation import get_language_info

from common.exceptions import NotFound
from events.models import Event, Session
from organizations import access
from organizations.models import Organization
from registrations.models import Registration

DEFAULT_COMPLETION_THRESHOLD = Fraction(3, 4)

CONFIRMED = Registration.Status.CONFIRMED
EFFECTIVE_IN = Q(direction="in", is_duplicate=False, reverted_at__isnull=True)


def effective_in(prefix: str = "") -> Q:
    """``EFFECTIVE_IN`` seen from another model (``prefix="checkins__"``)."""
    return Q(**{f"{prefix}direction": "in", f"{prefix}is_duplicate": False, f"{prefix}reverted_at__isnull": True})


def held_sessions_q(*, now: dt.datetime, prefix: str = "") -> Q:
    return Q(**{f"{prefix}starts_at__lte": now}) & ~Q(**{f"{prefix}status": Session.Status.CANCELLED})


def is_held(session: Session, *, now: dt.datetime) -> bool:
    return session.status != Session.Status.CANCELLED and session.starts_at <= now


def completion_threshold() -> Fraction:
    """``COURSE_COMPLETION_THRESHOLD`` (a fraction of held sessions, default 0.75) as an exact ratio,
    so 6 of 8 sessions is 0.75 and complete, never 0.7499999."""
    value = getattr(settings, "COURSE_COMPLETION_THRESHOLD", None)
    if value is None:
        return DEFAULT_COMPLETION_THRESHOLD
    threshold = Fraction(str(value))
    if not 0 < threshold <= 1:
        raise ValueError("COURSE_COMPLETION_THRESHOLD must be in (0, 1].")
    return threshold


def sessions_needed(*, held: int, threshold: Fraction) -> int:
    """Fewest attended sessions that reach the threshold (0 held sessions: nobody can complete)."""
    if held == 0:
        return 0
    product = threshold * held
    return -(-product.numerator // product.denominator)  # ceil without floats


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
