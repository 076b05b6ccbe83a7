from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from common.i18n import content_languages
from common.serializers import TranslationsField
from notifications.models import Announcement, Feedback, Notice
from organizations.models import Organization


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


# --- reach: subscriptions ---


class SubscriptionInputSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)
    language = serializers.ChoiceField(choices=content_languages(), required=False)
    # Left out: everything, unless organizations are named.
    all_organizations = serializers.BooleanField(required=False, allow_null=True, default=None)
    organizations = serializers.ListField(
        child=serializers.SlugField(max_length=100), required=False, default=list, max_length=200
    )
    bulletin = serializers.BooleanField(required=False, default=True)
    notice_categories = serializers.ListField(
        child=serializers.ChoiceField(choices=Notice.Category.choices), required=False, max_length=10
    )
    consent = serializers.BooleanField()

    def validate_consent(self, value: bool) -> bool:
        if not value:
            raise serializers.ValidationError(_("Please agree to continue."))
        return value

    def validate_organizations(self, value: list[str]) -> list:
        found = {org.slug: org for org in Organization.objects.filter(slug__in=value)}
        missing = [slug for slug in value if slug not in found]
        if missing:
            raise serializers.ValidationError(_("No such organization: %(slug)s") % {"slug": missing[0]})
        return list(found.values())
