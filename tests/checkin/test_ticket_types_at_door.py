"""The door sees each seat's ticket type and its note ("bring your student card"), in the
volunteer's language, on the real scan endpoint."""

from decimal import Decimal

from registrations import services as registration_services
from registrations.models import Ticket
from registrations.tickets import ticket_code
from tests.checkin.conftest import scan
from tests.factories import TicketTypeFactory


def test_scan_shows_the_seats_type_and_door_note(volunteer_client, event, session):
    event.max_guests = 1
    event.save()
    standard = TicketTypeFactory(event=event, name={"en": "Standard", "ja": "一般"}, price=0)
    student = TicketTypeFactory(
        event=event,
        name={"en": "Student", "zh-hans": "学生票", "ja": "学生"},
        price=Decimal("0"),
        door_note={"en": "Bring your student card", "zh-hans": "请出示学生证", "ja": "学生証を確認してください"},
    )
    registration = registration_services.registration_create(
        event_id=event.pk,
        name="Mei Chen",
        email="mei@example.org",
        language="en",
        consents={"privacy": True},
        ticket_type=standard.pk,
        guests=[{"name": "Li Na", "ticket_type": student.pk}],
    )
    registrant, guest = Ticket.objects.filter(registration=registration).order_by("position")

    volunteer_client.defaults["HTTP_ACCEPT_LANGUAGE"] = "zh-hans"
    body = scan(volunteer_client, ticket_code(ticket_id=guest.pk), session).json()
    assert body["status"] == "ok", body
    assert body["attendee"]["ticket_type"] == "学生票"
    assert body["attendee"]["door_note"] == "请出示学生证"

    volunteer_client.defaults["HTTP_ACCEPT_LANGUAGE"] = "ja"
    body = scan(volunteer_client, ticket_code(ticket_id=registrant.pk), session).json()
    assert body["attendee"]["ticket_type"] == "一般" and body["attendee"]["door_note"] is None
