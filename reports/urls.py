"""Report API, mounted at ``/api/v1/reports/`` (the organizer's pages are in ``page_urls.py``)."""

from django.urls import path

from reports import apis

app_name = "reports-api"

urlpatterns = [
    path("events/<slug:slug>/", apis.EventReportApi.as_view(), name="event"),
    path("events/<slug:slug>/attendance/", apis.EventAttendanceApi.as_view(), name="event-attendance"),
    path("events/<slug:slug>/<slug:table>.csv", apis.EventReportCsvApi.as_view(), name="event-csv"),
    path(
        "events/<slug:slug>/certificates/<int:registration_id>.pdf",
        apis.CertificateApi.as_view(),
        name="certificate",
    ),
    path("organizations/<slug:slug>/", apis.OrganizationReportApi.as_view(), name="organization"),
    path("organizations/<slug:slug>/voices/", apis.OrganizationVoicesApi.as_view(), name="organization-voices"),
    path(
        "organizations/<slug:slug>/<slug:table>.csv", apis.OrganizationReportCsvApi.as_view(), name="organization-csv"
    ),
]
