"""Role-level API permissions: who may call organizer endpoints at all.

Object scoping stays in the selectors (another organization's event is 404, so slugs cannot be
probed); this only turns away signed-in people who organize nothing (attendees, volunteers), with
403, before any object is looked up. The answer does not depend on the URL, so it leaks nothing.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import permissions

from organizations import access


class IsOrganizer(permissions.IsAuthenticated):
    """Owner or manager of at least one organization, or a superuser. Anonymous → 401."""

    message = _("Only an organization's managers and owners can do this.")

    def has_permission(self, request, view) -> bool:
        if not super().has_permission(request, view):
            return False
        return access.manages_any(user=request.user)
