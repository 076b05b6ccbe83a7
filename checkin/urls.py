from django.urls import path

from checkin import apis

app_name = "checkin"

urlpatterns = [
    path("checkin/", apis.ScanApi.as_view(), name="scan"),
    path("checkin/batch/", apis.BatchApi.as_view(), name="batch"),
    path("checkin/search/", apis.SearchApi.as_view(), name="search"),
    path("checkin/sessions/", apis.SessionListApi.as_view(), name="sessions"),
    path("checkin/sessions/<int:pk>/tickets/", apis.OfflineTicketListApi.as_view(), name="session-tickets"),
    path("checkin/sessions/<int:pk>/counts/", apis.CountsApi.as_view(), name="session-counts"),
    path("checkin/registrations/<int:pk>/", apis.RegistrationCheckinApi.as_view(), name="registration"),
    path(
        "checkin/registrations/<int:pk>/door-payment/", apis.DoorPaymentApi.as_view(), name="registration-door-payment"
    ),
    path("checkin/<int:pk>/revert/", apis.RevertApi.as_view(), name="revert"),
]
