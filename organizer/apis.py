"""The organizer API (``/api/v1/organizer/…``): events, sessions and venues of the organizations you
manage. Thin: parse, call a service, serialize. Edits that reach attendees go through
``organizer.services`` (the same use cases as the admin)."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response

from common.exceptions import InvalidInput
from events import selectors
from events import services as events_services
from events.models import Event, Session
from events.serializers import (
    EventImageSerializer,
    EventWriteSerializer,
    OrganizerEventSerializer,
    SessionSerializer,
    SessionsGenerateSerializer,
    SessionWriteSerializer,
    VenueSerializer,
)
from organizations import access
from organizations.models import Venue
from organizations.permissions import IsOrganizer
from organizer import services as organizer_services

EVENT_EXAMPLE = OpenApiExample(
    "A free tea tasting",
    request_only=True,
    value={
        "organization": "expat-hub",
        "kind": "event",
        "slug": "tea-tasting",
        "default_language": "en",
        "title_i18n": {"en": "Tea tasting", "zh-hans": "品茶会", "ja": "お茶の試飲会"},
        "summary_i18n": {"en": "Six teas from Yunnan."},
        "spoken_languages": ["en", "zh-hans"],
        "capacity": 30,
        "max_guests": 1,
        "questions": [{"key": "diet", "kind": "text", "label_i18n": {"en": "Anything we should know?"}}],
    },
)


class OrganizerEventViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Events of the organizations you manage (token auth). Others' events are 404."""

    permission_classes = [IsOrganizer]
    lookup_field = "slug"
    serializer_class = OrganizerEventSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Event.objects.none()
        return selectors.organizer_events(user=self.request.user)

    def _respond(self, event: Event, status_code=status.HTTP_200_OK) -> Response:
        event = self.get_queryset().get(pk=event.pk)
        return Response(OrganizerEventSerializer(event, context=self.get_serializer_context()).data, status=status_code)

    @extend_schema(request=EventWriteSerializer, responses={201: OrganizerEventSerializer}, examples=[EVENT_EXAMPLE])
    def create(self, request, *args, **kwargs):
        serializer = EventWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with transaction.atomic():
            event = events_services.event_create(
                user=request.user,
                organization=serializer.validated_data["organization"],
                **serializer.to_service_fields(),
            )
            if "questions" in serializer.validated_data:
                events_services.event_set_questions(
                    user=request.user, event=event, questions=serializer.validated_data["questions"]
                )
        return self._respond(event, status.HTTP_201_CREATED)

    @extend_schema(request=EventWriteSerializer, responses=OrganizerEventSerializer, examples=[EVENT_EXAMPLE])
    def update(self, request, *args, **kwargs):
        event = self.get_object()
        serializer = EventWriteSerializer(event, data=request.data, partial=kwargs.get("partial", False))
        serializer.is_valid(raise_exception=True)
        fields = serializer.to_service_fields()
        organization = serializer.validated_data.get("organization")
        if organization is not None and organization.pk != event.organization_id:
            raise InvalidInput(fields={"organization": ["An event cannot move to another organization."]})
        with transaction.atomic():
            event = organizer_services.event_update(user=request.user, event=event, **fields)
            if "questions" in serializer.validated_data:
                events_services.event_set_questions(
                    user=request.user, event=event, questions=serializer.validated_data["questions"]
                )
        return self._respond(event)

    @extend_schema(request=None, responses=OrganizerEventSerializer)
    @action(detail=True, methods=["post"])
    def publish(self, request, slug=None):
        return self._respond(events_services.event_publish(user=request.user, event=self.get_object()))

    @extend_schema(request=None, responses=OrganizerEventSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, slug=None):
        return self._respond(organizer_services.event_cancel(user=request.user, event=self.get_object()))

    @extend_schema(
        methods=["POST"],
        request={"multipart/form-data": EventImageSerializer},
        responses=OrganizerEventSerializer,
        description="Set the event's image (multipart, field `image`): JPEG, PNG or WebP, checked by decoding "
        "it; size and pixel limits from the server's settings. It is re-encoded without its metadata.",
    )
    @extend_schema(methods=["DELETE"], request=None, responses={200: OrganizerEventSerializer})
    @action(detail=True, methods=["post", "delete"], url_path="image", parser_classes=[MultiPartParser])
    def image(self, request, slug=None):
        event = self.get_object()
        if request.method == "DELETE":
            return self._respond(events_services.event_remove_image(user=request.user, event=event))
        serializer = EventImageSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        upload = serializer.validated_data["image"]
        return self._respond(events_services.event_set_image(user=request.user, event=event, upload=upload))

    @extend_schema(request=SessionWriteSerializer, responses={201: SessionSerializer})
    @action(detail=True, methods=["post"], url_path="sessions")
    def create_session(self, request, slug=None):
        event = self.get_object()
        serializer = SessionWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        session = events_services.session_create(
            user=request.user,
            event=event,
            starts_at=data["starts_at"],
            ends_at=data["ends_at"],
            venue=data.get("venue"),
            title=data.get("title_i18n"),
            allow_overlap=data["allow_overlap"],
        )
        return Response(SessionSerializer(_session_for_output(session)).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=SessionsGenerateSerializer, responses={201: SessionSerializer(many=True)})
    @action(detail=True, methods=["post"], url_path="sessions/generate")
    def generate_sessions(self, request, slug=None):
        event = self.get_object()
        serializer = SessionsGenerateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        sessions = organizer_services.sessions_generate(
            user=request.user,
            event=event,
            rule=data["rule"],
            first_start=data["first_start"],
            duration=dt.timedelta(minutes=data["duration_minutes"]),
            venue=data.get("venue"),
            replace_future=data["replace_future"],
            allow_overlap=data["allow_overlap"],
        )
        output = selectors.event_sessions(event=event).filter(pk__in=[s.pk for s in sessions])
        return Response(SessionSerializer(output, many=True).data, status=status.HTTP_201_CREATED)


def _session_for_output(session: Session) -> Session:
    return Session.objects.select_related("venue", "venue__organization", "event", "event__venue").get(pk=session.pk)


class OrganizerSessionViewSet(mixins.RetrieveModelMixin, mixins.UpdateModelMixin, viewsets.GenericViewSet):
    """Move, retitle or cancel one session. A move bumps its iCal SEQUENCE."""

    permission_classes = [IsOrganizer]
    serializer_class = SessionSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Session.objects.none()
        return selectors.organizer_sessions(user=self.request.user)

    @extend_schema(request=SessionWriteSerializer, responses=SessionSerializer)
    def update(self, request, *args, **kwargs):
        session = self.get_object()
        serializer = SessionWriteSerializer(session, data=request.data, partial=kwargs.get("partial", False))
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        allow_overlap = data.pop("allow_overlap", False)
        if "title_i18n" in data:
            data["title"] = data.pop("title_i18n")
        session = organizer_services.session_update(
            user=request.user, session=session, allow_overlap=allow_overlap, **data
        )
        return Response(SessionSerializer(_session_for_output(session)).data)

    @extend_schema(request=None, responses=SessionSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        session = organizer_services.session_cancel(user=request.user, session=self.get_object())
        return Response(SessionSerializer(_session_for_output(session)).data)


class OrganizerVenueViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    permission_classes = [IsOrganizer]
    serializer_class = VenueSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Venue.objects.none()
        return selectors.organizer_venues(user=self.request.user)

    def perform_create(self, serializer):
        access.ensure_can_manage(user=self.request.user, organization_id=serializer.validated_data["organization"].pk)
        serializer.save()

    def perform_update(self, serializer):
        organization = serializer.validated_data.get("organization", serializer.instance.organization)
        access.ensure_can_manage(user=self.request.user, organization_id=organization.pk)
        if organization.pk != serializer.instance.organization_id:
            raise InvalidInput(fields={"organization": ["A venue cannot move to another organization."]})
        serializer.save()
