"""The notice board's API (``GET /api/v1/notices/``): published notices only, current first, each
with every language (``title_i18n``…) and the reader's (``title``…, the default language and a
``fallback`` line where the translation is missing). Filters: ``category``, ``organization`` (slug)."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, permissions, serializers

from common.exceptions import InvalidInput
from common.i18n import active_language
from notifications import board
from notifications.models import Notice
from organizations.models import Organization


class NoticeSerializer(serializers.ModelSerializer):
    organization = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    organization_name = serializers.SerializerMethodField()
    title = serializers.SerializerMethodField()
    body = serializers.SerializerMethodField()
    area = serializers.SerializerMethodField()
    language = serializers.SerializerMethodField(help_text="The language title and body are in.")
    fallback = serializers.SerializerMethodField(help_text="Set when the reader's language is missing: says so.")
    title_i18n = serializers.JSONField(source="title", read_only=True)
    body_i18n = serializers.JSONField(source="body", read_only=True)
    area_i18n = serializers.JSONField(source="area", read_only=True)
    venue = serializers.SerializerMethodField()
    current = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField()

    class Meta:
        model = Notice
        fields = [
            "id",
            "organization",
            "organization_name",
            "category",
            "urgent",
            "title",
            "body",
            "area",
            "language",
            "fallback",
            "title_i18n",
            "body_i18n",
            "area_i18n",
            "venue",
            "valid_from",
            "valid_until",
            "current",
            "published_at",
            "url",
        ]

    def _shown(self, notice: Notice) -> dict:
        cache = self.context.setdefault("shown", {})
        if notice.pk not in cache:
            cache[notice.pk] = board.notice_language(notice, active_language())
        return cache[notice.pk]

    def get_organization_name(self, notice: Notice) -> str:
        return notice.organization.t("name", active_language())

    def get_title(self, notice: Notice) -> str:
        return self._shown(notice)["title"]

    def get_body(self, notice: Notice) -> str:
        return self._shown(notice)["body"]

    def get_area(self, notice: Notice) -> str:
        return self._shown(notice)["area"]

    def get_language(self, notice: Notice) -> str:
        return self._shown(notice)["language"]

    def get_fallback(self, notice: Notice) -> str:
        return self._shown(notice)["fallback_line"]

    def get_venue(self, notice: Notice) -> str | None:
        return notice.venue.t("name", active_language()) if notice.venue else None

    def get_current(self, notice: Notice) -> bool:
        return board.notice_is_current(notice)

    def get_url(self, notice: Notice) -> str:
        return f"{settings.SITE_URL}{reverse('pages:notice-detail', kwargs={'pk': notice.pk})}"


class NoticeListApi(generics.ListAPIView):
    """Published notices of every organization (drafts and withdrawn notices never show)."""

    permission_classes = [permissions.AllowAny]
    serializer_class = NoticeSerializer
    filter_backends: list = []

    def get_queryset(self):
        category = self.request.query_params.get("category") or None
        if category and category not in Notice.Category.values:
            raise InvalidInput(fields={"category": [f"Use one of: {', '.join(Notice.Category.values)}."]})
        slug = self.request.query_params.get("organization") or None
        organization = Organization.objects.filter(slug=slug).first() if slug else None
        if slug and organization is None:
            return Notice.objects.none()
        return board.notice_board(category=category, organization=organization)

    @extend_schema(
        parameters=[
            OpenApiParameter("category", str, enum=Notice.Category.values),
            OpenApiParameter("organization", str, description="An organization's slug."),
            OpenApiParameter("lang", str, description="Language to show (en, zh-hans, ja)."),
        ]
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)
