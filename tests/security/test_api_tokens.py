"""API tokens in the organizer admin: issue (key shown once), list, revoke; scoped to one's organizations."""

import re

import pytest
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from organizations.models import ApiToken, Membership
from tests.factories import EventFactory, MembershipFactory, OrganizationFactory, SessionFactory, UserFactory

pytestmark = pytest.mark.django_db

ADD = "/admin/organizations/apitoken/add/"
LIST = "/admin/organizations/apitoken/"


@pytest.fixture
def org():
    return OrganizationFactory(slug="tea-club")


@pytest.fixture
def manager(org):
    user = UserFactory(username="mia", is_staff=True)
    MembershipFactory(user=user, organization=org, role=Membership.Role.MANAGER)
    return user


@pytest.fixture
def volunteer(org):
    user = UserFactory(username="vic")
    MembershipFactory(user=user, organization=org, role=Membership.Role.VOLUNTEER)
    return user


def admin_client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def issue(client, holder: str, name: str = "door phone 1"):
    response = client.post(ADD, {"user": holder, "name": name})
    match = re.search(r'id="api-token-key"[^>]*>(hg_[0-9a-f]{40})<', response.content.decode())
    return response, match.group(1) if match else None


def api(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def test_manager_issues_a_volunteer_token_shown_once_that_scans_but_cannot_organize(org, manager, volunteer):
    client = admin_client(manager)
    response, key = issue(client, "vic")
    assert response.status_code == 200 and key, response.content[:2000]
    assert "no-store" in response["Cache-Control"]
    token = ApiToken.objects.get()
    assert (token.user, token.name, token.created_by) == (volunteer, "door phone 1", manager)
    assert key not in (token.digest, token.prefix) and key[3:11] == token.prefix  # only a digest is stored

    listing = client.get(LIST).content.decode()
    assert "door phone 1" in listing and token.prefix in listing and key not in listing
    assert key not in client.get(f"{LIST}{token.pk}/change/").content.decode()

    event = EventFactory(organization=org, with_session=False)
    SessionFactory(event=event, starts_at=timezone.now())
    door = api(key)
    assert door.get("/api/v1/checkin/sessions/").status_code == 200
    for url in ("/api/v1/organizer/events/", f"/api/v1/reports/events/{event.slug}/", "/api/v1/organizer/venues/"):
        assert door.get(url).status_code == 403, url
    assert door.post("/api/v1/organizer/announcements/", {}, format="json").status_code == 403
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_revoking_stops_the_token_at_once_despite_the_cache(manager, volunteer):
    client = admin_client(manager)
    _response, key = issue(client, "vic")
    door = api(key)
    assert door.get("/api/v1/checkin/sessions/").status_code == 200  # now cached
    token = ApiToken.objects.get()
    response = client.post(LIST, {"action": "revoke_tokens", "_selected_action": [token.pk]})
    assert response.status_code == 302
    assert not ApiToken.objects.exists()
    assert door.get("/api/v1/checkin/sessions/").status_code == 401


def test_deactivating_the_holder_stops_a_cached_token(manager, volunteer):
    _response, key = issue(admin_client(manager), "vic")
    door = api(key)
    assert door.get("/api/v1/checkin/sessions/").status_code == 200
    volunteer.is_active = False
    volunteer.save()
    assert door.get("/api/v1/checkin/sessions/").status_code == 401


def test_a_manager_never_sees_or_revokes_another_organizations_tokens(manager, volunteer):
    other_org = OrganizationFactory()
    other_manager = UserFactory(username="otto", is_staff=True)
    MembershipFactory(user=other_manager, organization=other_org, role=Membership.Role.MANAGER)
    outsider = UserFactory(username="olga")
    MembershipFactory(user=outsider, organization=other_org, role=Membership.Role.VOLUNTEER)
    _r, _key = issue(admin_client(other_manager), "olga", name="their phone")
    theirs = ApiToken.objects.get(user=outsider)

    client = admin_client(manager)
    _r, _key = issue(client, "vic", name="our phone")
    listing = client.get(LIST).content.decode()
    assert "our phone" in listing and "their phone" not in listing and theirs.prefix not in listing
    assert client.get(f"{LIST}{theirs.pk}/change/").status_code == 302  # "does not exist" → admin index
    client.post(f"{LIST}{theirs.pk}/delete/", {"post": "yes"})
    client.post(LIST, {"action": "revoke_tokens", "_selected_action": [theirs.pk]})
    assert ApiToken.objects.filter(pk=theirs.pk).exists()

    # Nor issue one for them: a token would act with their rights in the other organization.
    response, key = issue(client, "olga")
    assert key is None and response.status_code == 200
    assert "not a member of an organization you manage" in response.content.decode()
    assert ApiToken.objects.filter(user=outsider).count() == 1


def test_no_token_for_a_member_who_also_belongs_elsewhere(org, manager, volunteer):
    MembershipFactory(user=volunteer, organization=OrganizationFactory(), role=Membership.Role.MANAGER)
    response, key = issue(admin_client(manager), "vic")
    assert key is None
    assert "organization you do not manage" in response.content.decode()
    assert not ApiToken.objects.exists()


def test_a_manager_cannot_mint_an_owners_token(org, manager):
    owner = UserFactory(username="olive", is_staff=True)
    MembershipFactory(user=owner, organization=org, role=Membership.Role.OWNER)
    _response, key = issue(admin_client(manager), "olive")
    assert key is None and not ApiToken.objects.exists()
    _response, key = issue(admin_client(owner), "mia")
    assert key is not None  # an owner may issue one for a manager of the organization


def test_volunteers_and_strangers_have_no_token_admin(volunteer):
    volunteer.is_staff = True
    volunteer.save()
    client = admin_client(volunteer)
    assert client.get(LIST).status_code == 403
    assert client.post(ADD, {"user": "vic", "name": "x"}).status_code == 403
    assert not ApiToken.objects.exists()


def test_staff_superuser_sees_every_token(manager, volunteer):
    _r, _key = issue(admin_client(manager), "vic", name="our phone")
    stranger = UserFactory(username="sam")
    admin = UserFactory(is_staff=True, is_superuser=True)
    client = admin_client(admin)
    _r, key = issue(client, "sam", name="platform script")
    assert key is not None and ApiToken.objects.get(user=stranger)
    listing = client.get(LIST).content.decode()
    assert "our phone" in listing and "platform script" in listing


def test_a_legacy_drf_token_still_works_and_its_deletion_is_seen(volunteer):
    from rest_framework.authtoken.models import Token

    token = Token.objects.create(user=volunteer)
    door = api(token.key)
    assert door.get("/api/v1/checkin/sessions/").status_code == 200
    token.delete()
    assert door.get("/api/v1/checkin/sessions/").status_code == 401
    assert api("hg_" + "0" * 40).get("/api/v1/checkin/sessions/").status_code == 401


def test_a_manager_lists_and_revokes_only_the_tokens_they_could_issue(org, manager, volunteer):
    """A shared member's token (they also manage another organization) and an owner's token act with
    rights the manager does not hold: the manager may not mint them, nor see or revoke them."""
    other_org = OrganizationFactory()
    shared = UserFactory(username="sol", is_staff=True)
    MembershipFactory(user=shared, organization=org, role=Membership.Role.VOLUNTEER)
    MembershipFactory(user=shared, organization=other_org, role=Membership.Role.MANAGER)
    owner = UserFactory(username="olive", is_staff=True)
    MembershipFactory(user=owner, organization=org, role=Membership.Role.OWNER)
    _r, shared_key = issue(admin_client(shared), "sol", name="sol's other job")
    _r, owner_key = issue(admin_client(owner), "olive", name="owner laptop")
    assert shared_key and owner_key
    client = admin_client(manager)
    _r, ours = issue(client, "vic", name="our phone")

    listing = client.get(LIST).content.decode()
    assert "our phone" in listing and "sol&#x27;s other job" not in listing and "owner laptop" not in listing
    for token in ApiToken.objects.filter(user__in=[shared, owner]):
        assert client.get(f"{LIST}{token.pk}/change/").status_code == 302
        client.post(f"{LIST}{token.pk}/delete/", {"post": "yes"})
        client.post(LIST, {"action": "revoke_tokens", "_selected_action": [token.pk]})
    assert ApiToken.objects.filter(user__in=[shared, owner]).count() == 2
    assert api(shared_key).get("/api/v1/organizer/events/").status_code == 200

    # The owner, who could issue the manager's and the volunteer's, sees and revokes those.
    owner_listing = admin_client(owner).get(LIST).content.decode()
    assert "our phone" in owner_listing and "owner laptop" in owner_listing
