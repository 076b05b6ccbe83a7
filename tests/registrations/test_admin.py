import pytest

from organizations.models import Membership
from registrations.models import Registration
from tests.factories import EventFactory, MembershipFactory, RegistrationFactory, UserFactory


@pytest.fixture
def organizer(db):
    membership = MembershipFactory(user=UserFactory(is_staff=True), role=Membership.Role.MANAGER)
    return membership


def test_organizer_sees_only_own_registrations(client, organizer):
    mine = RegistrationFactory(event=EventFactory(organization=organizer.organization), name="Mine Person")
    theirs = RegistrationFactory(name="Their Person")
    client.force_login(organizer.user)
    page = client.get("/admin/registrations/registration/")
    assert page.status_code == 200
    assert "Mine Person" in page.content.decode() and "Their Person" not in page.content.decode()
    assert client.get(f"/admin/registrations/registration/{mine.pk}/change/").status_code == 200
    assert client.get(f"/admin/registrations/registration/{theirs.pk}/change/").status_code == 302


def test_cancel_action_goes_through_the_service(client, organizer):
    event = EventFactory(organization=organizer.organization, capacity=1)
    first = RegistrationFactory(event=event)
    waiting = RegistrationFactory(event=event, status="waitlisted")
    client.force_login(organizer.user)
    response = client.post(
        "/admin/registrations/registration/",
        {"action": "cancel_selected", "_selected_action": [first.pk]},
        follow=True,
    )
    assert response.status_code == 200
    assert Registration.objects.get(pk=first.pk).status == "cancelled"
    assert Registration.objects.get(pk=waiting.pk).status == "confirmed"


def test_volunteers_and_strangers_have_no_access(client, db):
    volunteer = MembershipFactory(user=UserFactory(is_staff=True), role=Membership.Role.VOLUNTEER).user
    client.force_login(volunteer)
    assert client.get("/admin/registrations/registration/").status_code == 403
