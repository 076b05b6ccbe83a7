"""The organizer admin: every model scoped to the organizations the user owns or manages.

Access is driven by ``Membership`` (owner/manager), not by Django model permissions: an
organizer needs only ``is_staff`` plus a membership. Superusers see everything. The admin is a
desk like the API: its edits go through the same services (``organizer.services``).
"""

from organizer.admin import (  # noqa: F401  (registers the ModelAdmins)
    audit,
    checkin,
    events,
    notifications,
    organizations,
    registrations,
    sessions,
    tokens,
)
