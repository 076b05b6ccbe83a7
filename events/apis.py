"""HTTP layer for events: parse input, call a service or selector, serialize the result."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics

from events import selectors
from events.filters import EventFilter
from events.models import Event, Session
from events.serializers import (
    CategorySerializer,
    EventDetailSerializer,
    EventListSerializer,
    SessionSerializer,
)
from organizations.models import Category

LANG_PARAM = OpenApiParameter(
    "lang", str, description="Language to show (en, zh-hans, ja); default from Accept-Language."
)


# --- public ------------------------------------------------------------------------------------


@extend_schema(parameters=[LANG_PARAM])
class EventListApi(generics.ListAPIView):
    """Published events, upcoming first. Filters: kind, category, language, dates, venue, free, q."""

    serializer_class = EventListSerializer
    filterset_class = EventFilter

    def get_queryset(self):
        return selectors.event_list(include_past=True)


@extend_schema(parameters=[LANG_PARAM])
class EventDetailApi(generics.RetrieveAPIView):
    serializer_class = EventDetailSerializer
    lookup_field = "slug"

    def get_queryset(self):
        return selectors.event_detail_queryset()


@extend_schema(parameters=[LANG_PARAM])
class EventSessionsApi(generics.ListAPIView):
    serializer_class = SessionSerializer
    pagination_class = None

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Session.objects.none()
        event = get_object_or_404(Event.objects.published(), slug=self.kwargs["slug"])
        return selectors.event_sessions(event=event)


class CategoryListApi(generics.ListAPIView):
    serializer_class = CategorySerializer
    queryset = Category.objects.all()
    pagination_class = None
