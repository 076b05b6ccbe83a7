"""Reads for the desk's team screen: members and roles of my organizations, the scanner tokens I
may see, and the people I may issue one for. Who may hold or revoke which token is
``organizations.tokens``' rule, not re-decided here."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import QuerySet

from organizations import access, tokens
from organizations.models import ApiToken, Membership, Organization


def team_organizations(*, user) -> QuerySet[Organization]:
    return access.managed_organizations(user=user).order_by("slug")


def team_members(*, user) -> QuerySet[Membership]:
    """Memberships of every organization the user manages, by organization, role and name."""
    return (
        Membership.objects.filter(access.managed_by(user))
        .select_related("user", "organization")
        .order_by("organization__slug", "role", "user__username", "id")
    )


def team_tokens(*, user) -> QuerySet[ApiToken]:
    """The tokens the user may see and revoke (``tokens.manageable_token_user_ids``), newest first."""
    rows = ApiToken.objects.select_related("user", "created_by")
    holders = tokens.manageable_token_user_ids(user=user)
    return rows if holders is None else rows.filter(user_id__in=holders)


def token_holders(*, user) -> QuerySet:
    """People the user may issue a scanner token for: themselves and members wholly inside the
    organizations they manage (the same query ``organizations.tokens`` lists tokens by)."""
    holders = tokens.manageable_token_user_ids(user=user)
    people = get_user_model().objects.filter(memberships__in=team_members(user=user)).distinct()
    return (people if holders is None else people.filter(pk__in=holders)).order_by("username")
