"""HTTP layer: an attendee's feedback (by manage token) and an organizer's announcements (token auth)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import permissions, status
from rest_framework.response import Response
from rest_framework.views import APIView

from common.exceptions import NotFound
from common.i18n import active_language
from common.throttling import RegistrationPerEmailThrottle, RegistrationPerIPThrottle
from notifications import notices, services, subscriptions
from notifications.models import Feedback
from notifications.serializers import (
    AnnouncementInputSerializer,
    AnnouncementSerializer,
    FeedbackInputSerializer,
    FeedbackSerializer,
    SubscriptionInputSerializer,
)
from organizations.permissions import IsOrganizer
from registrations.selectors import registration_for_request

TOKEN_PARAM = OpenApiParameter("token", str, description="The private manage token from the registration links.")


def _registration(request, pk: int, *, organizers: bool = True):
    token = request.headers.get("X-Manage-Token") or request.query_params.get("token")
    return registration_for_request(pk=pk, token=token, user=request.user, organizers=organizers)


class FeedbackApi(APIView):
    """An attendee's rating (1–5) and comment on the event, one per registration; POST again to change it."""

    permission_classes = [permissions.AllowAny]

    @extend_schema(parameters=[TOKEN_PARAM], responses=FeedbackSerializer)
    def get(self, request, pk: int):
        feedback = Feedback.objects.filter(registration=_registration(request, pk)).first()
        if feedback is None:
            raise NotFound()
        return Response(FeedbackSerializer(feedback).data)

    @extend_schema(
        parameters=[TOKEN_PARAM],
        request=FeedbackInputSerializer,
        responses={200: FeedbackSerializer, 201: FeedbackSerializer},
    )
    def post(self, request, pk: int):
        registration = _registration(request, pk, organizers=False)  # organizers read ratings, never write them
        serializer = FeedbackInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        feedback, created = services.feedback_submit(
            registration=registration,
            rating=data["rating"],
            comment=data["comment"],
            language=data.get("language") or active_language(),
        )
        return Response(FeedbackSerializer(feedback).data, status=status.HTTP_201_CREATED if created else 200)


class AnnouncementCreateApi(APIView):
    """Email the registrants of some of your events, each in their language when you wrote it in several."""

    permission_classes = [IsOrganizer]

    @extend_schema(request=AnnouncementInputSerializer, responses={201: AnnouncementSerializer})
    def post(self, request):
        serializer = AnnouncementInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        announcement = notices.announcement_create(
            user=request.user, event_slugs=data["events"], subject=data["subject_i18n"], body=data["body_i18n"]
        )
        return Response(AnnouncementSerializer(announcement).data, status=status.HTTP_201_CREATED)


# --- reach: subscriptions ---


class SubscriptionCreateApi(APIView):
    """Subscribe an address to notices and the Weekly Bulletin. Always 202 "check your inbox" for a
    valid request, whether or not the address was already subscribed; nothing is sent but the
    confirmation until its link is opened (double opt-in)."""

    permission_classes = [permissions.AllowAny]
    throttle_classes = [RegistrationPerIPThrottle, RegistrationPerEmailThrottle]

    @extend_schema(request=SubscriptionInputSerializer, responses={202: None})
    def post(self, request):
        serializer = SubscriptionInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        language = data.get("language") or active_language()
        subscriptions.subscribe(
            email=data["email"],
            language=language,
            all_organizations=(
                data["all_organizations"] if data["all_organizations"] is not None else not data["organizations"]
            ),
            organizations=data["organizations"],
            bulletin=data["bulletin"],
            notice_categories=data.get("notice_categories"),
            consent_language=active_language(),
        )
        return Response({"status": "check_your_inbox"}, status=status.HTTP_202_ACCEPTED)
