"""Ticket types and codes at the HTTP boundary: the public API, the Stripe stub, real threads on
PostgreSQL for the code's uses. Nothing of ours is mocked."""

import datetime as dt
import json
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from events import ticketing
from events.models import Event
from events.selectors import ACTIVE_REGISTRATION_STATUSES
from privacy import services as privacy_services
from registrations import selectors
from registrations.models import Payment, Registration
from tests.factories import EventFactory, PromoCodeFactory, TicketTypeFactory, UserFactory
from tests.registrations.test_concurrency import run_concurrently
from tests.stripe_stub import checkout_event, sign_webhook

WEBHOOK = "/api/v1/payments/stripe/webhook/"
STANDARD = {"en": "Standard", "zh-hans": "标准票", "ja": "一般"}
STUDENT = {"en": "Student", "zh-hans": "学生票", "ja": "学生"}


def register(client, event, *, email="mei@example.org", expect=201, language="en", **extra):
    data = {"name": "Wang Mei", "email": email, "consents": {"privacy": True}, **extra}
    response = client.post(
        f"/api/v1/events/{event.slug}/registrations/", data, format="json", HTTP_ACCEPT_LANGUAGE=language
    )
    assert response.status_code == expect, response.json()
    return response.json()


@pytest.fixture
def dumplings(db):
    """Standard 80 CNY, Student 50 CNY (door note), a hidden Volunteer type at 0, and DEMO10."""
    event = EventFactory(capacity=20, price=Decimal("80"), currency="CNY", max_guests=4)
    standard = TicketTypeFactory(event=event, name=STANDARD, price=Decimal("80"), position=0)
    student = TicketTypeFactory(
        event=event,
        name=STUDENT,
        price=Decimal("50"),
        position=1,
        door_note={"en": "Bring your student card", "zh-hans": "请带学生证", "ja": "学生証をお持ちください"},
    )
    crew = TicketTypeFactory(event=event, name={"en": "Crew"}, price=Decimal("0"), hidden=True, position=2)
    code = PromoCodeFactory(event=event, code="DEMO10", discount="percent", value=10)
    crew_code = PromoCodeFactory(event=event, code="CREW", discount="none", value=0, unlocks=[crew])
    return event, standard, student, crew, code, crew_code


def test_active_statuses_agree_with_the_registration_model():
    assert set(ACTIVE_REGISTRATION_STATUSES) == set(Registration.ACTIVE)


def test_event_detail_lists_ticket_types_in_the_readers_language(api_client, dumplings):
    event, standard, student, crew, *_ = dumplings
    body = api_client.get(f"/api/v1/events/{event.slug}/?lang=zh-hans").json()
    types = body["ticket_types"]
    assert [t["id"] for t in types] == [standard.pk, student.pk]  # the hidden one is not listed
    assert types[1]["name"] == "学生票" and types[1]["name_i18n"]["en"] == "Student"
    assert types[1]["price"] == "50.00" and types[1]["currency"] == "CNY"
    assert types[1]["seats_left"] == 20 and types[1]["on_sale"] is True
    unlocked = api_client.get(f"/api/v1/events/{event.slug}/?code=crew").json()["ticket_types"]
    assert [t["id"] for t in unlocked] == [standard.pk, student.pk, crew.pk]


def test_mixed_party_with_a_code_pays_the_right_total_through_stripe(api_client, dumplings, stripe_stub):
    event, standard, student, _, code, _ = dumplings
    body = register(
        api_client,
        event,
        ticket_type=standard.pk,
        guests=[{"name": "Li Na", "ticket_type": student.pk}, {"name": "Chen Bo", "ticket_type": student.pk}],
        code="demo10",
    )
    # 80 + 50 + 50 = 180, 10 % off each seat: 72 + 45 + 45 = 162.
    assert body["amount_due"] == "162.00" and body["code"] == "DEMO10"
    assert [
        (line["name"], line["ticket_type"], line["unit_price"], line["discount"], line["amount"])
        for line in body["lines"]
    ] == [
        ("Wang Mei", standard.pk, "80.00", "8.00", "72.00"),
        ("Li Na", student.pk, "50.00", "5.00", "45.00"),
        ("Chen Bo", student.pk, "50.00", "5.00", "45.00"),
    ]
    registration = Registration.objects.get(pk=body["id"])
    lines = selectors.charge_lines(registration, language="ja")
    assert [(line.label, line.quantity, line.unit_amount, line.discount, line.amount) for line in lines] == [
        ("一般", 1, Decimal("80"), Decimal("8"), Decimal("72")),
        ("学生", 2, Decimal("50"), Decimal("5"), Decimal("90")),
    ]
    assert lines[1].label_i18n == STUDENT

    path = body["payment_url"].split("://", 1)[1].split("/", 1)[1]
    session_id = api_client.post("/" + path).json()["checkout_session_id"]
    form = stripe_stub.requests[0]["form"]
    items = [
        (int(form[f"line_items[{i}][quantity]"]), int(form[f"line_items[{i}][price_data][unit_amount]"]))
        for i in range(2)
    ]
    assert items == [(1, 7200), (2, 4500)]
    assert "line_items[2][quantity]" not in form
    assert sum(q * unit for q, unit in items) == 16200
    assert "Student" in form["line_items[1][price_data][product_data][name]"]

    # What Stripe charged for the whole list is what is due: the webhook confirms the seats.
    payload = checkout_event(
        event_id="evt_mixed", session_id=session_id, registration_id=body["id"], amount_total=16200
    )
    response = api_client.post(
        WEBHOOK,
        payload,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=sign_webhook(payload, "whsec_test_huiguan"),
    )
    assert response.status_code == 200
    registration.refresh_from_db()
    assert registration.status == Registration.Status.CONFIRMED
    assert Payment.objects.get().amount == Decimal("162.00")


def test_the_undiscounted_total_does_not_confirm_a_discounted_registration(api_client, dumplings, stripe_stub):
    event, standard, *_ = dumplings
    body = register(api_client, event, ticket_type=standard.pk, code="DEMO10")
    path = body["payment_url"].split("://", 1)[1].split("/", 1)[1]
    session_id = api_client.post("/" + path).json()["checkout_session_id"]
    payload = checkout_event(event_id="evt_full", session_id=session_id, registration_id=body["id"], amount_total=8000)
    api_client.post(
        WEBHOOK,
        payload,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=sign_webhook(payload, "whsec_test_huiguan"),
    )
    assert Registration.objects.get(pk=body["id"]).status == Registration.Status.PENDING_PAYMENT


def test_an_amount_off_is_taken_from_the_registration_once(api_client, dumplings, stripe_stub):
    event, standard, student, *_ = dumplings
    PromoCodeFactory(event=event, code="MINUS60", discount="amount", value=Decimal("60"))
    body = register(
        api_client, event, ticket_type=student.pk, guests=[{"name": "Li Na", "ticket_type": student.pk}], code="MINUS60"
    )
    assert body["amount_due"] == "40.00"
    assert [line["discount"] for line in body["lines"]] == ["50.00", "10.00"]


@pytest.mark.parametrize(
    ("code", "error", "message_ja"),
    [
        ("NOPE", "code_unknown", "このイベントでは"),
        ("OLD", "code_expired", "有効期限"),
        ("SPENT", "code_spent", "使い切"),
    ],
)
def test_unknown_expired_or_spent_codes_are_400_in_the_users_language(
    api_client, dumplings, stripe_stub, code, error, message_ja
):
    event, standard, *_ = dumplings
    PromoCodeFactory(event=event, code="OLD", valid_until=timezone.now() - dt.timedelta(hours=1))
    spent = PromoCodeFactory(event=event, code="SPENT", max_uses=1)
    Registration.objects.create(event=event, name="A", email="a@example.org", status="confirmed", promo_code=spent)
    body = register(api_client, event, code=code, expect=400, language="ja")
    assert body["error"]["code"] == error
    assert message_ja in body["error"]["message"], body["error"]["message"]
    assert not Registration.objects.filter(email="mei@example.org").exists()


def test_a_code_of_another_organization_or_event_is_unknown(api_client, dumplings):
    event, *_ = dumplings
    PromoCodeFactory(event=EventFactory(), code="ELSEWHERE")
    other_event_same_org = EventFactory(organization=event.organization)
    PromoCodeFactory(event=other_event_same_org, code="THATONE")
    for code in ("ELSEWHERE", "THATONE"):
        assert register(api_client, event, code=code, expect=400)["error"]["code"] == "code_unknown"


def test_an_organization_wide_code_works_on_each_of_its_events(api_client, db):
    event = EventFactory(price=0)
    second = EventFactory(organization=event.organization, price=0)
    free = TicketTypeFactory(event=event, price=0)
    free2 = TicketTypeFactory(event=second, price=0)
    code = PromoCodeFactory(organization=event.organization, event=None, code="MEMBERS", max_uses=2)
    register(api_client, event, code="members", ticket_type=free.pk)
    register(api_client, second, code="MEMBERS", ticket_type=free2.pk)
    assert (
        register(api_client, second, email="x@example.org", code="MEMBERS", expect=400)["error"]["code"] == "code_spent"
    )
    assert selectors.promo_code_usage(codes=type(code).objects.filter(pk=code.pk)).get().uses == 2


def test_hidden_type_only_with_its_code(api_client, dumplings):
    event, _, _, crew, _, _ = dumplings
    body = register(api_client, event, ticket_type=crew.pk, expect=400)
    assert body["error"]["code"] == "ticket_type_unknown"
    assert (
        register(api_client, event, ticket_type=crew.pk, code="DEMO10", expect=400)["error"]["code"]
        == "ticket_type_unknown"
    )
    ok = register(api_client, event, ticket_type=crew.pk, code="CREW")
    assert ok["status"] == "confirmed" and ok["amount_due"] == "0.00" and ok["lines"][0]["ticket_type"] == crew.pk


def test_quota_is_honoured_and_a_cancel_gives_the_seat_back(api_client, db):
    event = EventFactory(capacity=10, max_guests=3)
    early = TicketTypeFactory(event=event, price=0, quota=3)
    TicketTypeFactory(event=event, price=0)
    first = register(
        api_client, event, email="a@example.org", ticket_type=early.pk, guests=[{"name": "B", "ticket_type": early.pk}]
    )
    body = register(
        api_client,
        event,
        email="c@example.org",
        ticket_type=early.pk,
        guests=[{"name": "D", "ticket_type": early.pk}],
        expect=409,
    )
    assert body["error"]["code"] == "ticket_type_sold_out" and "1" in body["error"]["message"]
    register(api_client, event, email="c@example.org", ticket_type=early.pk)
    detail = api_client.get(f"/api/v1/events/{event.slug}/").json()["ticket_types"]
    assert detail[0]["seats_left"] == 0 and detail[1]["seats_left"] == 7
    assert register(api_client, event, email="e@example.org", ticket_type=early.pk, expect=409)["error"]["code"] == (
        "ticket_type_sold_out"
    )
    token = first["manage_url"].rstrip("/").rsplit("/", 1)[1]
    assert api_client.delete(f"/api/v1/registrations/{first['id']}/?token={token}").status_code == 200
    register(api_client, event, email="e@example.org", ticket_type=early.pk)


def test_sales_window_early_bird_and_not_yet(api_client, db):
    now = timezone.now()
    event = EventFactory()
    early = TicketTypeFactory(
        event=event,
        name={"en": "Early bird", "zh-hans": "早鸟票"},
        price=0,
        on_sale_until=now - dt.timedelta(minutes=1),
    )
    later = TicketTypeFactory(event=event, name={"en": "Late"}, price=0, on_sale_from=now + dt.timedelta(days=1))
    regular = TicketTypeFactory(event=event, price=0)
    body = register(api_client, event, ticket_type=early.pk, expect=400, language="zh-hans")
    assert body["error"]["code"] == "ticket_type_not_on_sale" and "早鸟票" in body["error"]["message"]
    assert register(api_client, event, ticket_type=later.pk, expect=400)["error"]["code"] == "ticket_type_not_on_sale"
    on_sale = {t["id"]: t["on_sale"] for t in api_client.get(f"/api/v1/events/{event.slug}/").json()["ticket_types"]}
    assert on_sale == {early.pk: False, later.pk: False, regular.pk: True}
    # No type given: the first one on sale, as single-price clients expect.
    assert register(api_client, event)["lines"][0]["ticket_type"] == regular.pk


def test_min_and_max_per_registration(api_client, db):
    event = EventFactory(max_guests=5)
    family = TicketTypeFactory(
        event=event, name={"en": "Family"}, price=0, min_per_registration=2, max_per_registration=3
    )
    body = register(api_client, event, ticket_type=family.pk, expect=400)
    assert body["error"]["code"] == "ticket_type_min"
    guests = [{"name": f"G{i}", "ticket_type": family.pk} for i in range(3)]
    assert (
        register(api_client, event, ticket_type=family.pk, guests=guests, expect=400)["error"]["code"]
        == "ticket_type_max"
    )
    assert len(register(api_client, event, ticket_type=family.pk, guests=guests[:2])["lines"]) == 3


def test_a_type_of_another_event_is_refused(api_client, dumplings):
    event, *_ = dumplings
    foreign = TicketTypeFactory(event=EventFactory(), price=0)
    assert register(api_client, event, ticket_type=foreign.pk, expect=400)["error"]["code"] == "ticket_type_unknown"
    bad = register(api_client, event, guests=[{"name": "X", "ticket_type": "student"}], expect=400)
    assert "guests" in bad["error"]["fields"]


def test_old_single_price_calls_still_work(api_client, manager_client, organization, stripe_stub):
    """An event made through the organizer API with ``price`` and a registration with guest names:
    one Standard type at that price, each seat charged it, as before."""
    venue_free = manager_client.post(
        "/api/v1/organizer/events/",
        {
            "organization": organization.slug,
            "slug": "old-style",
            "title_i18n": {"en": "Old style"},
            "capacity": 10,
            "price": "30.00",
            "currency": "CNY",
            "max_guests": 2,
        },
        format="json",
    )
    assert venue_free.status_code == 201, venue_free.json()
    event = Event.objects.get(slug="old-style")
    [only] = event.ticket_types.all()
    assert (only.price, only.name["en"]) == (Decimal("30.00"), "Standard")
    response = manager_client.patch("/api/v1/organizer/events/old-style/", {"price": "35.00"}, format="json")
    assert response.status_code == 200, response.json()
    only.refresh_from_db()
    assert only.price == Decimal("35.00")
    from tests.factories import SessionFactory

    SessionFactory(event=event)
    Event.objects.filter(pk=event.pk).update(status=Event.Status.PUBLISHED)
    body = register(api_client, event, guests=["Li Na", "Chen Bo"])
    assert body["amount_due"] == "105.00" and body["party_size"] == 3
    assert [line["ticket_type"] for line in body["lines"]] == [only.pk] * 3


def test_an_event_without_ticket_types_charges_its_price(api_client, db, stripe_stub):
    event = EventFactory(price=Decimal("25"), max_guests=1)
    body = register(api_client, event, guests=["Li Na"])
    assert body["amount_due"] == "50.00" and [line["ticket_type"] for line in body["lines"]] == [None, None]
    registration = Registration.objects.get(pk=body["id"])
    [line] = selectors.charge_lines(registration, language="zh-hans")
    assert (line.label, line.quantity, line.amount) == (event.title["zh-hans"], 2, Decimal("50"))


def test_ticket_type_services_keep_event_price_and_refuse_bad_rules(db):
    event = EventFactory(capacity=30, price=0)
    owner = UserFactory(is_staff=True, is_superuser=True)
    standard = ticketing.default_ticket_type_create(event=event)
    ticketing.ticket_type_save(user=owner, event=event, ticket_type=standard, price=Decimal("60"))
    ticketing.ticket_type_save(user=owner, event=event, name=STUDENT, price=Decimal("40"))
    event.refresh_from_db()
    assert event.price == Decimal("60")  # the first type's: what a client naming no type pays
    from common.exceptions import Conflict, InvalidInput

    with pytest.raises(InvalidInput) as exc:
        ticketing.ticket_type_save(user=owner, event=event, name={"en": "Big"}, quota=31)
    assert "quota" in exc.value.fields
    student = event.ticket_types.get(price=Decimal("40"))
    registration = Registration.objects.create(event=event, name="A", email="a@example.org", status="confirmed")
    registration.lines.create(ticket_type=student, name="A", unit_price=40, amount=40)
    with pytest.raises(Conflict) as used:
        ticketing.ticket_type_delete(user=owner, ticket_type=student)
    assert used.value.code == "ticket_type_used"
    registration.lines.all().delete()
    ticketing.ticket_type_delete(user=owner, ticket_type=student)
    event.refresh_from_db()
    assert event.price == Decimal("60")
    with pytest.raises(Conflict) as last:
        ticketing.ticket_type_delete(user=owner, ticket_type=standard)
    assert last.value.code == "last_ticket_type"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_code_with_10_uses_under_50_concurrent_registrations_is_used_10_times():
    event = EventFactory(capacity=100, price=0)
    free = TicketTypeFactory(event=event, price=0)
    code = PromoCodeFactory(event=event, code="RUSH", max_uses=10)

    def post(i):
        response = Client().post(
            f"/api/v1/events/{event.slug}/registrations/",
            json.dumps(
                {
                    "name": f"P{i}",
                    "email": f"p{i}@example.org",
                    "consents": {"privacy": True},
                    "ticket_type": free.pk,
                    "code": "RUSH",
                }
            ),
            content_type="application/json",
        )
        return response.status_code, response.json().get("error", {}).get("code")

    results = run_concurrently(post, count=50, workers=50)
    assert [status for status, _ in results].count(201) == 10, results
    assert {err for status, err in results if status != 201} == {"code_spent"}
    assert Registration.objects.filter(promo_code=code).count() == 10


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_an_organization_wide_code_is_counted_exactly_across_events():
    """Five events, one code for all of them: the event locks do not exclude each other, so the
    code's own row lock (taken after the event's) is what keeps the count at 10."""
    first = EventFactory(capacity=100, price=0)
    events = [first, *(EventFactory(organization=first.organization, capacity=100, price=0) for _ in range(4))]
    types = {event.pk: TicketTypeFactory(event=event, price=0) for event in events}
    code = PromoCodeFactory(organization=first.organization, event=None, code="CITY", max_uses=10)

    def post(i):
        event = events[i % len(events)]
        response = Client().post(
            f"/api/v1/events/{event.slug}/registrations/",
            json.dumps(
                {
                    "name": f"P{i}",
                    "email": f"p{i}@example.org",
                    "consents": {"privacy": True},
                    "ticket_type": types[event.pk].pk,
                    "code": "CITY",
                }
            ),
            content_type="application/json",
        )
        return response.status_code

    results = run_concurrently(post, count=50, workers=50)
    assert results.count(201) == 10, results
    assert Registration.objects.filter(promo_code=code).count() == 10


def test_the_data_export_has_the_lines_and_anonymising_clears_the_guests_names(api_client, dumplings):
    event, standard, student, *_ = dumplings
    PromoCodeFactory(event=event, code="FREE100", value=100)
    body = register(
        api_client,
        event,
        ticket_type=standard.pk,
        guests=[{"name": "Li Na", "ticket_type": student.pk}],
        code="FREE100",
    )
    assert body["amount_due"] == "0.00" and body["status"] == "confirmed"  # nothing to pay: confirmed at once
    export = privacy_services.registration_export(registration_id=body["id"])
    assert [(line["name"], line["ticket_type"], line["amount"]) for line in export["lines"]] == [
        ("Wang Mei", "Standard", "0.00"),
        ("Li Na", "Student", "0.00"),
    ]
    assert export["code"] == "FREE100"
    privacy_services.registration_anonymise(registration_id=body["id"], reason="request")
    assert set(Registration.objects.get(pk=body["id"]).lines.values_list("name", flat=True)) == {""}


def test_event_lists_load_ticket_types_in_one_query_whatever_their_number(manager_client, organization):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def count_for_list() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert manager_client.get("/api/v1/organizer/events/").status_code == 200
        return len(queries)

    for _ in range(2):
        TicketTypeFactory(event=EventFactory(organization=organization), price=0)
    few = count_for_list()
    for _ in range(4):
        event = EventFactory(organization=organization)
        TicketTypeFactory(event=event, price=0)
        TicketTypeFactory(event=event, price=5)
    assert count_for_list() == few


@pytest.mark.parametrize("guest", [{"nom": "X"}, ["Li Na"], 5, {"name": "Li", "ticket_type": True}])
def test_a_malformed_guest_is_a_400_not_a_500(api_client, dumplings, guest):
    event, *_ = dumplings
    body = register(api_client, event, guests=[guest], expect=400)
    assert "guests" in body["error"]["fields"]
