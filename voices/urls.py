"""The comments API, mounted at ``/api/v1/`` by ``backend/urls.py``."""

from django.urls import path

from voices import apis

app_name = "voices-api"

urlpatterns = [
    path("comments/", apis.CommentsApi.as_view(), name="comments"),
]
