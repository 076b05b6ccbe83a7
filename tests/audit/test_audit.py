"""The audit log: each organizer action writes exactly one entry, in the action's transaction."""

import datetime as dt
import uuid
from decimal import Decimal

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from audit.models import AuditAction, AuditEntry
from checkin import services as checkin_services
from events import services as event_services
from events.models import Event
from notifications import notices
from organizations.models import Membership
from organizer import services as organizer_services
from registrations import services as registration_services
from tests.checkin.conftest import code_of, open_session
from tests.factories import (
    EventFactory,
    MembershipFactory,
    OrganizationFactory,
    RegistrationFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db
AUDIT = "/api/v1/organizer/audit/"


def only_entry(**filters) -> AuditEntry:
    entries = list(AuditEntry.objects.all())
    assert len(entries) == 1, [(e.action, e.target_label) for e in entries]
    entry = entries[0]
    for name, value in filters.items():
        assert getattr(entry, name) == value, (name, getattr(entry, name), value)
    return entry


@pytest.fixture
def event(organization):
    return EventFactory(organization=organization)


@pytest.fixture
def draft(organization):
    return EventFactory(organization=organization, status=Event.Status.DRAFT)


# --- events and sessions -----------------------------------------------------------------------


def test_event_create(manager, organization):
    event = event_services.event_create(
        user=manager, organization=organization, slug="tea", title={"en": "Tea"}, capacity=10
    )
    entry = only_entry(action=AuditAction.EVENT_CREATE, actor=manager, organization=organization, event=event)
    assert (entry.actor_label, entry.target_type, entry.target_id, entry.target_label) == (
        manager.username,
        "event",
        str(event.pk),
        "tea",
    )


def test_event_update_records_old_and_new_values(manager, event):
    organizer_services.event_update(user=manager, event=event, capacity=80, title=event.title)
    entry = only_entry(action=AuditAction.EVENT_UPDATE, actor=manager, organization=event.organization)
    assert entry.details == {"changes": {"capacity": [50, 80]}}  # the unchanged title is not listed


def test_event_update_records_a_new_venue_by_id(manager, event):
    from tests.factories import VenueFactory

    old_venue, new_venue = event.venue_id, VenueFactory(organization=event.organization)
    organizer_services.event_update(user=manager, event=event, venue=new_venue)
    only_entry(action=AuditAction.EVENT_UPDATE, details={"changes": {"venue": [old_venue, new_venue.pk]}})


def test_event_image_set_and_removed(manager, event, settings, tmp_path):
    from tests.events.test_images import picture, upload

    settings.MEDIA_ROOT = tmp_path
    event = event_services.event_set_image(user=manager, event=event, upload=upload("tea.png", picture()))
    name = event.image.name
    event_services.event_remove_image(user=manager, event=event)
    event_services.event_remove_image(user=manager, event=event)  # nothing left to remove: no entry
    entries = AuditEntry.objects.filter(action=AuditAction.EVENT_UPDATE, actor=manager).order_by("pk")
    assert [entry.details for entry in entries] == [
        {"changes": {"image": [None, name]}},
        {"changes": {"image": [name, None]}},
    ]


def test_event_update_that_changes_nothing_writes_nothing(manager, event):
    organizer_services.event_update(user=manager, event=event, capacity=event.capacity)
    assert not AuditEntry.objects.exists()


def test_event_publish_and_cancel(manager, draft):
    event_services.event_publish(user=manager, event=draft)
    only_entry(action=AuditAction.EVENT_PUBLISH, actor=manager, event=draft)
    AuditEntry.objects.all()._raw_delete(AuditEntry.objects.db)  # start over for the second action
    organizer_services.event_cancel(user=manager, event=draft)
    only_entry(action=AuditAction.EVENT_CANCEL, actor=manager, event=draft, organization=draft.organization)


def test_publishing_twice_is_one_entry(manager, draft):
    event_services.event_publish(user=manager, event=draft)
    event_services.event_publish(user=manager, event=draft)  # a no-op: nothing happened
    only_entry(action=AuditAction.EVENT_PUBLISH)


def test_questions(manager, event):
    event_services.event_set_questions(user=manager, event=event, questions=[{"key": "diet", "label": {"en": "Diet"}}])
    only_entry(action=AuditAction.EVENT_QUESTIONS, details={"keys": ["diet"]})


def test_session_create_move_cancel(manager, draft):
    start = timezone.now().replace(microsecond=0) + dt.timedelta(days=30)
    session = event_services.session_create(
        user=manager, event=draft, starts_at=start, ends_at=start + dt.timedelta(hours=1), allow_overlap=True
    )
    only_entry(action=AuditAction.SESSION_CREATE, actor=manager, event=draft, target_id=str(session.pk))
    AuditEntry.objects.all()._raw_delete(AuditEntry.objects.db)

    later = start + dt.timedelta(hours=3)
    organizer_services.session_update(
        user=manager, session=session, starts_at=later, ends_at=later + dt.timedelta(hours=1), allow_overlap=True
    )
    entry = only_entry(action=AuditAction.SESSION_UPDATE, actor=manager, target_type="session")
    assert set(entry.details["changes"]) == {"starts_at", "ends_at"}
    AuditEntry.objects.all()._raw_delete(AuditEntry.objects.db)

    organizer_services.session_cancel(user=manager, session=session)
    only_entry(action=AuditAction.SESSION_CANCEL, actor=manager, organization=draft.organization)


def test_sessions_generate_is_one_entry_for_the_whole_series(manager, draft):
    created = organizer_services.sessions_generate(
        user=manager,
        event=draft,
        rule="FREQ=WEEKLY;COUNT=8",
        first_start=dt.datetime(2031, 3, 4, 19, 0),
        duration=dt.timedelta(hours=2),
        allow_overlap=True,
    )
    entry = only_entry(action=AuditAction.SESSIONS_GENERATE, actor=manager, event=draft)
    assert entry.details["created"] == len(created) == 8
    assert entry.details["rule"] == "FREQ=WEEKLY;COUNT=8"


def test_forbidden_action_writes_nothing(event):
    outsider = UserFactory()
    with pytest.raises(Exception):  # noqa: B017 - Forbidden, whatever its HTTP mapping
        organizer_services.event_cancel(user=outsider, event=event)
    assert not AuditEntry.objects.exists()


def test_rolled_back_action_leaves_no_entry(manager, draft):
    class Boom(Exception):
        pass

    with pytest.raises(Boom), transaction.atomic():
        event_services.event_publish(user=manager, event=draft)
        assert AuditEntry.objects.count() == 1  # written in the same transaction ...
        raise Boom
    assert not AuditEntry.objects.exists()  # ... and gone with it
    draft.refresh_from_db()
    assert draft.status == Event.Status.DRAFT


def test_record_outside_a_transaction_is_refused(manager, event):
    from audit import services as audit

    # pytest-django wraps each test in a transaction; leave it to see the guard.
    connection = transaction.get_connection()
    in_block, connection.in_atomic_block = connection.in_atomic_block, False
    try:
        with pytest.raises(RuntimeError):
            audit.record_event(actor=manager, action=AuditAction.EVENT_PUBLISH, event=event)
    finally:
        connection.in_atomic_block = in_block


# --- registrations, door, check-in, announcements -----------------------------------------------


def test_organizer_cancel_is_audited_attendee_cancel_is_not(manager, event):
    own = RegistrationFactory(event=event)
    registration_services.registration_cancel(registration_id=own.pk)  # the attendee, by manage link
    assert not AuditEntry.objects.exists()

    other = RegistrationFactory(event=event)
    registration_services.registration_cancel(registration_id=other.pk, actor=manager)
    entry = only_entry(action=AuditAction.REGISTRATION_CANCEL, actor=manager, event=event)
    assert entry.target_label == f"#{other.pk} · {event.slug}"
    assert other.name not in str(entry.details) and other.email not in str(entry.details)


def test_organizer_cancel_through_the_registration_api_is_audited(manager_client, manager, event):
    registration = RegistrationFactory(event=event)
    response = manager_client.delete(f"/api/v1/registrations/{registration.pk}/")
    assert response.status_code == 200 and response.json()["status"] == "cancelled"
    only_entry(action=AuditAction.REGISTRATION_CANCEL, actor=manager, event=event, target_id=str(registration.pk))


def test_attendee_cancel_through_the_registration_api_is_not_audited(api_client, event):
    registration = RegistrationFactory(event=event)
    response = api_client.delete(
        f"/api/v1/registrations/{registration.pk}/", HTTP_X_MANAGE_TOKEN=registration.manage_token
    )
    assert response.status_code == 200 and response.json()["status"] == "cancelled"
    assert not AuditEntry.objects.exists()


def test_door_payment(manager, organization):
    event = EventFactory(organization=organization, price=Decimal("80"), allow_pay_at_door=True)
    registration = registration_services.registration_create(
        event_id=event.pk, name="B", email="b@x.org", language="en", pay_at_door=True, consents={"privacy": True}
    )
    registration_services.door_payment_record(registration_id=registration.pk, received_by=manager)
    registration_services.door_payment_record(registration_id=registration.pk, received_by=manager)  # no-op
    entry = only_entry(action=AuditAction.DOOR_PAYMENT, actor=manager, organization=organization)
    assert entry.details["amount"] == "80.00"


def test_scans_are_not_audited_but_their_undo_is(manager, organization):
    event = EventFactory(organization=organization, with_session=False)
    session = open_session(event)
    registration = RegistrationFactory(event=event)
    result = checkin_services.checkin_perform(
        code=code_of(registration),
        session_id=session.pk,
        user=manager,
        nonce=uuid.uuid4(),
    )
    assert result.status == "ok"
    assert not AuditEntry.objects.exists()

    checkin_services.checkin_revert(checkin_id=result.checkin.pk, user=manager)
    checkin_services.checkin_revert(checkin_id=result.checkin.pk, user=manager)  # no-op
    only_entry(action=AuditAction.CHECKIN_REVERT, actor=manager, event=event, target_id=str(result.checkin.pk))


def test_announcement(manager, event):
    RegistrationFactory(event=event)
    notices.announcement_create(
        user=manager, event_slugs=[event.slug], subject={"en": "Room change"}, body={"en": "Room 2"}
    )
    entry = only_entry(action=AuditAction.ANNOUNCEMENT_SEND, actor=manager, event=event)
    assert entry.details == {"languages": ["en"], "recipients": 1, "audience": "active"}


def test_csv_export_over_http(manager_client, manager, event):
    response = manager_client.get(f"/api/v1/reports/events/{event.slug}/attendance.csv", REMOTE_ADDR="203.0.113.7")
    assert response.status_code == 200
    entry = only_entry(action=AuditAction.EXPORT, actor=manager, event=event, ip="203.0.113.7")
    assert entry.details == {"table": "attendance"}


def test_registrations_csv_export_is_audited(manager_client, manager, event):
    RegistrationFactory(event=event)
    csv_url = f"/api/v1/organizer/events/{event.slug}/registrations.csv"
    # The filters stay out of the entry: a name search would put an attendee's name in the log.
    response = manager_client.get(csv_url, {"status": "confirmed", "q": "Attendee"})
    assert response.status_code == 200
    entry = only_entry(action=AuditAction.EXPORT, actor=manager, event=event)
    assert entry.details == {"table": "registrations"} and "Attendee" not in entry.target_label


def test_forwarded_address_is_used_only_behind_a_configured_proxy(manager_client, manager, event, settings):
    url = f"/api/v1/reports/events/{event.slug}/sessions.csv"
    manager_client.get(url, REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="198.51.100.9")
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    manager_client.get(url, REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="198.51.100.9")
    assert list(AuditEntry.objects.order_by("id").values_list("ip", flat=True)) == ["10.0.0.2", "198.51.100.9"]


# --- the admin -----------------------------------------------------------------------------------


@pytest.fixture
def staff_manager(manager):
    manager.is_staff = True
    manager.save(update_fields=["is_staff"])
    return manager


def test_admin_membership_add_is_audited(client, staff_manager, organization):
    volunteer = UserFactory()
    client.force_login(staff_manager)
    response = client.post(
        reverse("admin:organizations_membership_add"),
        {"user": volunteer.username, "organization": organization.pk, "role": Membership.Role.VOLUNTEER},
    )
    assert response.status_code == 302, response.content[:2000]
    entry = only_entry(action=AuditAction.ADMIN_ADD, actor=staff_manager, organization=organization)
    assert entry.target_type == "membership"
    assert entry.details["role"] == "volunteer" and entry.details["user"] == volunteer.pk


def test_admin_membership_delete_is_audited(client, staff_manager, organization):
    membership = MembershipFactory(organization=organization, role=Membership.Role.VOLUNTEER)
    client.force_login(staff_manager)
    response = client.post(reverse("admin:organizations_membership_delete", args=[membership.pk]), {"post": "yes"})
    assert response.status_code == 302
    only_entry(action=AuditAction.ADMIN_DELETE, actor=staff_manager, target_id=str(membership.pk))


def test_admin_registration_cancel_action_is_audited_once(client, staff_manager, event):
    registration = RegistrationFactory(event=event)
    client.force_login(staff_manager)
    response = client.post(
        reverse("admin:registrations_registration_changelist"),
        {"action": "cancel_selected", "_selected_action": [registration.pk]},
    )
    assert response.status_code == 302
    only_entry(action=AuditAction.REGISTRATION_CANCEL, actor=staff_manager, event=event)


def test_admin_audit_log_is_scoped_and_read_only(client, staff_manager, organization, event):
    other_org = OrganizationFactory()
    other_event = EventFactory(organization=other_org)
    other_manager = MembershipFactory(organization=other_org).user
    organizer_services.event_cancel(user=staff_manager, event=event)
    organizer_services.event_cancel(user=other_manager, event=other_event)
    mine = AuditEntry.objects.get(organization=organization)
    theirs = AuditEntry.objects.get(organization=other_org)

    client.force_login(staff_manager)
    listing = client.get(reverse("admin:audit_auditentry_changelist"))
    assert listing.status_code == 200
    assert event.slug in listing.content.decode() and other_event.slug not in listing.content.decode()
    assert client.get(reverse("admin:audit_auditentry_change", args=[mine.pk])).status_code == 200
    assert client.get(reverse("admin:audit_auditentry_change", args=[theirs.pk])).status_code == 302  # not found
    assert client.post(reverse("admin:audit_auditentry_delete", args=[mine.pk]), {"post": "yes"}).status_code == 403
    assert client.get(reverse("admin:audit_auditentry_add")).status_code == 403
    assert AuditEntry.objects.count() == 2


def test_entries_cannot_be_changed_or_deleted(manager, event):
    organizer_services.event_cancel(user=manager, event=event)
    entry = AuditEntry.objects.get()
    entry.action = AuditAction.EVENT_PUBLISH
    with pytest.raises(TypeError):
        entry.save()
    with pytest.raises(TypeError):
        entry.delete()
    with pytest.raises(TypeError):
        AuditEntry.objects.update(action="x")
    with pytest.raises(TypeError):
        AuditEntry.objects.all().delete()


# --- the API -------------------------------------------------------------------------------------


def _entries(actor, organization, count: int, *, event=None):
    from audit import services as audit

    with transaction.atomic():
        for n in range(count):
            audit.record(
                actor=actor,
                action=AuditAction.EVENT_UPDATE,
                organization_id=organization.pk,
                event_id=event.pk if event else None,
                target_type="event",
                target_id=n,
                target_label=f"e{n}",
                details={"n": n},
            )


def test_api_lists_own_organization_only(manager_client, manager, organization, event):
    other_org = OrganizationFactory()
    other_manager = MembershipFactory(organization=other_org).user
    _entries(manager, organization, 2, event=event)
    _entries(other_manager, other_org, 3)

    body = manager_client.get(AUDIT).json()
    assert body["count"] == 2
    assert {row["organization"] for row in body["results"]} == {organization.slug}
    row = body["results"][0]
    assert row["actor"] == manager.pk and row["event"] == event.slug and row["action"] == "event.update"

    other = APIClient()
    other.force_authenticate(other_manager)
    assert other.get(AUDIT).json()["count"] == 3
    assert other.get(AUDIT, {"event": event.slug}).json()["count"] == 0


def test_api_volunteers_and_anonymous_see_nothing(organization, manager):
    _entries(manager, organization, 2)
    volunteer = MembershipFactory(organization=organization, role=Membership.Role.VOLUNTEER).user
    client = APIClient()
    assert client.get(AUDIT).status_code == 401
    client.force_authenticate(volunteer)
    response = client.get(AUDIT)
    assert response.status_code == 403 and "results" not in response.json()


def test_api_filters(manager_client, manager, organization, event):
    colleague = MembershipFactory(organization=organization).user
    organizer_services.event_cancel(user=colleague, event=event)
    _entries(manager, organization, 2)
    assert manager_client.get(AUDIT, {"event": event.slug}).json()["count"] == 1
    assert manager_client.get(AUDIT, {"actor": colleague.pk}).json()["count"] == 1
    assert manager_client.get(AUDIT, {"action": "event.update"}).json()["count"] == 2
    assert manager_client.get(AUDIT, {"action": ["event.update", "event.cancel"]}).json()["count"] == 3
    tomorrow = (timezone.now() + dt.timedelta(days=1)).isoformat()
    assert manager_client.get(AUDIT, {"since": tomorrow}).json()["count"] == 0
    assert manager_client.get(AUDIT, {"until": tomorrow}).json()["count"] == 3
    bad = manager_client.get(AUDIT, {"action": "nope"})
    assert bad.status_code == 400


def test_api_pages(manager_client, manager, organization):
    _entries(manager, organization, 7)
    body = manager_client.get(AUDIT, {"page_size": 5}).json()
    assert body["count"] == 7 and len(body["results"]) == 5 and body["next"]


@pytest.mark.parametrize("count", [5, 50])
def test_api_query_count_is_flat(manager_client, manager, organization, event, count, django_assert_num_queries):
    _entries(manager, organization, count, event=event)
    # auth is forced: the role check, count, page (entries with organization and event joined)
    with django_assert_num_queries(3):
        response = manager_client.get(AUDIT, {"page_size": 100})
    assert len(response.json()["results"]) == count


def test_action_labels_are_translated(manager_client, manager, event):
    organizer_services.event_cancel(user=manager, event=event)
    assert manager_client.get(AUDIT, {"lang": "ja"}).json()["results"][0]["action_label"] == "イベント中止"
    assert manager_client.get(AUDIT, {"lang": "zh-hans"}).json()["results"][0]["action_label"] == "取消活动"


def test_admin_event_edit_is_audited_with_the_changed_fields(client, staff_manager, event):
    from tests.events.test_admin import read_form

    client.force_login(staff_manager)
    url = reverse("admin:events_event_change", args=[event.pk])
    data = read_form(client.get(url), "event_form")
    data["capacity"] = "75"
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    # The admin saves through the same service as the API, so the entry is the service's own.
    entry = only_entry(action=AuditAction.EVENT_UPDATE, actor=staff_manager, event=event, target_type="event")
    assert entry.details["changes"] == {"capacity": [event.capacity, 75]}
