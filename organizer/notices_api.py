"""The organizer API for notices (``/api/v1/organizer/notices/``): write, edit, publish and withdraw
the notices of the organizations you manage (token auth). Others' notices are 404. Thin: the
use cases are ``notifications.board``'s, the same the desk calls."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from common.exceptions import InvalidInput
from common.serializers import TranslationsField
from notifications import board
from notifications.models import Notice
from organizations import access
from organizations.models import Organization, Venue
from organizations.permissions import IsOrganizer

# API field name → service field name (the service reports errors under its own names).
API_NAMES = {"title_i18n": "title", "body_i18n": "body", "area_i18n": "area"}
SERVICE_NAMES = {service: api for api, service in API_NAMES.items()}

NOTICE_EXAMPLE = OpenApiExample(
    "Road works",
    request_only=True,
    value={
        "organization": "expat-hub",
        "category": "works",
        "title_i18n": {"en": "Night works on Jiefang Road", "zh-hans": "解放路夜间施工"},
        "body_i18n": {"en": "From 1 to 15 March, 22:00–5:00.", "zh-hans": "3月1日至15日，22:00至次日5:00。"},
        "area_i18n": {"en": "Jiefang Road, Gulou district"},
        "valid_from": "2027-03-01",
        "valid_until": "2027-03-15",
        "urgent": False,
    },
)


class NoticeWriteSerializer(serializers.Serializer):
    organization = serializers.SlugRelatedField(slug_field="slug", queryset=Organization.objects.all())
    category = serializers.ChoiceField(choices=Notice.Category.choices)
    title_i18n = TranslationsField(max_length=board.TITLE_MAX)
    body_i18n = TranslationsField(max_length=board.BODY_MAX)
    area_i18n = TranslationsField(max_length=board.AREA_MAX, required=False)
    venue = serializers.PrimaryKeyRelatedField(queryset=Venue.objects.all(), required=False, allow_null=True)
    valid_from = serializers.DateField(required=False, allow_null=True)
    valid_until = serializers.DateField(required=False, allow_null=True)
    urgent = serializers.BooleanField(required=False, default=False)

    def service_fields(self) -> dict:
        data = dict(self.validated_data)
        data.pop("organization", None)
        return {API_NAMES.get(name, name): value for name, value in data.items()}


class OrganizerNoticeSerializer(serializers.ModelSerializer):
    organization = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    title_i18n = serializers.JSONField(source="title", read_only=True)
    body_i18n = serializers.JSONField(source="body", read_only=True)
    area_i18n = serializers.JSONField(source="area", read_only=True)
    languages = serializers.SerializerMethodField(help_text="Languages written in full (title and body).")

    class Meta:
        model = Notice
        fields = [
            "id",
            "organization",
            "category",
            "status",
            "urgent",
            "title_i18n",
            "body_i18n",
            "area_i18n",
            "languages",
            "venue",
            "valid_from",
            "valid_until",
            "published_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_languages(self, notice: Notice) -> list[str]:
        return board.written_languages(notice)


def api_errors(exc: InvalidInput) -> InvalidInput:
    """The service's field errors under the API's field names."""
    return InvalidInput(
        exc.message, fields={SERVICE_NAMES.get(name, name): errors for name, errors in exc.fields.items()}
    )


class OrganizerNoticeViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Notices of the organizations you manage, newest first."""

    permission_classes = [IsOrganizer]
    serializer_class = OrganizerNoticeSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Notice.objects.none()
        return (
            Notice.objects.filter(access.managed_by(self.request.user))
            .select_related("organization", "venue")
            .order_by("-id")
        )

    def _respond(self, notice: Notice, status_code=status.HTTP_200_OK) -> Response:
        return Response(OrganizerNoticeSerializer(self.get_queryset().get(pk=notice.pk)).data, status=status_code)

    @extend_schema(request=NoticeWriteSerializer, responses={201: OrganizerNoticeSerializer}, examples=[NOTICE_EXAMPLE])
    def create(self, request, *args, **kwargs):
        serializer = NoticeWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        organization = serializer.validated_data["organization"]
        access.ensure_can_manage(user=request.user, organization_id=organization.pk)
        try:
            notice = board.notice_create(user=request.user, organization=organization, **serializer.service_fields())
        except InvalidInput as exc:
            raise api_errors(exc) from exc
        return self._respond(notice, status.HTTP_201_CREATED)

    @extend_schema(request=NoticeWriteSerializer, responses=OrganizerNoticeSerializer, examples=[NOTICE_EXAMPLE])
    def update(self, request, *args, **kwargs):
        notice = self.get_object()
        serializer = NoticeWriteSerializer(data=request.data, partial=kwargs.get("partial", False))
        serializer.is_valid(raise_exception=True)
        organization = serializer.validated_data.get("organization")
        if organization is not None and organization.pk != notice.organization_id:
            raise InvalidInput(fields={"organization": ["A notice cannot move to another organization."]})
        try:
            notice = board.notice_update(user=request.user, notice=notice, **serializer.service_fields())
        except InvalidInput as exc:
            raise api_errors(exc) from exc
        return self._respond(notice)

    @extend_schema(request=None, responses=OrganizerNoticeSerializer)
    @action(detail=True, methods=["post"])
    def publish(self, request, pk=None):
        notice, _message = board.notice_publish(user=request.user, notice=self.get_object())
        return self._respond(notice)

    @extend_schema(request=None, responses=OrganizerNoticeSerializer)
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        return self._respond(board.notice_withdraw(user=request.user, notice=self.get_object()))
