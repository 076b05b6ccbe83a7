from django.urls import path

from notifications import apis, board_api, views

app_name = "notifications"

urlpatterns = [
    path("api/v1/registrations/<int:pk>/feedback/", apis.FeedbackApi.as_view(), name="feedback"),
    path("api/v1/organizer/announcements/", apis.AnnouncementCreateApi.as_view(), name="announcements"),
    path("feedback/<int:pk>/", views.feedback_form, name="feedback-form"),
    # board: the public notice board's API
    path("api/v1/notices/", board_api.NoticeListApi.as_view(), name="notice-list"),
    # --- reach ---
    path("api/v1/subscriptions/", apis.SubscriptionCreateApi.as_view(), name="subscriptions"),
]
