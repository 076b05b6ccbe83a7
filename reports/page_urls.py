"""The organizer's report pages, mounted at ``/organizer/reports/``."""

from django.urls import path

from reports import views

app_name = "reports"

urlpatterns = [
    path("", views.report_index, name="index"),
    path("events/<slug:slug>/", views.event_report_page, name="event"),
    path("organizations/<slug:slug>/", views.organization_report_page, name="organization"),
]
