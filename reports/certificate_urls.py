"""The attendee's certificate behind their private manage link (``/manage/<token>/certificate/<seat>.pdf``)."""

from django.urls import path

from reports import views

app_name = "certificates"

urlpatterns = [
    path("manage/<str:token>/certificate/<int:seat>.pdf", views.attendee_certificate, name="attendee"),
]
