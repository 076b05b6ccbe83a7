"""The organizer's registration list as a CSV file (one column per question).

Everything in it was typed by whoever registered, so every text cell goes through
``common.spreadsheets.safe`` (no formulas), and a download is reading personal data in bulk,
so it goes in the audit log like the report exports (without the filters: a name search would
put an attendee's name there).
"""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import QuerySet
from django.http import StreamingHttpResponse
from django.utils import timezone

from audit import services as audit
from common.spreadsheets import csv_response, safe
from events.models import Event
from registrations.models import Registration

CHUNK_SIZE = 500
HEADER = [
    "id",
    "status",
    "name",
    "email",
    "language",
    "party_size",
    "guests",
    "payment_method",
    "amount_due",
    "currency",
    "paid_at",
    "created_at",
    "confirmed_at",
    "cancelled_at",
]


def event_registrations_csv(*, event: Event, registrations: QuerySet[Registration], actor) -> StreamingHttpResponse:
    """Stream ``registrations`` (of ``event``, filtered by the caller) and record the export."""
    audit.record_export(actor=actor, organization_id=event.organization_id, event=event, table="registrations")
    questions = list(event.questions.all())

    def rows() -> Iterator[list]:
        for r in registrations.iterator(chunk_size=CHUNK_SIZE):
            guests = "; ".join(t.name for t in r.tickets.all() if t.position > 0)
            yield [
                r.pk,
                r.status,
                safe(r.name),
                safe(r.email),
                r.language,
                r.party_size,
                safe(guests),
                r.payment_method,
                r.amount_due,
                r.currency,
                r.paid_at or "",
                r.created_at,
                r.confirmed_at or "",
                r.cancelled_at or "",
                *(safe(r.answers.get(q.key, "")) for q in questions),
            ]

    stamp = timezone.now().strftime("%Y%m%d")
    return csv_response(
        header=HEADER + [f"answer:{q.key}" for q in questions],
        rows=rows(),
        filename=f"{event.slug}-registrations-{stamp}.csv",
    )
