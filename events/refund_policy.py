"""An event's refund policy: full until N days before, then P %, then none (pure functions).

The days are counted back from the first session that is not cancelled, to the minute: "7 days
before" a session at 19:00 on the 10th is 19:00 on the 3rd. ``refund_share`` is what
``registrations.services.refunds`` applies on an attendee's cancel; ``policy_steps`` is what the
public page and the manage page's cancel screen show before anybody pays or cancels.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

FULL = Decimal("100")


@dataclass(frozen=True)
class PolicyStep:
    percent: Decimal  # 100, P, or 0
    until: dt.datetime | None  # this share applies until then (None: until the event starts)
    text: str  # said in the active language


def refund_percent(*, event, first_start: dt.datetime | None, now: dt.datetime) -> Decimal:
    """The share (0–100) of what was paid that a cancel at ``now`` gives back."""
    if first_start is not None and first_start <= now:
        return Decimal(0)  # started: main's rule, nothing is refunded any more
    if event.refund_full_days is None or first_start is None:
        return FULL
    left = first_start - now
    if left >= dt.timedelta(days=event.refund_full_days):
        return FULL
    if event.refund_partial_percent and left >= dt.timedelta(days=event.refund_partial_days):
        return Decimal(event.refund_partial_percent)
    return Decimal(0)


def event_first_start(event) -> dt.datetime | None:
    """When the event starts: its first session that is not cancelled (one query)."""
    starts = event.sessions.exclude(status="cancelled").order_by("starts_at").values_list("starts_at", flat=True)
    return starts.first()


def policy_steps(*, event, first_start: dt.datetime | None) -> list[PolicyStep]:
    """The policy as sentences, in order, for the active language."""
    if event.refund_full_days is None or first_start is None:
        return [PolicyStep(FULL, None, _("Full refund if you cancel before the event starts."))]
    full_days = event.refund_full_days
    full_until = first_start - dt.timedelta(days=full_days)
    steps = [
        PolicyStep(
            FULL,
            full_until,
            ngettext(
                "Full refund if you cancel at least %(days)d day before the event.",
                "Full refund if you cancel at least %(days)d days before the event.",
                full_days,
            )
            % {"days": full_days},
        )
    ]
    percent = event.refund_partial_percent
    if percent and event.refund_partial_days < full_days:
        days = event.refund_partial_days
        if days:
            text = ngettext(
                "Then %(percent)d %% refunded until %(days)d day before.",
                "Then %(percent)d %% refunded until %(days)d days before.",
                days,
            ) % {"percent": percent, "days": days}
        else:
            text = _("Then %(percent)d %% refunded until the event starts.") % {"percent": percent}
        steps.append(PolicyStep(Decimal(percent), first_start - dt.timedelta(days=days), text))
        if days:
            steps.append(PolicyStep(Decimal(0), None, _("After that, no refund.")))
    else:
        steps.append(PolicyStep(Decimal(0), None, _("After that, no refund.")))
    return steps
