from django.urls import path, re_path

from registrations import apis

urlpatterns = [
    path("events/<slug:slug>/registrations/", apis.RegistrationCreateApi.as_view(), name="registration-create"),
    path("events/<slug:slug>/calendar.ics", apis.event_calendar, name="event-calendar"),
    path("calendar.ics", apis.PublicCalendarFeedApi.as_view(), name="calendar-feed"),
    path("calendar/feeds/<str:token>.ics", apis.personal_calendar_feed, name="personal-feed"),
    path("registrations/<int:pk>/", apis.RegistrationDetailApi.as_view(), name="registration-detail"),
    path("privacy/consent/", apis.PrivacyConsentApi.as_view(), name="privacy-consent"),
    path("registrations/<int:pk>/pay/", apis.RegistrationCheckoutApi.as_view(), name="registration-pay"),
    re_path(
        r"^registrations/(?P<pk>[0-9]+)/ticket\.(?P<fmt>png|svg)$", apis.registration_ticket, name="registration-ticket"
    ),
    path("registrations/<int:pk>/calendar.ics", apis.registration_calendar, name="registration-calendar"),
    path("registrations/<int:pk>/calendar-feed/", apis.RegistrationCalendarFeedApi.as_view(), name="calendar-feed-url"),
    path(
        "organizer/events/<slug:slug>/registrations/",
        apis.OrganizerRegistrationListApi.as_view(),
        name="organizer-registrations",
    ),
    path(
        "organizer/events/<slug:slug>/registrations.csv",
        apis.OrganizerRegistrationCsvApi.as_view(),
        name="organizer-registrations-csv",
    ),
    path("payments/stripe/webhook/", apis.stripe_webhook, name="stripe-webhook"),
]
