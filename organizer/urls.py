"""The organizer API's routes. They keep the URL names they had in the ``api`` namespace
(``api:organizer-event-list``…): ``backend/urls.py`` mounts them there beside the public events API."""

from django.urls import include, path
from rest_framework.routers import SimpleRouter

from organizer import apis

router = SimpleRouter()
router.register("events", apis.OrganizerEventViewSet, basename="organizer-event")
router.register("sessions", apis.OrganizerSessionViewSet, basename="organizer-session")
router.register("venues", apis.OrganizerVenueViewSet, basename="organizer-venue")

api_urlpatterns = [
    path("organizer/", include(router.urls)),
]
