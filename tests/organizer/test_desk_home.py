"""The desk's home: cards of my organizations' upcoming events, drafts apart, in a flat number of queries."""

import datetime as dt

import pytest
from django.utils import timezone

from events.models import Event
from tests.factories import CheckInFactory, EventFactory, RegistrationFactory, SessionFactory
from tests.organizer.helpers import desk_client, desk_world

pytestmark = pytest.mark.django_db


def make_events(org, n: int) -> None:
    for i in range(n):
        event = EventFactory(organization=org, status=Event.Status.DRAFT if i % 3 == 0 else Event.Status.PUBLISHED)
        RegistrationFactory(event=event)


@pytest.mark.parametrize("count", [3, 30])
def test_home_query_count_is_flat(count, django_assert_max_num_queries):
    w = desk_world()
    make_events(w.org, count)
    client = desk_client(w.manager)
    client.get("/organizer/")  # warm the session
    # session + user, memberships (manages_any), events, sessions, (no live session: no check-in query)
    with django_assert_max_num_queries(6):
        response = client.get("/organizer/")
    assert response.status_code == 200
    assert len(response.context["upcoming"]) + len(response.context["drafts"]) == count + 1


def test_cards_show_seats_waiting_payments_and_missing_translations():
    w = desk_world()
    event = EventFactory(
        organization=w.org,
        capacity=10,
        title={"en": "Dumplings", "zh-hans": "饺子"},
        summary={"en": "Fold them"},
        description={"zh-hans": "一起包饺子"},
        price=20,
    )
    RegistrationFactory(event=event, party_size=2)
    RegistrationFactory(event=event, status="pending_payment", confirmed_at=None)
    Event.objects.filter(pk=event.pk).update(seats_held=3, waitlist_count=1)
    text = desk_client(w.manager).get("/organizer/").content.decode()
    assert "3 / 10" in text
    assert "ja</span>" not in text  # languages are named in their own language
    assert "日本語</span>: missing title, summary, description" in text
    assert "简体中文</span>: missing summary" in text


def test_drafts_are_apart_and_past_events_are_gone():
    w = desk_world()
    draft = EventFactory(organization=w.org, status=Event.Status.DRAFT, title={"en": "Draft idea"})
    past = EventFactory(organization=w.org, with_session=False, title={"en": "Long ago"})
    SessionFactory(event=past, starts_at=timezone.now() - dt.timedelta(days=3))
    response = desk_client(w.manager).get("/organizer/")
    assert [c.event for c in response.context["drafts"]] == [draft]
    assert past not in [c.event for c in response.context["upcoming"]]


def test_a_live_session_shows_check_in_progress():
    w = desk_world()
    event = EventFactory(organization=w.org, with_session=False)
    session = SessionFactory(event=event, starts_at=timezone.now() - dt.timedelta(minutes=5))
    alice, _bob = RegistrationFactory(event=event), RegistrationFactory(event=event)
    Event.objects.filter(pk=event.pk).update(seats_held=2)
    ticket = alice.tickets.get()
    CheckInFactory(ticket=ticket, session=session)
    response = desk_client(w.manager).get("/organizer/")
    (card,) = [c for c in response.context["upcoming"] if c.event == event]
    assert card.live_session == session and (card.checked_in, card.expected) == (1, 2)
    assert "1 of 2 (50 %)" in response.content.decode()
