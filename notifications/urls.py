from django.urls import path

from notifications import apis, views

app_name = "notifications"

urlpatterns = [
    path("api/v1/registrations/<int:pk>/feedback/", apis.FeedbackApi.as_view(), name="feedback"),
    path("api/v1/organizer/announcements/", apis.AnnouncementCreateApi.as_view(), name="announcements"),
    path("feedback/<int:pk>/", views.feedback_form, name="feedback-form"),
    # --- reach ---
    path("api/v1/subscriptions/", apis.SubscriptionCreateApi.as_view(), name="subscriptions"),
]
