import pytest

from organizations.models import Membership
from tests.checkin.conftest import open_session
from tests.factories import CheckInFactory, EventFactory, MembershipFactory, RegistrationFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_organizers_see_their_own_checkins_read_only(client, organization, session, registration):
    ours = CheckInFactory(ticket=registration.tickets.get(), session=session, device="door-ours")
    other = RegistrationFactory(event=EventFactory(with_session=False))
    theirs = CheckInFactory(ticket=other.tickets.get(), session=open_session(other.event), device="door-theirs")
    manager = UserFactory(is_staff=True)
    MembershipFactory(user=manager, organization=organization, role=Membership.Role.MANAGER)
    client.force_login(manager)

    listing = client.get("/admin/checkin/checkin/?reverted_at__isempty=1")
    assert listing.status_code == 200
    assert "door-ours" in listing.content.decode() and "door-theirs" not in listing.content.decode()
    detail = client.get(f"/admin/checkin/checkin/{ours.pk}/change/")
    assert detail.status_code == 200 and 'name="device"' not in detail.content.decode()  # read-only
    assert client.get(f"/admin/checkin/checkin/{theirs.pk}/change/").status_code in (302, 403, 404)
    assert client.get("/admin/checkin/checkin/add/").status_code == 403
