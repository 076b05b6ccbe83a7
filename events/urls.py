from django.urls import include, path
from rest_framework.routers import SimpleRouter

from events import apis

organizer = SimpleRouter()
organizer.register("events", apis.OrganizerEventViewSet, basename="organizer-event")
organizer.register("sessions", apis.OrganizerSessionViewSet, basename="organizer-session")
organizer.register("venues", apis.OrganizerVenueViewSet, basename="organizer-venue")

urlpatterns = [
    path("events/", apis.EventListApi.as_view(), name="event-list"),
    path("events/<slug:slug>/", apis.EventDetailApi.as_view(), name="event-detail"),
    path("events/<slug:slug>/sessions/", apis.EventSessionsApi.as_view(), name="event-sessions"),
    path("categories/", apis.CategoryListApi.as_view(), name="category-list"),
    path("organizer/", include(organizer.urls)),
]
