"""The public registration page with ticket types: a type per seat, a code, the total shown."""

from decimal import Decimal

import pytest
from django.test import Client

from registrations.models import Registration
from tests.factories import EventFactory, PromoCodeFactory, TicketTypeFactory
from tests.pages.conftest import html, text

pytestmark = pytest.mark.django_db


@pytest.fixture
def dumplings(db):
    event = EventFactory(slug="dumplings", capacity=20, max_guests=2, allow_pay_at_door=True, price=Decimal("50"))
    standard = TicketTypeFactory(event=event, name={"en": "Standard", "zh-hans": "标准票"}, price=Decimal("80"))
    student = TicketTypeFactory(event=event, name={"en": "Student", "zh-hans": "学生票"}, price=Decimal("50"))
    crew = TicketTypeFactory(event=event, name={"en": "Crew"}, price=Decimal("0"), hidden=True)
    PromoCodeFactory(event=event, code="DEMO10", discount="percent", value=10)
    PromoCodeFactory(event=event, code="CREW", discount="none", value=0, unlocks=[crew])
    return event, standard, student, crew


def data(**extra):
    return {"name": "Wang Mei", "email": "mei@example.org", "privacy": "on", "consent_version": "", **extra}


def test_the_page_offers_a_type_per_seat_and_a_code_field(dumplings):
    event, standard, student, crew = dumplings
    page = html(Client(headers={"accept-language": "zh-hans"}).get(f"/events/{event.slug}/"))
    assert 'name="ticket_type"' in page and 'name="guest_0_type"' in page and 'name="guest_1_name"' in page
    assert "学生票 · 50 CNY" in page and "标准票 · 80 CNY" in page
    assert "Crew" not in page  # hidden until its code is given
    assert 'name="code"' in page


def test_apply_code_shows_the_total_and_the_types_it_opens_and_books_nothing(dumplings):
    event, standard, student, crew = dumplings
    response = Client().post(
        f"/events/{event.slug}/register/",
        data(ticket_type=standard.pk, guest_0_name="Li Na", guest_0_type=student.pk, code="demo10", apply_code="1"),
    )
    assert response.status_code == 200
    body = text(response)
    assert "Code DEMO10 applied." in body
    assert "117 CNY" in body  # (80 + 50) less 10 %
    assert not Registration.objects.exists()
    unlocked = html(
        Client().post(f"/events/{event.slug}/register/", data(ticket_type=standard.pk, code="CREW", apply_code="1"))
    )
    assert "Crew · Free" in unlocked


def test_registering_a_mixed_party_with_a_code_at_the_door(dumplings, settings):
    settings.STRIPE_SECRET_KEY = ""  # online payment down: the door is the way to pay
    event, standard, student, crew = dumplings
    response = Client().post(
        f"/events/{event.slug}/register/",
        data(ticket_type=standard.pk, guest_0_name="Li Na", guest_0_type=student.pk, code="DEMO10"),
    )
    assert response.status_code == 302, text(response)[:2000]
    registration = Registration.objects.get()
    assert registration.amount_due == Decimal("117.00") and registration.payment_method == "door"
    assert [(line.ticket_type_id, line.name) for line in registration.lines.order_by("position")] == [
        (standard.pk, "Wang Mei"),
        (student.pk, "Li Na"),
    ]


def test_a_wrong_code_is_said_on_the_page_and_nothing_is_booked(dumplings):
    event, standard, *_ = dumplings
    response = Client(headers={"accept-language": "zh-hans"}).post(
        f"/events/{event.slug}/register/", data(ticket_type=standard.pk, code="NOPE")
    )
    assert response.status_code == 200
    assert "NOPE" in text(response)
    assert not Registration.objects.exists()


def test_a_single_type_event_keeps_the_old_form(db):
    event = EventFactory(max_guests=2)
    TicketTypeFactory(event=event, price=0)
    page = html(Client().get(f"/events/{event.slug}/"))
    assert 'name="guests"' in page and 'name="ticket_type"' not in page
    response = Client().post(f"/events/{event.slug}/register/", data(guests="Li Na\nChen Bo"))
    assert response.status_code == 302
    assert Registration.objects.get().party_size == 3


def test_the_manage_page_shows_the_seats_bill_in_the_readers_language(dumplings, settings):
    settings.STRIPE_SECRET_KEY = ""
    event, standard, student, crew = dumplings
    Client().post(
        f"/events/{event.slug}/register/",
        data(ticket_type=standard.pk, guest_0_name="Li Na", guest_0_type=student.pk, code="DEMO10"),
    )
    registration = Registration.objects.get()
    page = text(Client(headers={"accept-language": "zh-hans"}).get(f"/manage/{registration.manage_token}/"))
    assert "您的座位" in page
    assert "标准票" in page and "学生票" in page
    assert "72 CNY" in page and "45 CNY" in page and "117 CNY" in page  # each seat less 10 %, and the total


def test_no_code_box_when_the_event_has_no_code(db):
    event = EventFactory(slug="plain")
    page = html(Client().get(f"/events/{event.slug}/"))
    assert 'name="code"' not in page and 'name="apply_code"' not in page
    PromoCodeFactory(event=None, organization=event.organization, code="ALLYEAR", discount="percent", value=5)
    assert 'name="code"' in html(Client().get(f"/events/{event.slug}/"))  # an organization-wide code counts
