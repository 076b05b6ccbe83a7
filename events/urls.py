from django.urls import path

from events import apis

urlpatterns = [
    path("events/", apis.EventListApi.as_view(), name="event-list"),
    path("events/<slug:slug>/", apis.EventDetailApi.as_view(), name="event-detail"),
    path("events/<slug:slug>/sessions/", apis.EventSessionsApi.as_view(), name="event-sessions"),
    path("categories/", apis.CategoryListApi.as_view(), name="category-list"),
]
