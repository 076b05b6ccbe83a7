"""The volunteers' scanner page, mounted at ``/scan/`` (the API is in ``checkin/urls.py``)."""

from django.urls import path

from checkin import views
from common.throttling import throttle_login

app_name = "scan"

urlpatterns = [
    path("", views.scanner, name="scanner"),
    path("login/", throttle_login(views.ScanLoginView.as_view()), name="login"),
    path("logout/", views.ScanLogoutView.as_view(), name="logout"),
    path("sw.js", views.service_worker, name="service-worker"),
]
