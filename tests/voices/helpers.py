"""Helpers for the voices tests: the world (two offices and their teams) and comments in it."""

from __future__ import annotations

from types import SimpleNamespace

from organizations.models import Membership
from tests.factories import MembershipFactory, OrganizationFactory, UserFactory
from voices.models import Comment


def voices_world() -> SimpleNamespace:
    """Two offices; an owner, a manager and a volunteer of the first, a manager of the second."""
    w = SimpleNamespace()
    w.org = OrganizationFactory(
        slug="foreign-affairs", name={"en": "Foreign Affairs Office", "zh-hans": "外事办公室", "ja": "外事弁公室"}
    )
    w.org2 = OrganizationFactory(slug="chess-club")
    w.owner = UserFactory(username="owner")
    w.manager = UserFactory(username="manager")
    w.volunteer = UserFactory(username="volunteer")
    w.other = UserFactory(username="other-manager")
    for user, org, role in (
        (w.owner, w.org, Membership.Role.OWNER),
        (w.manager, w.org, Membership.Role.MANAGER),
        (w.volunteer, w.org, Membership.Role.VOLUNTEER),
        (w.other, w.org2, Membership.Role.MANAGER),
    ):
        MembershipFactory(user=user, organization=org, role=role)
    return w


def make_comment(organization, **fields) -> Comment:
    """A comment as a resident left it (straight to the table: no receipt email)."""
    values = {
        "topic": Comment.Topic.HOUSING,
        "kind": Comment.Kind.QUESTION,
        "text": "Where can I register my new address after moving?",
        "language": "en",
        "email": "",
        "publish_consent": False,
        **fields,
    }
    return Comment.objects.create(organization=organization, **values)
