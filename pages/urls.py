"""Public, server-rendered pages (the API lives under /api/v1/)."""

from django.urls import path

from pages.views import board as board_views
from pages.views import confirm as confirm_views
from pages.views import events as event_views
from pages.views import my_registrations as my_views
from pages.views import posters
from pages.views import registrations as registration_views
from pages.views import subscriptions as subscription_views
from pages.views import voices as voice_views

urlpatterns = [
    path("", event_views.event_list, name="event-list"),
    path("events/<slug:slug>/", event_views.event_detail, name="event-detail"),
    path("events/<slug:slug>/register/", registration_views.register, name="register"),
    path("events/<slug:slug>/poster/", posters.event_poster, name="event-poster"),
    path("events/<slug:slug>/qr.svg", posters.event_qr, name="event-qr"),
    path("manage/<str:token>/", registration_views.manage, name="manage"),
    path("manage/<str:token>/cancel/", registration_views.manage_cancel, name="manage-cancel"),
    path("manage/<str:token>/calendar-feed/", registration_views.manage_calendar_feed, name="manage-calendar-feed"),
    path("manage/<str:token>/receipts/<int:number>.pdf", registration_views.manage_receipt, name="manage-receipt"),
    path("manage/<str:token>/fapiao/", registration_views.manage_fapiao, name="manage-fapiao"),
    path("my/", my_views.my_registrations, name="my-registrations"),
    path("my/<str:token>/", my_views.my_registrations_list, name="my-registrations-list"),
    path("confirm/<str:token>/", confirm_views.confirm_email, name="confirm-email"),
    path("voices/", voice_views.voices_page, name="voices"),
    path("voices/mine/<str:token>/", voice_views.voice_mine, name="voice-mine"),
    path("voices/mine/<str:token>/erase/", voice_views.voice_erase, name="voice-erase"),
]

# The notice board and the Weekly Bulletin's archive (board).
urlpatterns += [
    path("notices/", board_views.notice_list, name="notice-list"),
    path("notices/<int:pk>/", board_views.notice_detail, name="notice-detail"),
    path("notices/feed/<str:language>.atom", board_views.notice_feed, name="notice-feed"),
    path("bulletin/", board_views.bulletin_list, name="bulletin-list"),
    path("bulletin/<int:pk>/", board_views.bulletin_detail, name="bulletin-detail"),
]

# Subscriptions to notices and the Weekly Bulletin (reach).
urlpatterns += [
    # --- reach: subscriptions (notices, the Weekly Bulletin) ---
    path("subscribe/", subscription_views.subscribe, name="subscribe"),
    path("subscribe/confirm/<str:token>/", subscription_views.subscription_confirm, name="subscription-confirm"),
    path(
        "subscribe/preferences/<str:token>/",
        subscription_views.subscription_preferences,
        name="subscription-preferences",
    ),
    path(
        "subscribe/unsubscribe/<str:token>/",
        subscription_views.subscription_unsubscribe,
        name="subscription-unsubscribe",
    ),
]
