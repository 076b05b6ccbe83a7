"""The organizer desk's routes.

``api_urlpatterns``: the organizer API. They keep the URL names they had in the ``api``
namespace (``api:organizer-event-list``…): ``backend/urls.py`` mounts them there beside the
public events API.

``page_urlpatterns``: the desk's pages, mounted at ``/organizer/`` in the ``desk`` namespace
(``/organizer/reports/`` belongs to the reports desk and is mounted before them).
"""

from django.urls import include, path
from rest_framework.routers import SimpleRouter

from common.throttling import throttle_login
from organizer import apis
from organizer.views import auth, events, home

router = SimpleRouter()
router.register("events", apis.OrganizerEventViewSet, basename="organizer-event")
router.register("sessions", apis.OrganizerSessionViewSet, basename="organizer-session")
router.register("venues", apis.OrganizerVenueViewSet, basename="organizer-venue")

api_urlpatterns = [
    path("organizer/", include(router.urls)),
]

page_urlpatterns = [
    path("", home.home, name="home"),
    path("login/", throttle_login(auth.DeskLoginView.as_view()), name="login"),
    path("logout/", auth.DeskLogoutView.as_view(), name="logout"),
    path("events/<slug:slug>/", events.event_overview, name="event"),
]
