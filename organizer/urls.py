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
from organizer.views import auth, events, home, messages, registrations, team

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

# Running an event (registrations, messages) and the team (desk-ops).
page_urlpatterns += [
    path("events/<slug:slug>/registrations/", registrations.registrations_page, name="event-registrations"),
    path("events/<slug:slug>/registrations.csv", registrations.registrations_csv, name="event-registrations-csv"),
    path(
        "events/<slug:slug>/registrations/<int:pk>/<slug:action>/",
        registrations.registration_action,
        name="event-registration-action",
    ),
    path("events/<slug:slug>/message/", messages.message_page, name="event-message"),
    path("events/<slug:slug>/message/<int:pk>/", messages.message_detail, name="event-message-detail"),
    path("team/", team.team_page, name="team"),
    path("team/invite/", team.team_invite, name="team-invite"),
    path("team/tokens/", team.token_issue, name="team-token-issue"),
    path("team/tokens/<int:pk>/revoke/", team.token_revoke, name="team-token-revoke"),
    path("welcome/<uidb64>/<token>/", team.WelcomeView.as_view(), name="welcome"),
]
