"""Public, server-rendered pages (the API lives under /api/v1/)."""

from django.urls import path

from events import views as event_views
from registrations import confirm_views
from registrations import views as registration_views

app_name = "pages"

urlpatterns = [
    path("", event_views.event_list, name="event-list"),
    path("events/<slug:slug>/", event_views.event_detail, name="event-detail"),
    path("events/<slug:slug>/register/", registration_views.register, name="register"),
    path("manage/<str:token>/", registration_views.manage, name="manage"),
    path("manage/<str:token>/cancel/", registration_views.manage_cancel, name="manage-cancel"),
    path("manage/<str:token>/data.json", registration_views.manage_data, name="manage-data"),
    path("manage/<str:token>/calendar-feed/", registration_views.manage_calendar_feed, name="manage-calendar-feed"),
    path("manage/<str:token>/erase/", registration_views.manage_erase, name="manage-erase"),
    path("confirm/<str:token>/", confirm_views.confirm_email, name="confirm-email"),
]
