"""Who may do what for an organization: the one place that answers it.

Two questions, asked everywhere: *who manages* an organization (owners and managers: events,
registrations, reports, the desk, the admin) and *who scans* for it (every role, volunteers
first: the door). Every other module asks here instead of filtering memberships itself, so a
new role or a change of rule is one edit.

Answers about "any organization at all" are sets of organization ids; answers about rows of
other apps are ``Q`` objects over a path to the organization (``managed_by(user, "event__organization")``)
or ``Exists`` subqueries, so callers keep one query.
"""

from __future__ import annotations

from django.conf import settings
from django.core.cache import cache
from django.db.models import Exists, Q, QuerySet
from django.utils.translation import gettext as _

from common.exceptions import Forbidden
from organizations.models import Membership, Organization

Role = Membership.Role
MANAGING_ROLES = Membership.MANAGING_ROLES
# Roles that may scan tickets at the door (all of them: volunteers are the main users).
CHECKIN_ROLES = (Role.OWNER, Role.MANAGER, Role.VOLUNTEER)


def _signed_in(user) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active)


# --- who manages ---------------------------------------------------------------------------------


def managed_organizations(*, user) -> QuerySet[Organization]:
    """Organizations ``user`` owns or manages (a superuser: all)."""
    if user.is_superuser:
        return Organization.objects.all()
    return Organization.objects.filter(memberships__user=user, memberships__role__in=MANAGING_ROLES).distinct()


def managed_organization_ids(*, user) -> frozenset[int]:
    if not _signed_in(user):
        return frozenset()
    return frozenset(managed_organizations(user=user).values_list("pk", flat=True))


def owned_organization_ids(*, user) -> frozenset[int]:
    return frozenset(Membership.objects.filter(user=user, role=Role.OWNER).values_list("organization_id", flat=True))


def manages_any(*, user) -> bool:
    """Owner or manager of at least one organization, or a superuser."""
    if not _signed_in(user):
        return False
    return user.is_superuser or Membership.objects.filter(user=user, role__in=MANAGING_ROLES).exists()


def can_manage(*, user, organization_id: int | None) -> bool:
    if not _signed_in(user):
        return False
    if user.is_superuser:
        return True
    return Membership.objects.filter(user=user, organization_id=organization_id, role__in=MANAGING_ROLES).exists()


def ensure_can_manage(*, user, organization_id: int | None) -> None:
    if not can_manage(user=user, organization_id=organization_id):
        raise Forbidden(_("You are not a manager of this organization."))


def managed_by(user, path: str = "organization") -> Q:
    """``Q`` for rows whose organization (reached through ``path``) ``user`` manages."""
    if user.is_superuser:
        return Q()
    return Q(**{f"{path}__in": Membership.objects.filter(user=user, role__in=MANAGING_ROLES).values("organization_id")})


# --- who scans -----------------------------------------------------------------------------------


def checkin_staff_cache_key(user_id: int) -> str:
    return f"checkin-orgs:{user_id}"


_SCANNABLE = "_huiguan_scannable_organization_ids"  # the answer, kept on the request's user object


def scannable_organization_ids(*, user) -> frozenset[int]:
    """Organizations the user may scan for. Asked on every scan, so cached briefly and dropped
    whenever one of the user's memberships changes (``forget_roles``, on every membership save).

    A scan asks twice (the permission, then the session's organization): the answer is kept on
    the user object too, which lives for one request (the token cache hands out a fresh copy).
    """
    ids = getattr(user, _SCANNABLE, None)
    if ids is not None:
        return ids
    key = checkin_staff_cache_key(user.pk)
    ids = cache.get(key)
    if ids is None:
        ids = frozenset(
            Membership.objects.filter(user_id=user.pk, role__in=CHECKIN_ROLES).values_list("organization_id", flat=True)
        )
        cache.set(key, ids, settings.TOKEN_CACHE_SECONDS)
    setattr(user, _SCANNABLE, ids)
    return ids


def may_scan(*, user, organization_id: int) -> bool:
    if user.is_superuser:
        return True
    return organization_id in scannable_organization_ids(user=user)


def scans_for(*, user, organization_ref) -> Exists:
    """``Exists`` for "the user may scan for this organization", to filter or annotate a query."""
    return Exists(Membership.objects.filter(user_id=user.pk, organization_id=organization_ref, role__in=CHECKIN_ROLES))


def forget_roles(*, user_id: int) -> None:
    cache.delete(checkin_staff_cache_key(user_id))


# --- per request (the admin asks many times per page) ----------------------------------------------


def request_managed_ids(request) -> frozenset[int]:
    """Organizations the signed-in staff user owns or manages, memoised on the request."""
    cached = getattr(request, "_managed_organization_ids", None)
    if cached is None:
        user = request.user
        cached = managed_organization_ids(user=user) if user.is_authenticated and user.is_staff else frozenset()
        request._managed_organization_ids = cached
    return cached


def request_owned_ids(request) -> frozenset[int] | None:
    """Organizations where the user is owner, memoised; ``None`` means all (superuser)."""
    if request.user.is_superuser:
        return None
    cached = getattr(request, "_owned_organization_ids", None)
    if cached is None:
        cached = owned_organization_ids(user=request.user)
        request._owned_organization_ids = cached
    return cached


def request_can_manage(request, organization_id: int | None = None) -> bool:
    """Without an id: does the user manage any organization at all?"""
    user = request.user
    if user.is_active and user.is_superuser:
        return True
    ids = request_managed_ids(request)
    return bool(ids) if organization_id is None else organization_id in ids
