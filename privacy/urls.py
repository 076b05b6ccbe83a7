"""Routes of the personal-data desk. They live in other desks' URL namespaces (``pages:manage-data``,
``registrations:registration-data``): ``backend/urls.py`` mounts them there, so links stay as they were."""

from django.urls import path

from privacy import apis, views

page_urlpatterns = [
    path("manage/<str:token>/data.json", views.manage_data, name="manage-data"),
    path("manage/<str:token>/erase/", views.manage_erase, name="manage-erase"),
    # --- reach: a subscription's data ---
    path("subscribe/preferences/<str:token>/data.json", views.subscription_data, name="subscription-data"),
    path("subscribe/preferences/<str:token>/erase/", views.subscription_erase, name="subscription-erase"),
]

api_urlpatterns = [
    path("registrations/<int:pk>/data/", apis.RegistrationDataApi.as_view(), name="registration-data"),
]
