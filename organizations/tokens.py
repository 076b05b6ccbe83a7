"""Use cases of API tokens: make one (the key is returned once), revoke one, who may do either."""

from __future__ import annotations

import secrets

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from common.exceptions import Forbidden
from organizations.models import KEY_PREFIX, ApiToken, Membership, token_digest


def manageable_token_user_ids(*, user: AbstractBaseUser):
    """Users whose tokens ``user`` may list and revoke: themselves, and those they may issue one
    for (``ensure_can_issue_token``): members of organizations they own or manage with no
    membership elsewhere and no ownership ``user`` lacks. A shared volunteer's token made for the
    other organization, or an owner's, is not a manager's to see or break. (When a shared
    volunteer's phone is lost at this door, removing their membership here cuts this organization
    off from all of their tokens at once.) ``None`` means everyone (superuser)."""
    if user.is_superuser:
        return None
    mine = Membership.objects.filter(user=user)
    managed = mine.filter(role__in=Membership.MANAGING_ROLES).values("organization_id")
    owned = mine.filter(role=Membership.Role.OWNER).values("organization_id")
    beyond = Membership.objects.filter(
        ~Q(organization_id__in=managed) | Q(role=Membership.Role.OWNER) & ~Q(organization_id__in=owned)
    )
    members = Membership.objects.filter(organization_id__in=managed).values("user_id")
    issuable = Q(pk__in=members, is_superuser=False) & ~Q(pk__in=beyond.values("user_id"))
    return get_user_model().objects.filter(Q(pk=user.pk) | issuable).values("pk")


def ensure_can_issue_token(*, issuer: AbstractBaseUser, holder: AbstractBaseUser) -> None:
    """A token acts with all of its holder's rights, so a manager may issue one only for someone
    whose every membership lies in organizations the manager manages (and no ownership the
    manager does not hold); otherwise a shared volunteer's token would open another organization."""
    if issuer.is_superuser or issuer.pk == holder.pk:
        return
    if holder.is_superuser:
        raise Forbidden(_("Only a superuser can make tokens for a superuser."))
    issuer_roles = dict(Membership.objects.filter(user=issuer).values_list("organization_id", "role"))
    holder_roles = list(Membership.objects.filter(user=holder).values_list("organization_id", "role"))
    if not any(issuer_roles.get(organization_id) in Membership.MANAGING_ROLES for organization_id, _r in holder_roles):
        raise Forbidden(_("This person is not a member of an organization you manage."))
    for organization_id, role in holder_roles:
        mine = issuer_roles.get(organization_id)
        if mine not in Membership.MANAGING_ROLES or (role == Membership.Role.OWNER and mine != Membership.Role.OWNER):
            raise Forbidden(
                _("This person also belongs to an organization you do not manage; they can make their own token.")
            )


@transaction.atomic
def api_token_create(*, holder: AbstractBaseUser, name: str, issuer: AbstractBaseUser) -> tuple[ApiToken, str]:
    """Make a token for ``holder``; returns the row and the key, which is never readable again."""
    ensure_can_issue_token(issuer=issuer, holder=holder)
    key = KEY_PREFIX + secrets.token_hex(20)
    token = ApiToken.objects.create(
        user=holder,
        name=name.strip(),
        digest=token_digest(key),
        prefix=key[len(KEY_PREFIX) : len(KEY_PREFIX) + 8],
        created_by=issuer,
    )
    return token, key


@transaction.atomic
def api_token_revoke(*, token: ApiToken) -> None:
    """Delete the token; the post_delete signal drops it from the authentication cache at once."""
    token.delete()
