"""registrations/0011: refunds kept on the payment (main's sweeper) become Refund rows, and a
pending one keeps the idempotency key Stripe may already have seen (no second refund)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

MIGRATION = ("registrations", "0011_receipts_refunds")


def state_before(graph) -> list[tuple[str, str]]:
    """Every app as far as it goes without ``MIGRATION``: the latest migration of each app that
    does not depend on it (other apps' later migrations may, e.g. a merged choices state)."""
    after = set(graph.backwards_plan(MIGRATION))  # MIGRATION itself and everything that needs it
    targets = []
    for app, name in graph.leaf_nodes():
        node = (app, name)
        while node is not None and node in after:
            parents = [parent for parent in graph.node_map[node].parents if parent.key[0] == app]
            node = parents[0].key if parents else None
        targets.append(node or (app, None))
    return targets


@pytest.mark.django_db(transaction=True)
def test_refunds_on_payments_become_rows():
    executor = MigrationExecutor(connection)
    leaves = executor.loader.graph.leaf_nodes()
    before = state_before(executor.loader.graph)
    assert ("registrations", "0010_verbose_names") in before
    executor.migrate(before)
    old = executor.loader.project_state(before).apps
    Organization = old.get_model("organizations", "Organization")
    Event = old.get_model("events", "Event")
    Registration = old.get_model("registrations", "Registration")
    Payment = old.get_model("registrations", "Payment")
    organization = Organization.objects.create(slug="old-club", name={"en": "Old"})
    event = Event.objects.create(organization=organization, slug="old-event", title={"en": "Old"}, capacity=5)
    now = timezone.now()
    payments = {}
    for status in ("paid", "refund_pending", "refunded"):
        registration = Registration.objects.create(
            event=event, name=status, email=f"{status}@example.org", status="cancelled", manage_token=status
        )
        payments[status] = Payment.objects.create(
            registration=registration,
            provider="stripe",
            status=status,
            amount=Decimal("50"),
            currency="CNY",
            payment_intent_id=f"pi_{status}",
            refund_id="re_done" if status == "refunded" else "",
            refunded_at=now if status == "refunded" else None,
            refund_requested_at=now,
            refund_next_at=now,
            refund_attempts=3 if status == "refund_pending" else 1,
        )

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(leaves)
    new = executor.loader.project_state(leaves).apps
    Refund = new.get_model("registrations", "Refund")
    rows = {r.payment_id: r for r in Refund.objects.all()}
    assert payments["paid"].pk not in rows
    pending = rows[payments["refund_pending"].pk]
    assert (pending.status, pending.amount, pending.attempts) == ("pending", Decimal("50.00"), 3)
    assert pending.idempotency_key == f"huiguan-refund-{payments['refund_pending'].pk}"
    done = rows[payments["refunded"].pk]
    assert (done.status, done.stripe_refund_id) == ("succeeded", "re_done")
