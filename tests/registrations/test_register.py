import datetime as dt
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone

from common.exceptions import (
    AlreadyRegistered,
    Conflict,
    InvalidInput,
    NotFound,
    PaymentUnavailable,
    RegistrationClosed,
)
from events.models import Event, Question
from registrations import services
from registrations.models import Registration
from tests.factories import EventFactory, QuestionFactory, RegistrationFactory, SessionFactory

S = Registration.Status


def register(event, email, **kwargs):
    kwargs.setdefault("name", email.split("@")[0].title())
    kwargs.setdefault("language", "en")
    kwargs.setdefault("consents", {"privacy": True})
    return services.registration_create(event_id=event.pk, email=email, **kwargs)


@pytest.fixture(autouse=True)
def counters_match_rows(db):
    """After every test, the event counters equal a recount from the registration rows."""
    yield
    for event in Event.objects.all():
        expected = (event.seats_held, event.waitlist_count)
        event = services.event_recount(event_id=event.pk)
        assert (event.seats_held, event.waitlist_count) == expected, event.slug


@pytest.fixture
def event(db):
    return EventFactory(capacity=2)


def test_confirms_until_full_then_waitlists_in_order(event):
    assert register(event, "a@x.org").status == S.CONFIRMED
    assert register(event, "b@x.org").status == S.CONFIRMED
    c = register(event, "c@x.org")
    d = register(event, "d@x.org")
    assert (c.status, d.status) == (S.WAITLISTED, S.WAITLISTED)
    assert services.seats_taken(event=event) == 2
    assert [t.position for t in c.tickets.all()] == [0]


def test_cancel_promotes_first_waitlisted_in_same_transaction(event):
    a = register(event, "a@x.org")
    register(event, "b@x.org")
    c = register(event, "c@x.org")
    d = register(event, "d@x.org")
    services.registration_cancel(registration_id=a.pk)
    c.refresh_from_db()
    d.refresh_from_db()
    assert c.status == S.CONFIRMED and c.promoted_at is not None
    assert d.status == S.WAITLISTED
    # Cancelling again changes nothing and promotes nobody else.
    services.registration_cancel(registration_id=a.pk)
    d.refresh_from_db()
    assert d.status == S.WAITLISTED


def test_cancelling_a_waitlisted_registration_frees_no_seat(event):
    register(event, "a@x.org")
    register(event, "b@x.org")
    c = register(event, "c@x.org")
    d = register(event, "d@x.org")
    services.registration_cancel(registration_id=c.pk)
    d.refresh_from_db()
    assert d.status == S.WAITLISTED


def test_a_registration_of_an_event_that_is_over_cannot_be_cancelled(event):
    """Its registrations are what the reports count (and may already be anonymised); seats of a
    past event are nobody's to take."""
    a = register(event, "a@x.org")
    register(event, "b@x.org")
    waiting = register(event, "c@x.org")
    session = event.sessions.get()
    after = session.ends_at + dt.timedelta(minutes=1)

    for registration in (a, waiting):
        with pytest.raises(Conflict) as refused:
            services.registration_cancel(registration_id=registration.pk, now=after)
        assert refused.value.code == "event_over"
    a.refresh_from_db()
    waiting.refresh_from_db()
    assert (a.status, waiting.status) == (S.CONFIRMED, S.WAITLISTED)
    # Still allowed while the last session is on (someone leaving a course half-way).
    assert services.registration_cancel(registration_id=a.pk, now=session.ends_at - dt.timedelta(minutes=1)).status == (
        S.CANCELLED
    )


def test_an_event_whose_sessions_were_all_cancelled_is_not_over(event):
    a = register(event, "a@x.org")
    event.sessions.update(status="cancelled")
    later = timezone.now() + dt.timedelta(days=30)
    assert services.registration_cancel(registration_id=a.pk, now=later).status == S.CANCELLED


def test_duplicate_email_is_refused_and_manage_link_resent(event, django_capture_on_commit_callbacks):
    first = register(event, "Ana@X.org")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(AlreadyRegistered):
        register(event, "ana@x.org ")
    assert Registration.objects.filter(event=event).count() == 1
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["ana@x.org"]
    assert first.manage_token in mail.outbox[0].body
    # After cancelling, the same address may register again.
    services.registration_cancel(registration_id=first.pk)
    assert register(event, "ana@x.org").status == S.CONFIRMED


def test_manage_link_email_is_in_the_registrants_language(event, django_capture_on_commit_callbacks):
    register(event, "ken@x.org", language="ja")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(AlreadyRegistered):
        register(event, "ken@x.org", language="en")
    assert "イベント" in mail.outbox[0].subject


def test_party_counts_every_seat_and_waits_as_a_whole(db):
    event = EventFactory(capacity=4, max_guests=3)
    family = register(event, "fam@x.org", guests=["Kid One", "Kid Two"])
    assert family.status == S.CONFIRMED and family.party_size == 3
    assert [t.name for t in family.tickets.all()] == ["Fam", "Kid One", "Kid Two"]
    big = register(event, "big@x.org", guests=["B1", "B2"])  # 3 seats, only 1 free
    assert big.status == S.WAITLISTED
    single = register(event, "one@x.org")  # one seat is free, but a party is ahead: no overtaking
    assert single.status == S.WAITLISTED
    services.registration_cancel(registration_id=family.pk)
    big.refresh_from_db()
    single.refresh_from_db()
    assert big.status == S.CONFIRMED  # 4 free: the party of 3 goes first
    assert single.status == S.CONFIRMED  # and the single fills the last seat
    assert services.seats_taken(event=event) == 4


def test_party_size_limits(db):
    event = EventFactory(capacity=3, max_guests=1)
    with pytest.raises(InvalidInput) as excinfo:
        register(event, "a@x.org", guests=["x", "y"])
    assert "guests" in excinfo.value.fields
    no_guests = EventFactory(capacity=3)
    with pytest.raises(InvalidInput):
        register(no_guests, "a@x.org", guests=["x"])
    assert not Registration.objects.exists()


@pytest.mark.parametrize(
    ("change", "error", "code"),
    [
        ({"status": Event.Status.CANCELLED}, RegistrationClosed, "event_cancelled"),
        ({"status": Event.Status.DRAFT}, NotFound, "not_found"),
        ({"registration_opens_at": timezone.now() + dt.timedelta(days=1)}, RegistrationClosed, "registration_not_open"),
        (
            {"registration_closes_at": timezone.now() - dt.timedelta(minutes=1)},
            RegistrationClosed,
            "registration_closed",
        ),
    ],
)
def test_closed_events_refuse(event, change, error, code):
    Event.objects.filter(pk=event.pk).update(**change)
    with pytest.raises(error) as excinfo:
        register(event, "a@x.org")
    assert excinfo.value.code == code
    assert not Registration.objects.exists()


def test_past_event_refuses(db):
    event = EventFactory(with_session=False)
    SessionFactory(event=event, starts_at=timezone.now() - dt.timedelta(hours=5))
    with pytest.raises(RegistrationClosed) as excinfo:
        register(event, "a@x.org")
    assert excinfo.value.code == "event_over"


def test_answers_are_validated_per_question(event):
    QuestionFactory(
        event=event,
        key="nationality",
        kind=Question.Kind.CHOICE,
        required=True,
        choices=[{"value": "jp", "label": {"en": "Japan"}}, {"value": "de", "label": {"en": "Germany"}}],
    )
    QuestionFactory(event=event, key="wheelchair", kind=Question.Kind.CHECKBOX)
    QuestionFactory(event=event, key="diet", kind=Question.Kind.TEXT, required=True)
    with pytest.raises(InvalidInput) as excinfo:
        register(event, "a@x.org", answers={"nationality": "mars", "wheelchair": "yes", "extra": 1})
    errors = excinfo.value.fields["answers"]
    assert set(errors) == {"nationality", "wheelchair", "diet", "extra"}
    registration = register(event, "a@x.org", answers={"nationality": "jp", "diet": "  vegetarian "})
    assert registration.answers == {"nationality": "jp", "wheelchair": False, "diet": "vegetarian"}


def test_paid_event_holds_a_seat_until_expiry_then_promotes(settings, db):
    settings.STRIPE_SECRET_KEY = "sk_test_x"
    event = EventFactory(capacity=1, price=Decimal("80"), payment_hold_minutes=15)
    now = timezone.now()
    payer = register(event, "pay@x.org", now=now)
    assert payer.status == S.PENDING_PAYMENT and payer.amount_due == Decimal("80")
    assert payer.hold_expires_at == now + dt.timedelta(minutes=15)
    waiting = register(event, "wait@x.org", now=now)
    assert waiting.status == S.WAITLISTED

    assert services.registration_expire_hold(registration_id=payer.pk, now=now + dt.timedelta(minutes=14)) is False
    assert services.registration_expire_hold(registration_id=payer.pk, now=now + dt.timedelta(minutes=16)) is True
    payer.refresh_from_db()
    waiting.refresh_from_db()
    assert payer.status == S.EXPIRED
    assert waiting.status == S.PENDING_PAYMENT  # promoted on a paid event: a new hold to pay within
    assert waiting.hold_expires_at == now + dt.timedelta(minutes=31)


def test_overdue_hold_is_released_by_the_next_registration_even_without_beat(settings, db):
    settings.STRIPE_SECRET_KEY = "sk_test_x"
    event = EventFactory(capacity=1, price=Decimal("80"), payment_hold_minutes=10)
    start = timezone.now()
    register(event, "slow@x.org", now=start)
    late = register(event, "late@x.org", now=start + dt.timedelta(minutes=11))
    assert late.status == S.PENDING_PAYMENT


def test_beat_task_expires_overdue_holds(settings, db):
    from registrations.services.register import expire_payment_holds

    settings.STRIPE_SECRET_KEY = "sk_test_x"
    event = EventFactory(capacity=1, price=Decimal("80"))
    hold = register(event, "h@x.org", now=timezone.now() - dt.timedelta(hours=1))
    assert expire_payment_holds.delay().get() == 1
    hold.refresh_from_db()
    assert hold.status == S.EXPIRED
    assert expire_payment_holds.delay().get() == 0


def test_paid_event_without_stripe_is_unavailable_unless_pay_at_door(settings, db):
    settings.STRIPE_SECRET_KEY = ""
    event = EventFactory(capacity=5, price=Decimal("80"), allow_pay_at_door=True, max_guests=1)
    with pytest.raises(PaymentUnavailable):
        register(event, "a@x.org")
    door = register(event, "b@x.org", pay_at_door=True, guests=["Friend"])
    assert door.status == S.CONFIRMED and door.amount_due == Decimal("160") and door.owes_at_door
    strict = EventFactory(price=Decimal("80"))
    with pytest.raises(InvalidInput):
        register(strict, "c@x.org", pay_at_door=True)


def test_door_payment_recorded_once(db, manager):
    event = EventFactory(price=Decimal("80"), allow_pay_at_door=True)
    registration = register(event, "b@x.org", pay_at_door=True)
    first = services.door_payment_record(registration_id=registration.pk, received_by=manager)
    again = services.door_payment_record(registration_id=registration.pk, received_by=manager)
    assert first.pk == again.pk and first.amount == Decimal("80") and first.received_by == manager
    registration.refresh_from_db()
    assert not registration.owes_at_door


def test_logged_in_user_is_linked(event, manager):
    registration = register(event, manager.email, user=manager)
    assert registration.user == manager


def test_course_registration_covers_all_sessions(db):
    course = EventFactory(kind=Event.Kind.COURSE, capacity=1)
    SessionFactory(event=course, starts_at=timezone.now() + dt.timedelta(days=14))
    registration = register(course, "learner@x.org")
    assert registration.status == S.CONFIRMED
    assert registration.event.sessions.count() == 2
    assert register(course, "second@x.org").status == S.WAITLISTED  # a course seat is for all sessions


def test_factory_registrations_count(db):
    event = EventFactory(capacity=2)
    RegistrationFactory(event=event, party_size=2)
    assert register(event, "late@x.org").status == S.WAITLISTED
