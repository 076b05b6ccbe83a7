"""The desk's routes for running an event and its team, in the ``desk`` namespace under ``/organizer/``."""

from django.urls import path

from organizer import ops_views as views

urlpatterns = [
    path("events/<slug:slug>/registrations/", views.registrations_page, name="registrations"),
    path("events/<slug:slug>/registrations.csv", views.registrations_csv, name="registrations-csv"),
    path(
        "events/<slug:slug>/registrations/<int:pk>/<slug:action>/",
        views.registration_action,
        name="registration-action",
    ),
    path("events/<slug:slug>/messages/", views.messages_page, name="messages"),
    path("events/<slug:slug>/messages/<int:pk>/", views.message_page, name="message"),
    path("team/", views.team_page, name="team"),
    path("team/invite/", views.team_invite, name="team-invite"),
    path("team/tokens/", views.token_issue, name="token-issue"),
    path("team/tokens/<int:pk>/revoke/", views.token_revoke, name="token-revoke"),
    path("welcome/<uidb64>/<token>/", views.WelcomeView.as_view(), name="welcome"),
]
