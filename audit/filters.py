import django_filters

from audit.models import AuditAction, AuditEntry
from common.filters import BoundedIsoDateTimeFilter


class AuditEntryFilter(django_filters.FilterSet):
    event = django_filters.CharFilter(field_name="event__slug", help_text="Event slug.")
    organization = django_filters.CharFilter(field_name="organization__slug", help_text="Organization slug.")
    # Bounded like the id column, so a huge number is a 400 rather than a database overflow.
    actor = django_filters.NumberFilter(
        field_name="actor_id", min_value=1, max_value=2**31 - 1, decimal_places=0, help_text="User id of who acted."
    )
    action = django_filters.MultipleChoiceFilter(choices=AuditAction.choices)
    since = BoundedIsoDateTimeFilter(field_name="at", lookup_expr="gte")
    until = BoundedIsoDateTimeFilter(field_name="at", lookup_expr="lt")

    class Meta:
        model = AuditEntry
        fields = ["event", "organization", "actor", "action", "since", "until"]
