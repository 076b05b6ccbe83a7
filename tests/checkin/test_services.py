"""Check-in rules on a real database: every status, replays, undo, exits, courses, parties, batches."""

import datetime as dt
import uuid
from decimal import Decimal

import pytest
from django.utils import timezone

from checkin import services
from checkin.models import CheckIn
from common.exceptions import CheckinNonceReused, CheckinNotLatest, Conflict, InvalidInput, NotFound
from events.models import Event, Session
from organizations.models import Membership
from registrations.models import Payment, Registration
from registrations.tickets import ticket_code
from tests.checkin.conftest import code_of, open_session
from tests.factories import (
    EventFactory,
    MembershipFactory,
    OrganizationFactory,
    QuestionFactory,
    RegistrationFactory,
    SessionFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db
S = Registration.Status


def perform(user, code, session=None, **kwargs):
    kwargs.setdefault("nonce", uuid.uuid4())
    return services.checkin_perform(
        code=code, session_id=session.pk if session is not None else None, user=user, **kwargs
    )


# --- ok and already checked in ---------------------------------------------------------------------


def test_first_scan_is_ok_and_recorded(volunteer, session, registration):
    nonce = uuid.uuid4()
    result = perform(volunteer, code_of(registration), session, nonce=nonce, device="door-1")

    assert result.status == "ok"
    body = result.body
    assert body["color"] == "green"
    assert body["message"] == "Welcome, Mei Chen."
    assert body["attendee"] == {
        "name": "Mei Chen",
        "position": 0,
        "party_size": 1,
        "registration_status": "confirmed",
        "ticket_type": None,  # a registration without ticket types (its seat has no line)
        "door_note": None,
    }
    assert body["payment_due"] is None and body["party"] is None
    row = CheckIn.objects.get()
    assert body["checkin_id"] == row.pk
    assert (row.ticket.registration_id, row.registration_id, row.session_id) == (registration.pk,) * 2 + (session.pk,)
    assert (row.direction, row.status, row.is_duplicate, row.entry) == ("in", "ok", False, 1)
    assert (row.nonce, row.device, row.source, row.scanned_by) == (nonce, "door-1", "online", volunteer)
    assert row.response["status"] == "ok"


def test_second_scan_is_already_checked_in_with_who_and_when(volunteer, organization, session, registration):
    first = perform(volunteer, code_of(registration), session)
    other = UserFactory(username="bo")
    MembershipFactory(user=other, organization=organization, role=Membership.Role.MANAGER)

    second = perform(other, code_of(registration), session)

    assert second.status == "already_checked_in"
    assert second.body["color"] == "red"
    assert second.body["first_scanned_by"] == "Ana Li"
    assert second.body["first_checkin_id"] == first.checkin.pk
    assert second.body["first_scanned_at"] == first.body["scanned_at"]
    assert "Ana Li" in second.body["message"]
    duplicate = CheckIn.objects.get(pk=second.body["checkin_id"])
    assert duplicate.is_duplicate and duplicate.status == "already_checked_in" and duplicate.scanned_by == other
    assert CheckIn.objects.filter(is_duplicate=False).count() == 1


def test_answers_shown_at_checkin_only(volunteer, event, session):
    QuestionFactory(
        event=event,
        key="diet",
        kind="choice",
        show_at_checkin=True,
        label={"en": "Diet", "ja": "食事"},
        choices=[{"value": "veg", "label": {"en": "Vegetarian", "ja": "ベジタリアン"}}],
    )
    QuestionFactory(event=event, key="wheelchair", kind="checkbox", show_at_checkin=True, label={"en": "Wheelchair"})
    QuestionFactory(event=event, key="nationality", show_at_checkin=False)
    registration = RegistrationFactory(event=event, answers={"diet": "veg", "wheelchair": True, "nationality": "JP"})

    body = perform(volunteer, code_of(registration), session).body

    assert body["answers"] == [
        {"key": "diet", "label": "Diet", "value": "Vegetarian"},
        {"key": "wheelchair", "label": "Wheelchair", "value": "Yes"},
    ]


# --- refusals --------------------------------------------------------------------------------------


def _forged(code: str) -> str:
    last = code[-2]
    return code[:-2] + ("A" if last != "A" else "B") + code[-1]


@pytest.mark.parametrize(
    "make_code",
    [
        pytest.param(lambda r: _forged(code_of(r)), id="forged-signature"),
        pytest.param(lambda r: "HG1.1.short", id="malformed"),
        pytest.param(lambda r: "", id="empty"),
        pytest.param(lambda r: "x" * 10_000, id="huge"),
        pytest.param(lambda r: ticket_code(ticket_id=999_999), id="genuine-but-unknown-ticket"),
    ],
)
def test_invalid_codes_write_nothing(volunteer, session, registration, make_code):
    result = perform(volunteer, make_code(registration), session)
    assert result.status == "invalid"
    assert result.body["color"] == "red" and result.body["attendee"] is None
    assert not CheckIn.objects.exists()


def test_forged_code_costs_no_query(volunteer, session, registration, django_assert_num_queries):
    code = _forged(code_of(registration))
    with django_assert_num_queries(0):
        assert perform(volunteer, code, session).status == "invalid"


def test_ticket_of_another_event_is_wrong_event_without_a_name(volunteer, organization, session):
    other_event = EventFactory(organization=organization, with_session=False)
    open_session(other_event)
    foreign_org_registration = RegistrationFactory(event=EventFactory())
    own_org_registration = RegistrationFactory(event=other_event)

    for registration in (own_org_registration, foreign_org_registration):
        result = perform(volunteer, code_of(registration), session)
        assert result.status == "wrong_event"
        assert result.body["attendee"] is None and result.body["ticket_id"] is None
    assert not CheckIn.objects.exists()


def test_ticket_of_another_organization_without_session_is_wrong_event(volunteer):
    foreign = EventFactory(with_session=False)
    open_session(foreign)
    assert perform(volunteer, code_of(RegistrationFactory(event=foreign))).status == "wrong_event"


def test_session_of_another_organization_is_invalid_input(volunteer, registration):
    foreign_session = open_session(EventFactory(with_session=False))
    with pytest.raises(InvalidInput) as excinfo:
        perform(volunteer, code_of(registration), foreign_session)
    assert "session" in excinfo.value.fields
    with pytest.raises(InvalidInput):
        services.checkin_perform(code=code_of(registration), session_id=987654, nonce=uuid.uuid4(), user=volunteer)


@pytest.mark.parametrize(
    ("status", "expected", "words"),
    [
        (S.CANCELLED, "cancelled", "cancelled"),
        (S.EXPIRED, "cancelled", "expired"),
        (S.PENDING_PAYMENT, "unpaid", "Not paid"),
        (S.WAITLISTED, "unpaid", "waiting list"),
    ],
)
def test_registrations_without_a_seat_are_refused(volunteer, event, session, status, expected, words):
    registration = RegistrationFactory(event=event, status=status)
    result = perform(volunteer, code_of(registration), session)
    assert result.status == expected
    assert result.body["color"] == "red"
    assert words in result.body["message"]
    assert result.body["attendee"]["name"] == registration.name  # the volunteer can talk to them
    assert not CheckIn.objects.exists()


def test_outside_the_window_is_not_open(volunteer, event, registration):
    now = timezone.now()
    event.checkin_opens_minutes = 45
    event.save()
    early = SessionFactory(event=event, starts_at=now + dt.timedelta(minutes=50), ends_at=now + dt.timedelta(hours=2))
    over = SessionFactory(event=event, starts_at=now - dt.timedelta(hours=3), ends_at=now - dt.timedelta(minutes=1))
    cancelled = open_session(event)
    Session.objects.filter(pk=cancelled.pk).update(status=Session.Status.CANCELLED)
    cancelled.refresh_from_db()

    result = perform(volunteer, code_of(registration), early)
    assert result.status == "not_open"
    assert result.body["message"].startswith("Check-in opens at ")
    assert perform(volunteer, code_of(registration), over).body["message"] == "Check-in for this session has closed."
    assert perform(volunteer, code_of(registration), cancelled).body["message"] == "This session is cancelled."
    assert not CheckIn.objects.exists()


def test_window_opens_checkin_opens_minutes_before_the_start(volunteer, event, registration):
    event.checkin_opens_minutes = 45
    event.save()
    session = open_session(event, starts_in=dt.timedelta(minutes=44))
    assert perform(volunteer, code_of(registration), session).status == "ok"


def test_cancelled_event_is_not_open(volunteer, event, session, registration):
    Event.objects.filter(pk=event.pk).update(status=Event.Status.CANCELLED)
    assert perform(volunteer, code_of(registration), session).status == "not_open"


# --- default session -------------------------------------------------------------------------------


def test_without_session_the_open_session_nearest_its_start_is_used(volunteer, event, registration):
    now = timezone.now()
    running = SessionFactory(
        event=event, starts_at=now - dt.timedelta(minutes=100), ends_at=now + dt.timedelta(minutes=5)
    )
    upcoming = open_session(event, starts_in=dt.timedelta(minutes=20))
    SessionFactory(event=event)  # next week

    result = perform(volunteer, code_of(registration))
    assert result.status == "ok"
    assert result.body["session"] == upcoming.pk != running.pk


def test_without_session_and_none_open_is_not_open(volunteer, event, registration):
    SessionFactory(event=event)  # next week
    result = perform(volunteer, code_of(registration))
    assert result.status == "not_open"
    assert result.body["message"] == "No session of this event is open for check-in now."


# --- pay at the door -------------------------------------------------------------------------------


@pytest.fixture
def door_registration(event):
    Event.objects.filter(pk=event.pk).update(price=Decimal("80"), allow_pay_at_door=True)
    return RegistrationFactory(
        event=event, payment_method="door", amount_due=Decimal("80.00"), currency="CNY", status=S.CONFIRMED
    )


def test_pay_at_door_checks_in_amber_with_amount_to_collect(volunteer, session, door_registration):
    result = perform(volunteer, code_of(door_registration), session)
    assert result.status == "ok"
    assert result.body["color"] == "amber"
    assert result.body["payment_due"] == {"amount": "80.00", "currency": "CNY"}
    assert result.body["message"] == "Collect ¥80"


def test_door_payment_is_recorded_once_and_turns_the_answer_green(volunteer, event, session, door_registration):
    payment = services.checkin_door_payment(registration_id=door_registration.pk, user=volunteer)
    again = services.checkin_door_payment(registration_id=door_registration.pk, user=volunteer)

    assert again.pk == payment.pk
    assert (payment.provider, payment.status, payment.amount, payment.received_by) == (
        "door",
        "paid",
        Decimal("80.00"),
        volunteer,
    )
    assert Payment.objects.filter(registration=door_registration).count() == 1
    result = perform(volunteer, code_of(door_registration), session)
    assert (result.body["color"], result.body["payment_due"]) == ("green", None)


def test_door_payment_refuses_other_organizations_and_online_registrations(volunteer, registration):
    with pytest.raises(NotFound):
        services.checkin_door_payment(registration_id=RegistrationFactory().pk, user=volunteer)
    with pytest.raises(Conflict):
        services.checkin_door_payment(registration_id=registration.pk, user=volunteer)  # free, not door


# --- nonces ----------------------------------------------------------------------------------------


def test_same_nonce_replays_the_first_answer_and_writes_nothing(volunteer, session, registration):
    nonce = uuid.uuid4()
    first = perform(volunteer, code_of(registration), session, nonce=nonce)
    again = perform(volunteer, code_of(registration), session, nonce=nonce)

    assert again.replayed and not first.replayed
    assert again.body == first.body
    assert CheckIn.objects.count() == 1


def test_replay_survives_later_changes(volunteer, session, registration):
    nonce = uuid.uuid4()
    first = perform(volunteer, code_of(registration), session, nonce=nonce)
    Registration.objects.filter(pk=registration.pk).update(status=S.CANCELLED)  # would now be refused
    assert perform(volunteer, code_of(registration), session, nonce=nonce).body == first.body

    duplicate_nonce = uuid.uuid4()
    Registration.objects.filter(pk=registration.pk).update(status=S.CONFIRMED)
    duplicate = perform(volunteer, code_of(registration), session, nonce=duplicate_nonce)
    services.checkin_revert(checkin_id=first.checkin.pk, user=volunteer)  # would now be ok
    assert perform(volunteer, code_of(registration), session, nonce=duplicate_nonce).body == duplicate.body
    assert CheckIn.objects.count() == 2


def test_nonce_used_for_another_ticket_is_refused(volunteer, event, session, registration):
    nonce = uuid.uuid4()
    perform(volunteer, code_of(registration), session, nonce=nonce)
    with pytest.raises(CheckinNonceReused):
        perform(volunteer, code_of(RegistrationFactory(event=event)), session, nonce=nonce)


# --- undo ------------------------------------------------------------------------------------------


def test_revert_keeps_history_is_idempotent_and_frees_the_ticket(volunteer, session, registration):
    first = perform(volunteer, code_of(registration), session)
    reverted = services.checkin_revert(checkin_id=first.checkin.pk, user=volunteer)
    stamp = reverted.reverted_at
    assert (reverted.reverted_by, reverted.is_effective) == (volunteer, False)

    again = services.checkin_revert(checkin_id=first.checkin.pk, user=volunteer)
    assert again.reverted_at == stamp

    second = perform(volunteer, code_of(registration), session)
    assert second.status == "ok"
    assert CheckIn.objects.count() == 2
    assert CheckIn.objects.filter(reverted_at__isnull=False).count() == 1


def test_revert_of_another_organization_is_not_found(volunteer, registration, session):
    other = RegistrationFactory(event=EventFactory(with_session=False))
    foreign_session = open_session(other.event)
    owner = UserFactory()
    MembershipFactory(user=owner, organization=other.event.organization, role=Membership.Role.OWNER)
    checkin = perform(owner, code_of(other), foreign_session).checkin
    with pytest.raises(NotFound):
        services.checkin_revert(checkin_id=checkin.pk, user=volunteer)
    with pytest.raises(NotFound):
        services.checkin_revert(checkin_id=999_999, user=volunteer)


# --- exits and re-entry ------------------------------------------------------------------------------


def test_exit_only_when_inside_and_reentry_after_exit(volunteer, session, registration):
    code = code_of(registration)
    assert perform(volunteer, code, session, direction="out").status == "not_inside"

    perform(volunteer, code, session)
    out = perform(volunteer, code, session, direction="out")
    assert (out.status, out.body["color"], out.body["entry"]) == ("ok", "green", 1)
    assert perform(volunteer, code, session, direction="out").status == "not_inside"

    back = perform(volunteer, code, session)
    assert (back.status, back.body["entry"], back.body["message"]) == ("ok", 2, "Welcome back, Mei Chen.")
    assert perform(volunteer, code, session).status == "already_checked_in"
    rows = CheckIn.objects.filter(is_duplicate=False).values_list("direction", "entry")
    assert list(rows) == [("in", 1), ("out", 1), ("in", 2)]


def test_only_the_latest_movement_can_be_undone(volunteer, session, registration):
    code = code_of(registration)
    entered = perform(volunteer, code, session).checkin
    left = perform(volunteer, code, session, direction="out").checkin
    with pytest.raises(CheckinNotLatest):
        services.checkin_revert(checkin_id=entered.pk, user=volunteer)
    services.checkin_revert(checkin_id=left.pk, user=volunteer)
    services.checkin_revert(checkin_id=entered.pk, user=volunteer)
    assert perform(volunteer, code, session).body["entry"] == 1


# --- courses ---------------------------------------------------------------------------------------


def test_course_ticket_checks_in_once_per_session(volunteer, organization):
    course = EventFactory(organization=organization, kind=Event.Kind.COURSE, with_session=False)
    now = timezone.now()
    lesson_1 = SessionFactory(
        event=course, starts_at=now - dt.timedelta(minutes=10), ends_at=now + dt.timedelta(hours=1)
    )
    lesson_2 = SessionFactory(
        event=course, starts_at=now + dt.timedelta(minutes=5), ends_at=now + dt.timedelta(hours=2)
    )
    registration = RegistrationFactory(event=course)
    code = code_of(registration)

    assert perform(volunteer, code, lesson_1).status == "ok"
    assert perform(volunteer, code, lesson_2).status == "ok"
    assert perform(volunteer, code, lesson_1).status == "already_checked_in"
    assert CheckIn.objects.filter(is_duplicate=False).count() == 2


# --- parties ---------------------------------------------------------------------------------------


@pytest.fixture
def party(event):
    return RegistrationFactory(event=event, name="Kenji", party_size=3)


def test_scanning_one_ticket_of_a_party_lists_the_party(volunteer, session, party):
    body = perform(volunteer, code_of(party, 1), session).body
    assert body["attendee"] == {
        "name": "Kenji +1",
        "position": 1,
        "party_size": 3,
        "registration_status": "confirmed",
        "ticket_type": None,
        "door_note": None,
    }
    assert [(m["position"], m["checked_in"]) for m in body["party"]] == [(0, False), (1, True), (2, False)]


def test_checkin_registration_some_then_all(volunteer, session, party):
    tickets = list(party.tickets.order_by("position"))
    nonce = uuid.uuid4()
    first = services.checkin_registration(
        registration_id=party.pk, session_id=session.pk, nonce=nonce, ticket_ids=[tickets[0].pk], user=volunteer
    )
    assert [r.status for r in first.results] == ["ok"]
    assert [m["checked_in"] for m in first.party] == [True, False, False]

    replay = services.checkin_registration(
        registration_id=party.pk, session_id=session.pk, nonce=nonce, ticket_ids=[tickets[0].pk], user=volunteer
    )
    assert replay.results[0].replayed and replay.results[0].body == first.results[0].body

    everyone = services.checkin_registration(
        registration_id=party.pk, session_id=session.pk, nonce=uuid.uuid4(), user=volunteer
    )
    assert [r.status for r in everyone.results] == ["already_checked_in", "ok", "ok"]
    assert [m["checked_in"] for m in everyone.party] == [True, True, True]
    assert CheckIn.objects.filter(is_duplicate=False).count() == 3


def test_checkin_registration_boundaries(volunteer, event, session, party):
    with pytest.raises(InvalidInput):
        services.checkin_registration(
            registration_id=party.pk, session_id=session.pk, nonce=uuid.uuid4(), ticket_ids=[999_999], user=volunteer
        )
    foreign = RegistrationFactory(event=EventFactory(organization=OrganizationFactory()))
    with pytest.raises(NotFound):
        services.checkin_registration(
            registration_id=foreign.pk, session_id=session.pk, nonce=uuid.uuid4(), user=volunteer
        )


# --- offline batches -------------------------------------------------------------------------------


def test_batch_two_doors_one_checkin_one_recorded_duplicate(volunteer, session, registration):
    code = code_of(registration)
    now = timezone.now()
    door_a = {"code": code, "session": session.pk, "nonce": uuid.uuid4(), "scanned_at": now - dt.timedelta(minutes=3)}
    door_b = {"code": code, "session": session.pk, "nonce": uuid.uuid4(), "scanned_at": now - dt.timedelta(minutes=5)}

    results = services.checkin_batch(scans=[door_a, door_b], user=volunteer, device="phone-2")

    # B scanned earlier, so B is the check-in although A was sent first.
    assert [r.status for r in results] == ["already_checked_in", "ok"]
    effective = CheckIn.objects.get(is_duplicate=False)
    duplicate = CheckIn.objects.get(is_duplicate=True)
    assert effective.nonce == door_b["nonce"] and effective.scanned_at == door_b["scanned_at"]
    assert (effective.source, effective.device) == ("offline", "phone-2")
    assert duplicate.nonce == door_a["nonce"] and duplicate.status == "already_checked_in"
    assert results[0].body["first_checkin_id"] == effective.pk

    again = services.checkin_batch(scans=[door_a, door_b], user=volunteer)
    assert [r.body for r in again] == [r.body for r in results]
    assert all(r.replayed for r in again)
    assert CheckIn.objects.count() == 2


def test_batch_uses_scan_time_for_the_window_and_reports_bad_scans_alone(volunteer, event, registration):
    now = timezone.now()
    past = SessionFactory(event=event, starts_at=now - dt.timedelta(hours=3), ends_at=now - dt.timedelta(hours=1))
    scans = [
        {
            "code": code_of(registration),
            "session": past.pk,
            "nonce": uuid.uuid4(),
            "scanned_at": now - dt.timedelta(hours=2),
        },
        {"code": "garbage", "session": past.pk, "nonce": uuid.uuid4(), "scanned_at": now},
        {"code": code_of(registration), "session": 987654, "nonce": uuid.uuid4(), "scanned_at": now},
    ]
    results = services.checkin_batch(scans=scans, user=volunteer)
    assert [r.status for r in results] == ["ok", "invalid", "error"]
    assert results[2].body["error"]["code"] == "unknown_session"
    assert CheckIn.objects.get().scanned_at == scans[0]["scanned_at"]


def test_batch_clamps_scan_times_from_the_future(volunteer, session, registration):
    later = timezone.now() + dt.timedelta(days=1)
    scan = {"code": code_of(registration), "session": session.pk, "nonce": uuid.uuid4(), "scanned_at": later}
    assert services.checkin_batch(scans=[scan], user=volunteer)[0].status == "ok"
    assert CheckIn.objects.get().scanned_at < later


def test_batch_over_the_limit_is_refused(volunteer):
    with pytest.raises(InvalidInput):
        services.checkin_batch(scans=[{}] * (services.MAX_BATCH + 1), user=volunteer)
