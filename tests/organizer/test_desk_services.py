"""The desk's use cases on a real database: promotion by hand, ticket resend, announcements to a
chosen audience, inviting a volunteer, scanner tokens."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core import mail

from audit.models import AuditAction, AuditEntry
from common.exceptions import Conflict, InvalidInput, InvalidTransition, NotFound
from notifications import notices, selectors
from notifications.models import Notification
from organizations.models import ApiToken, Membership
from organizations.tokens import api_token_create
from organizer import team
from organizer.selectors import team as team_reads
from registrations import services
from registrations.models import Registration
from registrations.services import seats
from tests.factories import (
    CheckInFactory,
    EventFactory,
    MembershipFactory,
    OrganizationFactory,
    RegistrationFactory,
    SessionFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db
RS = Registration.Status


def waiting(event, **kwargs) -> Registration:
    return RegistrationFactory(event=event, status=RS.WAITLISTED, confirmed_at=None, **kwargs)


# --- promotion by hand ---------------------------------------------------------------------------


def test_promote_by_hand_skips_the_queue_within_capacity(manager, organization, django_capture_on_commit_callbacks):
    event = EventFactory(organization=organization, capacity=2)
    RegistrationFactory(event=event)
    first, second = waiting(event), waiting(event)
    with django_capture_on_commit_callbacks(execute=True):
        promoted = services.waitlist_promote_by_hand(registration_id=second.pk, actor=manager)
    assert promoted.status == RS.CONFIRMED and promoted.promoted_at is not None
    first.refresh_from_db()
    assert first.status == RS.WAITLISTED  # the organizer chose; the queue keeps its order
    event.refresh_from_db()
    oracle = seats.event_recount(event_id=event.pk)
    assert (event.seats_held, event.waitlist_count) == (oracle.seats_held, oracle.waitlist_count) == (2, 1)
    assert Notification.objects.filter(registration=second, kind=Notification.Kind.PROMOTED).count() == 1
    assert AuditEntry.objects.filter(action=AuditAction.REGISTRATION_PROMOTE, target_id=str(second.pk)).exists()
    # Twice is a no-op, not a second seat.
    services.waitlist_promote_by_hand(registration_id=second.pk, actor=manager)
    event.refresh_from_db()
    assert event.seats_held == 2


def test_promote_by_hand_respects_capacity_and_status(manager, organization):
    event = EventFactory(organization=organization, capacity=2)
    RegistrationFactory(event=event)
    family = waiting(event, party_size=2)
    with pytest.raises(Conflict) as refused:
        services.waitlist_promote_by_hand(registration_id=family.pk, actor=manager)
    assert refused.value.code == "no_seats"
    family.refresh_from_db()
    assert family.status == RS.WAITLISTED
    confirmed = RegistrationFactory(event=event)
    with pytest.raises(InvalidTransition):
        services.waitlist_promote_by_hand(registration_id=confirmed.pk, actor=manager)
    with pytest.raises(NotFound):
        services.waitlist_promote_by_hand(registration_id=10_000, actor=manager)


def test_promote_by_hand_of_an_online_paid_registration_holds_the_seat_until_paid(manager, organization):
    event = EventFactory(organization=organization, capacity=1, price=Decimal("20"))
    reg = waiting(event, payment_method=Registration.PaymentMethod.ONLINE, amount_due=Decimal("20"))
    promoted = services.waitlist_promote_by_hand(registration_id=reg.pk, actor=manager)
    assert promoted.status == RS.PENDING_PAYMENT and promoted.hold_expires_at is not None


# --- ticket resend -------------------------------------------------------------------------------


def test_ticket_resend_is_one_message_per_window(manager, organization, django_capture_on_commit_callbacks):
    reg = RegistrationFactory(event=EventFactory(organization=organization))
    with django_capture_on_commit_callbacks(execute=True):
        assert services.ticket_resend(registration_id=reg.pk, actor=manager) is True
        assert services.ticket_resend(registration_id=reg.pk, actor=manager) is False
    rows = Notification.objects.filter(registration=reg, kind=Notification.Kind.CONFIRMATION)
    assert [row.params for row in rows] == [{"resent": True}]
    assert rows.get().status == Notification.Status.SENT
    assert mail.outbox and mail.outbox[-1].to == [reg.email]
    assert AuditEntry.objects.filter(action=AuditAction.TICKET_RESEND).count() == 1


def test_ticket_resend_only_for_confirmed(manager, organization):
    reg = waiting(EventFactory(organization=organization))
    with pytest.raises(InvalidTransition):
        services.ticket_resend(registration_id=reg.pk, actor=manager)
    assert not Notification.objects.exists()


# --- announcements to an audience ----------------------------------------------------------------


@pytest.fixture
def course(organization):
    event = EventFactory(organization=organization, with_session=False, capacity=3)
    first = SessionFactory(event=event)
    second = SessionFactory(event=event, starts_at=first.starts_at + dt.timedelta(days=7))
    came_once = RegistrationFactory(event=event, language="zh-hans")
    came_twice = RegistrationFactory(event=event, language="ja")
    stayed_home = RegistrationFactory(event=event, language="en")
    queued = waiting(event, language="zh-hans")
    CheckInFactory(ticket=came_once.tickets.get(), session=first)
    CheckInFactory(ticket=came_twice.tickets.get(), session=first)
    CheckInFactory(ticket=came_twice.tickets.get(), session=second)
    return event, first, second, {"once": came_once, "twice": came_twice, "home": stayed_home, "queued": queued}


@pytest.mark.parametrize(
    "audience, at, expected",
    [
        ("active", None, {"once", "twice", "home", "queued"}),
        ("confirmed", None, {"once", "twice", "home"}),
        ("waitlisted", None, {"queued"}),
        ("checked_in", None, {"once", "twice"}),
        ("session", "second", {"twice"}),
    ],
)
def test_announcement_reaches_the_chosen_audience(manager, course, audience, at, expected):
    event, first, second, people = course
    session_id = {"first": first.pk, "second": second.pk}.get(at)
    announcement = notices.announcement_create(
        user=manager,
        event_slugs=[event.slug],
        subject={"en": "Umbrella", "zh-hans": "雨伞"},
        body={"en": "Someone left one.", "zh-hans": "有人落下了。"},
        audience=audience,
        session_id=session_id,
    )
    got = set(Notification.objects.filter(announcement=announcement).values_list("registration_id", flat=True))
    assert got == {people[name].pk for name in expected}
    assert announcement.recipient_count == len(expected)
    assert (announcement.audience, announcement.session_id) == (audience, session_id)


def test_a_session_audience_needs_a_session_of_the_event(manager, course, organization):
    event, *_ = course
    other = SessionFactory(event=EventFactory(organization=organization, with_session=False))
    for session_id in (None, other.pk):
        with pytest.raises(InvalidInput) as refused:
            notices.announcement_create(
                user=manager,
                event_slugs=[event.slug],
                subject={"en": "x"},
                body={"en": "y"},
                audience="session",
                session_id=session_id,
            )
        assert "session" in refused.value.fields
    with pytest.raises(InvalidInput) as refused:
        notices.announcement_create(
            user=manager, event_slugs=[event.slug], subject={"en": "x"}, body={"en": "y"}, audience="everyone"
        )
    assert "audience" in refused.value.fields
    assert not Notification.objects.exists()


def test_reading_languages_counts_who_reads_which(course):
    event, *_ = course
    audience = selectors.announcement_audience(event_ids=[event.pk])
    # Written in Chinese and English; the organization writes English: the Japanese reader gets English.
    counts = selectors.reading_languages(registrations=audience, written=["en", "zh-hans"], organization_language="en")
    assert counts == {"zh-hans": 2, "en": 2}
    counts = selectors.reading_languages(registrations=audience, written=["ja"], organization_language="zh-hans")
    assert counts == {"ja": 4}


def test_announcement_delivery_counts_the_outbox(manager, course, django_capture_on_commit_callbacks):
    event, *_ = course
    with django_capture_on_commit_callbacks(execute=True):
        announcement = notices.announcement_create(
            user=manager, event_slugs=[event.slug], subject={"en": "Hi"}, body={"en": "Hello"}, audience="confirmed"
        )
    delivery = selectors.announcement_delivery(announcement_id=announcement.pk)
    assert delivery["sent"] == 3 and delivery["failed"] == delivery["pending"] == 0


# --- team ----------------------------------------------------------------------------------------


def test_inviting_a_new_volunteer_makes_an_account_with_a_one_use_password_link(
    manager, organization, client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        membership = team.volunteer_invite(
            inviter=manager, organization=organization, email=" Mei@Example.org ", language="zh-hans"
        )
    user = membership.user
    assert (membership.role, user.email, user.has_usable_password()) == ("volunteer", "mei@example.org", False)
    message = mail.outbox[-1]
    assert message.to == ["mei@example.org"] and "志愿者" in message.subject
    link = next(line for line in message.body.splitlines() if "/organizer/welcome/" in line).strip()
    path = link.split("8000", 1)[-1] if "8000" in link else link
    page = client.get(path, follow=True)
    assert page.status_code == 200 and page.context["validlink"]
    done = client.post(
        page.redirect_chain[-1][0], {"new_password1": "tea-and-scan-42", "new_password2": "tea-and-scan-42"}
    )
    assert done.status_code == 302
    user.refresh_from_db()
    assert user.check_password("tea-and-scan-42")
    again = client.get(path, follow=True)
    assert again.context["validlink"] is False  # the link is spent
    assert AuditEntry.objects.filter(action=AuditAction.MEMBER_INVITE, organization=organization).count() == 1


def test_inviting_a_known_person_adds_them_and_no_password_link(
    manager, organization, django_capture_on_commit_callbacks
):
    known = UserFactory(email="li@example.org")
    with django_capture_on_commit_callbacks(execute=True):
        team.volunteer_invite(inviter=manager, organization=organization, email="LI@example.org", language="en")
    assert Membership.objects.get(user=known, organization=organization).role == "volunteer"
    assert "/organizer/welcome/" not in mail.outbox[-1].body and "/scan/login/" in mail.outbox[-1].body
    with pytest.raises(InvalidInput):  # already a member: the role stays
        team.volunteer_invite(inviter=manager, organization=organization, email="li@example.org", language="en")


def test_only_a_manager_of_the_organization_invites(organization):
    volunteer = UserFactory()
    MembershipFactory(user=volunteer, organization=organization, role="volunteer")
    outsider = UserFactory()
    MembershipFactory(user=outsider, organization=OrganizationFactory(), role="manager")
    for user in (volunteer, outsider):
        with pytest.raises(Exception) as refused:
            team.volunteer_invite(inviter=user, organization=organization, email="x@example.org", language="en")
        assert refused.value.status_code == 403
    assert not Membership.objects.filter(user__email="x@example.org").exists()


def test_scanner_tokens_only_for_people_wholly_inside_my_organizations(manager, organization):
    mine = UserFactory()
    MembershipFactory(user=mine, organization=organization, role="volunteer")
    shared = UserFactory()
    MembershipFactory(user=shared, organization=organization, role="volunteer")
    MembershipFactory(user=shared, organization=OrganizationFactory(), role="volunteer")
    token, key = team.scanner_token_issue(issuer=manager, holder_id=mine.pk, name="door phone")
    assert key.startswith("hg_") and token.user == mine
    with pytest.raises(NotFound):
        team.scanner_token_issue(issuer=manager, holder_id=shared.pk, name="door phone")
    theirs, _key = api_token_create(holder=shared, name="own phone", issuer=shared)  # made on the other side
    assert list(team_reads.team_tokens(user=manager)) == [token]
    with pytest.raises(NotFound):
        team.scanner_token_revoke(user=manager, token_id=theirs.pk)
    team.scanner_token_revoke(user=manager, token_id=token.pk)
    assert list(ApiToken.objects.all()) == [theirs]
    actions = list(AuditEntry.objects.filter(organization=organization).values_list("action", flat=True))
    assert sorted(actions) == sorted([AuditAction.TOKEN_CREATE, AuditAction.TOKEN_REVOKE])
