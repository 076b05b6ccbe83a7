"""Reading the audit log: a manager sees the entries of the organizations they own or manage."""

from __future__ import annotations

from django.db.models import QuerySet

from audit.models import AuditEntry
from organizations import access


def audit_entries(*, user) -> QuerySet[AuditEntry]:
    """Entries visible to ``user``, newest first, with what the list shows already joined."""
    entries = AuditEntry.objects.select_related("organization", "event").order_by("-at", "-id")
    return entries.filter(access.managed_by(user))
