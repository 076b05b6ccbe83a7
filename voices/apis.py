"""``POST /api/v1/comments/`` (a resident writes) and ``GET`` (the published questions and answers)."""

from __future__ import annotations

from django.urls import reverse
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, permissions, status
from rest_framework.response import Response

from common.i18n import active_language
from common.pagination import PageNumberPagination
from common.throttling import VoicePerEmailThrottle, VoicePerIPThrottle
from organizations.models import Organization
from voices import selectors, services
from voices.serializers import CommentCreatedSerializer, CommentCreateSerializer, PublishedCommentSerializer


class CommentsApi(generics.ListAPIView):
    """GET: the published questions and answers, newest first (``?organization=<slug>``), paged.
    POST: a resident writes a comment, a demand or a question."""

    permission_classes = [permissions.AllowAny]
    serializer_class = PublishedCommentSerializer
    pagination_class = PageNumberPagination

    def get_throttles(self):
        # Only writing is limited; reading the public answers is not.
        if self.request.method == "POST":
            return [VoicePerIPThrottle(), VoicePerEmailThrottle()]
        return []

    def get_queryset(self):
        comments = selectors.published_comments()
        slug = self.request.query_params.get("organization")
        return comments.filter(organization__slug=slug) if slug else comments

    @extend_schema(
        operation_id="comments_published",
        parameters=[OpenApiParameter("organization", str, description="Only this office's (its slug).")],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

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
