"""``POST /api/v1/comments/`` (a resident writes) and ``GET`` (the published questions and answers)."""

from __future__ import annotations

from django.urls import reverse
from drf_spectacular.utils import extend_schema
from rest_framework import permissions, status
from rest_framework.response import Response
from rest_framework.views import APIView

from common.i18n import active_language
from common.pagination import PageNumberPagination
from common.throttling import VoicePerEmailThrottle, VoicePerIPThrottle
from organizations.models import Organization
from voices import selectors, services
from voices.serializers import CommentCreatedSerializer, CommentCreateSerializer, PublishedCommentSerializer


class CommentsApi(APIView):
    permission_classes = [permissions.AllowAny]

    def get_throttles(self):
        # Only writing is limited; reading the public answers is not.
        if self.request.method == "POST":
            return [VoicePerIPThrottle(), VoicePerEmailThrottle()]
        return []

    @extend_schema(operation_id="comments_published", responses=PublishedCommentSerializer(many=True))
    def get(self, request):
        comments = selectors.published_comments()
        slug = request.query_params.get("organization")
        if slug:
            comments = comments.filter(organization__slug=slug)
        paginator = PageNumberPagination()
        page = paginator.paginate_queryset(comments, request, view=self)
        return paginator.get_paginated_response(PublishedCommentSerializer(page, many=True).data)

    @extend_schema(
        operation_id="comments_create", request=CommentCreateSerializer, responses={201: CommentCreatedSerializer}
    )
    def post(self, request):
        serializer = CommentCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        organization = Organization.objects.filter(slug=data["organization"]).first()
        comment = services.comment_create(
            organization_id=organization.pk if organization else None,
            topic=data["topic"],
            kind=data["kind"],
            text=data["text"],
            language=data.get("language") or active_language(),
            email=data.get("email", ""),
            publish_consent=data["publish_consent"],
        )
        body = {
            "id": comment.pk,
            "status": comment.status,
            "private_url": request.build_absolute_uri(reverse("pages:voice-mine", kwargs={"token": comment.token})),
        }
        return Response(CommentCreatedSerializer(body).data, status=status.HTTP_201_CREATED)
