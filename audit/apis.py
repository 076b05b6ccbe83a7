from rest_framework import generics

from audit import selectors
from audit.filters import AuditEntryFilter
from audit.models import AuditEntry
from audit.serializers import AuditEntrySerializer
from organizations.permissions import IsOrganizer


class AuditEntryListApi(generics.ListAPIView):
    """Organizer actions on the events and registrations of the organizations you manage, newest
    first. Filters: event (slug), organization (slug), actor (user id), action (repeatable),
    since/until (ISO date-times)."""

    permission_classes = [IsOrganizer]
    serializer_class = AuditEntrySerializer
    filterset_class = AuditEntryFilter

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return AuditEntry.objects.none()
        return selectors.audit_entries(user=self.request.user)
