"""The desk's Tickets tab: ticket types (three languages side by side) and codes, with their use."""

from decimal import Decimal

import pytest

from audit.models import AuditEntry
from events.models import PromoCode, TicketType
from registrations.models import Registration
from tests.factories import PromoCodeFactory, TicketTypeFactory
from tests.organizer.helpers import desk_client, desk_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def w():
    return desk_world()


def type_post(**extra):
    return {
        "type-name_en": "Student",
        "type-name_zh-hans": "学生票",
        "type-name_ja": "学生",
        "type-price": "50",
        "type-quota": "10",
        "type-min_per_registration": "0",
        "type-door_note_en": "Bring your student card",
        "type-door_note_zh-hans": "请携带学生证",
        "type-door_note_ja": "学生証をお持ちください",
        "type-position": "1",
        "add_type": "1",
        **extra,
    }


def test_the_tab_lists_types_and_codes_with_their_use(w):
    standard = TicketTypeFactory(event=w.event, name={"en": "Standard", "ja": "一般"}, price=Decimal("80"))
    code = PromoCodeFactory(event=w.event, code="DEMO10", max_uses=5)
    Registration.objects.create(event=w.event, name="A", email="a@example.org", status="confirmed", promo_code=code)
    Registration.objects.create(event=w.event, name="B", email="b@example.org", status="cancelled", promo_code=code)
    page = desk_client(w.manager, language="ja").get(f"/organizer/events/{w.event.slug}/tickets/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "一般" in text and "80" in text and "DEMO10" in text
    assert "5 回中 1 回使用" in text  # the cancelled registration gave its use back
    assert f"/organizer/events/{w.event.slug}/tickets/types/{standard.pk}/" in text
    assert 'name="type-name_zh-hans"' in text and 'name="type-door_note_ja"' in text  # side by side
    nav = desk_client(w.manager).get(f"/organizer/events/{w.event.slug}/").content.decode()
    assert f'href="/organizer/events/{w.event.slug}/tickets/"' in nav


def test_adding_and_changing_a_ticket_type(w):
    client = desk_client(w.manager)
    response = client.post(f"/organizer/events/{w.event.slug}/tickets/", type_post())
    assert response.status_code == 302
    student = TicketType.objects.get(event=w.event)
    assert student.name == {"en": "Student", "zh-hans": "学生票", "ja": "学生"}
    assert student.door_note["zh-hans"] == "请携带学生证" and student.quota == 10 and student.price == 50
    assert AuditEntry.objects.filter(action="ticket_type.save", event_id=w.event.pk).exists()
    edit = {k: v for k, v in type_post(**{"type-price": "45"}).items() if k != "add_type"}
    response = client.post(f"/organizer/events/{w.event.slug}/tickets/types/{student.pk}/", edit)
    assert response.status_code == 302
    student.refresh_from_db()
    assert student.price == Decimal("45")


def test_a_quota_beyond_the_capacity_is_refused_on_the_field(w):
    response = desk_client(w.manager).post(
        f"/organizer/events/{w.event.slug}/tickets/", type_post(**{"type-quota": str(w.event.capacity + 1)})
    )
    assert response.status_code == 400
    assert not TicketType.objects.filter(event=w.event).exists()


def test_adding_a_code_for_all_events_and_one_that_unlocks_a_hidden_type(w):
    client = desk_client(w.manager)
    response = client.post(
        f"/organizer/events/{w.event.slug}/tickets/",
        {
            "code-code": "city5",
            "code-all_events": "on",
            "code-discount": "percent",
            "code-value": "5",
            "code-active": "on",
            "add_code": "1",
        },
    )
    assert response.status_code == 302
    city = PromoCode.objects.get(code="CITY5")
    assert city.event_id is None and city.organization_id == w.org.pk
    crew = TicketTypeFactory(event=w.event, name={"en": "Crew"}, hidden=True)
    response = client.post(
        f"/organizer/events/{w.event.slug}/tickets/",
        {"code-code": "CREW", "code-discount": "none", "code-unlocks": [crew.pk], "code-active": "on", "add_code": "1"},
    )
    assert response.status_code == 302
    assert list(PromoCode.objects.get(code="CREW").unlocks.all()) == [crew]
    again = client.post(
        f"/organizer/events/{w.event.slug}/tickets/",
        {"code-code": "crew", "code-discount": "percent", "code-value": "5", "code-active": "on", "add_code": "1"},
    )
    assert again.status_code == 400  # one code per organization


def test_a_type_people_registered_with_is_not_deleted(w):
    used = TicketTypeFactory(event=w.event, price=0)
    TicketTypeFactory(event=w.event, price=0)
    registration = Registration.objects.create(event=w.event, name="A", email="a@example.org", status="confirmed")
    registration.lines.create(ticket_type=used, name="A", unit_price=0, amount=0)
    response = desk_client(w.manager).post(f"/organizer/events/{w.event.slug}/tickets/types/{used.pk}/delete/")
    assert response.status_code == 302
    assert TicketType.objects.filter(pk=used.pk).exists()


def test_another_organizations_manager_sees_nothing(w):
    code = PromoCodeFactory(event=w.event, code="SECRET")
    client = desk_client(w.other)
    assert client.get(f"/organizer/events/{w.event.slug}/tickets/").status_code == 404
    assert client.get(f"/organizer/events/{w.event.slug}/tickets/codes/{code.pk}/").status_code == 404
    own = desk_client(w.other).get(f"/organizer/events/{w.event2.slug}/tickets/").content.decode()
    assert "SECRET" not in own
