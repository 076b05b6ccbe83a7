"""common.sql.insert_rows: the rows bulk_create would write, from a statement written once."""

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.models.signals import post_save
from django.forms.models import model_to_dict

from common.sql import insert_rows
from registrations.models import Registration, Ticket
from tests.factories import EventFactory

pytestmark = pytest.mark.django_db

SKIP = {"id", "manage_token", "created_at", "updated_at"}


def _fields(obj) -> dict:
    return {k: v for k, v in model_to_dict(obj).items() if k not in SKIP}


def test_the_rows_are_what_bulk_create_writes():
    event = EventFactory()
    ours = Registration(event=event, name="Li Na", email="li@example.org", status="confirmed", answers={"diet": "x"})
    theirs = Registration(event=event, name="Li Na", email="li2@example.org", status="confirmed", answers={"diet": "x"})
    insert_rows([ours])
    Registration.objects.bulk_create([theirs])
    assert ours.pk and not ours._state.adding and ours._state.db == "default"
    stored_ours, stored_theirs = Registration.objects.get(pk=ours.pk), Registration.objects.get(pk=theirs.pk)
    assert {**_fields(stored_ours), "email": None} == {**_fields(stored_theirs), "email": None}
    assert stored_ours.created_at is not None and stored_ours.manage_token == ours.manage_token

    tickets = insert_rows(
        [Ticket(registration=ours, position=p, name=f"n{p}", short_code=f"AAAA{p}BCD") for p in range(3)]
    )
    assert [t.pk for t in tickets] == sorted(t.pk for t in tickets)  # ids in the order given
    assert list(Ticket.objects.filter(registration=ours).order_by("position").values_list("pk", "name")) == [
        (t.pk, t.name) for t in tickets
    ]


def test_a_refused_row_raises_integrity_error_and_writes_nothing():
    registration = Registration.objects.create(event=EventFactory(), name="A", email="a@example.org")
    insert_rows([Ticket(registration=registration, position=0, name="A", short_code="ZZZZ2345")])
    with pytest.raises(IntegrityError), transaction.atomic():
        insert_rows(
            [
                Ticket(registration=registration, position=1, name="B", short_code="YYYY2345"),
                Ticket(registration=registration, position=2, name="C", short_code="ZZZZ2345"),
            ]
        )
    assert Ticket.objects.filter(registration=registration).count() == 1


def test_one_statement_for_all_rows_and_save_for_a_model_with_receivers():
    from django.test.utils import CaptureQueriesContext

    registration = Registration.objects.create(event=EventFactory(), name="A", email="a@example.org")
    with CaptureQueriesContext(connection) as queries:
        insert_rows([Ticket(registration=registration, position=p, name="A", short_code=f"QQQ{p}2345") for p in (0, 1)])
    assert [q["sql"].split(" (")[0] for q in queries.captured_queries] == ['INSERT INTO "registrations_ticket"']

    seen = []

    def receiver(sender, instance, created, **kwargs):
        seen.append((instance.position, created))

    post_save.connect(receiver, sender=Ticket)
    try:
        insert_rows([Ticket(registration=registration, position=p, name="B", short_code=f"RRR{p}2345") for p in (2, 3)])
    finally:
        post_save.disconnect(receiver, sender=Ticket)
    assert seen == [(2, True), (3, True)]
    assert Ticket.objects.filter(registration=registration).count() == 4


def test_a_statement_before_the_insert_holds_for_its_transaction(db):
    registration = Registration.objects.create(event=EventFactory(), name="A", email="a@example.org")
    [ticket] = insert_rows(
        [Ticket(registration=registration, position=0, name="A", short_code="SSSS2345")], before="SELECT 1"
    )
    assert Ticket.objects.get(pk=ticket.pk).short_code == "SSSS2345"
