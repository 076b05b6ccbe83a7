"""The organizer admin: every model scoped to the organizations the user owns or manages.

Access is driven by ``Membership`` (owner/manager), not by Django model permissions: an
organizer needs only ``is_staff`` plus a membership. Superusers see everything.
"""

from events.admin import events, organizations, sessions, tokens  # noqa: F401  (registers the ModelAdmins)
