"""What an action would do, said before it is done (the cancel page's "who is told, what is refunded")."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Sum

from events.models import Event
from notifications import selectors as notification_selectors
from registrations.models import Payment, Refund


@dataclass(frozen=True)
class CancelEffects:
    notices: int  # active registrations: each gets a cancellation notice
    refunds: int  # online payments refunded through Stripe
    refund_totals: list[tuple[str, Decimal]]  # (currency, amount)
    door_paid: int  # paid in cash at the door: to be handed back by the organizer


def event_cancel_effects(*, event: Event) -> CancelEffects:
    """Counted with the same filters ``organizer.services.event_cancel`` acts on: the notices go to
    ``notifications.selectors.active_registrations``; the refunds to the paid Stripe payments
    (``registrations.services.refunds.refund_event_payments``), less what was already refunded in
    part. Four queries."""
    notices = notification_selectors.active_registrations(event.pk).count()
    paid = Payment.objects.filter(registration__event=event, status=Payment.Status.PAID)
    online = (
        paid.filter(provider=Payment.Provider.STRIPE)
        .order_by()
        .values("currency")
        .annotate(n=Count("pk"), total=Sum("amount"))
        .order_by("currency")
    )
    rows = list(online)
    # What was already refunded in part (Stripe's dashboard, the desk) is not refunded again.
    refunded = dict(
        Refund.objects.filter(
            payment__registration__event=event,
            payment__provider=Payment.Provider.STRIPE,
            payment__status=Payment.Status.PAID,
            status__in=(Refund.Status.PENDING, Refund.Status.SUCCEEDED),
        )
        .order_by()
        .values("payment__currency")
        .annotate(total=Sum("amount"))
        .values_list("payment__currency", "total")
    )
    door_paid = paid.exclude(provider=Payment.Provider.STRIPE).count()
    return CancelEffects(
        notices=notices,
        refunds=sum(row["n"] for row in rows),
        refund_totals=[(row["currency"], row["total"] - refunded.get(row["currency"], 0)) for row in rows],
        door_paid=door_paid,
    )
