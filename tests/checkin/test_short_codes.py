"""The ticket card's short code: its alphabet, uniqueness, and that the door accepts it typed."""

import pytest
from django.db import IntegrityError

from registrations.models import Ticket
from registrations.services.register import tickets_create
from registrations.shortcodes import (
    ALPHABET,
    LENGTH,
    format_short_code,
    new_short_code,
    normalize_short_code,
)
from tests.checkin.conftest import scan
from tests.factories import EventFactory, RegistrationFactory

pytestmark = pytest.mark.django_db


def test_codes_are_eight_unambiguous_characters():
    codes = {new_short_code() for _ in range(2000)}
    assert len(codes) == 2000
    assert all(len(code) == LENGTH and set(code) <= set(ALPHABET) for code in codes)
    assert not set("0O1IL") & set(ALPHABET)  # nothing that reads as something else


@pytest.mark.parametrize("typed", ["K7QM2XPR", "k7qm-2xpr", " K7QM 2XPR\n", "k7qm·2xpr"])
def test_typed_forms_normalise(typed):
    assert normalize_short_code(typed) == "K7QM2XPR"
    assert format_short_code("K7QM2XPR") == "K7QM-2XPR"


@pytest.mark.parametrize("junk", ["", "K7QM2XP", "K7QM2XPRS", "K7QM2XP0", "HG1.1.x", 12345678, None, "K" * 1000])
def test_anything_else_is_not_a_short_code(junk):
    assert normalize_short_code(junk) is None


def test_every_ticket_gets_a_distinct_code_and_the_index_refuses_a_copy():
    registration = RegistrationFactory(party_size=3)
    codes = list(registration.tickets.values_list("short_code", flat=True))
    assert len(set(codes)) == 3 and all(normalize_short_code(code) == code for code in codes)
    other = RegistrationFactory(event=EventFactory())
    with pytest.raises(IntegrityError):
        Ticket.objects.filter(pk=other.tickets.get().pk).update(short_code=codes[0])


def test_a_collision_draws_new_codes(monkeypatch):
    taken = RegistrationFactory().tickets.get().short_code
    fresh = iter([taken, "23456789"])
    # Random codes, made to collide once: the first draw is a code already taken.
    monkeypatch.setattr("registrations.services.register.new_short_code", lambda: next(fresh))
    registration = RegistrationFactory(tickets=False)

    [ticket] = tickets_create(registration=registration, names=["Li Na"])

    assert ticket.short_code == "23456789"


def test_the_door_checks_in_by_typed_short_code(volunteer_client, session):
    registration = RegistrationFactory(event=session.event)
    short = registration.tickets.get().short_code

    response = scan(volunteer_client, format_short_code(short).lower(), session)

    assert response.status_code == 200, response.content
    assert response.json()["status"] == "ok"
    again = scan(volunteer_client, short, session)
    assert again.json()["status"] == "already_checked_in"


def test_a_short_code_of_another_event_is_wrong_event(volunteer_client, session, organization):
    other = RegistrationFactory(event=EventFactory(organization=organization))
    response = scan(volunteer_client, other.tickets.get().short_code, session)
    assert response.json()["status"] == "wrong_event"


def test_an_unknown_short_code_is_invalid(volunteer_client, session):
    assert scan(volunteer_client, "ZZZZ-ZZZZ", session).json()["status"] == "invalid"


def test_the_api_shows_the_short_code_with_the_ticket(api_client):
    event = EventFactory()
    response = api_client.post(
        f"/api/v1/events/{event.slug}/registrations/",
        {"name": "Li Na", "email": "li.na@example.org", "consents": {"privacy": True}},
        format="json",
    )
    [ticket] = response.json()["tickets"]
    stored = Ticket.objects.get()
    assert ticket["short_code"] == format_short_code(stored.short_code)
