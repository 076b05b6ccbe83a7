from rest_framework import serializers

from audit.models import AuditEntry


class AuditEntrySerializer(serializers.ModelSerializer):
    actor = serializers.IntegerField(source="actor_id", allow_null=True)
    organization = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    event = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    action_label = serializers.CharField(source="get_action_display")

    class Meta:
        model = AuditEntry
        fields = [
            "id",
            "at",
            "actor",
            "actor_label",
            "organization",
            "event",
            "action",
            "action_label",
            "target_type",
            "target_id",
            "target_label",
            "details",
            "ip",
        ]
        read_only_fields = fields
