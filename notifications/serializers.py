from rest_framework import serializers

from common.i18n import content_languages
from common.serializers import TranslationsField
from notifications.models import Announcement, Feedback


class FeedbackInputSerializer(serializers.Serializer):
    rating = serializers.IntegerField(min_value=1, max_value=5)
    comment = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000)
    language = serializers.ChoiceField(choices=content_languages(), required=False)


class FeedbackSerializer(serializers.ModelSerializer):
    class Meta:
        model = Feedback
        fields = ["rating", "comment", "language", "created_at", "updated_at"]


class AnnouncementInputSerializer(serializers.Serializer):
    events = serializers.ListField(
        child=serializers.SlugField(max_length=80), min_length=1, max_length=50, help_text="Slugs of your events."
    )
    subject_i18n = TranslationsField(max_length=200, help_text='{"en": "...", "zh-hans": "..."}')
    body_i18n = TranslationsField(max_length=20_000, help_text="Same languages.")


class AnnouncementSerializer(serializers.ModelSerializer):
    events = serializers.SlugRelatedField(slug_field="slug", many=True, read_only=True)
    subject_i18n = serializers.JSONField(source="subject", read_only=True)
    body_i18n = serializers.JSONField(source="body", read_only=True)

    class Meta:
        model = Announcement
        fields = ["id", "events", "subject_i18n", "body_i18n", "recipient_count", "created_at"]
