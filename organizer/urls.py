"""The organizer desk's routes.

``api_urlpatterns``: the organizer API. They keep the URL names they had in the ``api``
namespace (``api:organizer-event-list``…): ``backend/urls.py`` mounts them there beside the
public events API.

``page_urlpatterns``: the desk's pages, mounted at ``/organizer/`` in the ``desk`` namespace
(``/organizer/reports/`` belongs to the reports desk and is mounted before them).
"""

from django.urls import include, path
from rest_framework.routers import SimpleRouter

from common.throttling import throttle_login
from organizer import apis, notices_api
from organizer.views import (
    actions,
    auth,
    editing,
    events,
    home,
    messages,
    money,
    notices,
    questions,
    registrations,
    sessions,
    team,
    tickets,
    voices,
)

router = SimpleRouter()
router.register("events", apis.OrganizerEventViewSet, basename="organizer-event")
router.register("sessions", apis.OrganizerSessionViewSet, basename="organizer-session")
router.register("venues", apis.OrganizerVenueViewSet, basename="organizer-venue")
router.register("notices", notices_api.OrganizerNoticeViewSet, basename="organizer-notice")  # board

api_urlpatterns = [
    path("organizer/", include(router.urls)),
]

page_urlpatterns = [
    path("", home.home, name="home"),
    path("login/", throttle_login(auth.DeskLoginView.as_view()), name="login"),
    path("logout/", auth.DeskLogoutView.as_view(), name="logout"),
    path("events/new/", editing.event_new, name="event-new"),
    path("events/<slug:slug>/", events.event_overview, name="event"),
    path("events/<slug:slug>/edit/", editing.event_edit, name="event-edit"),
    path("events/<slug:slug>/image/", editing.event_image, name="event-image"),
    path("events/<slug:slug>/sessions/", sessions.sessions_page, name="event-sessions"),
    path("events/<slug:slug>/sessions/generate/", sessions.sessions_generate, name="event-sessions-generate"),
    path("events/<slug:slug>/sessions/<int:pk>/", sessions.session_edit, name="session-edit"),
    path("events/<slug:slug>/sessions/<int:pk>/cancel/", sessions.session_cancel, name="session-cancel"),
    path("events/<slug:slug>/questions/", questions.questions_page, name="event-questions"),
    path("events/<slug:slug>/questions/new/", questions.question_edit, name="question-new"),
    path("events/<slug:slug>/questions/<slug:key>/", questions.question_edit, name="question-edit"),
    path("events/<slug:slug>/questions/<slug:key>/move/", questions.question_move, name="question-move"),
    path("events/<slug:slug>/questions/<slug:key>/delete/", questions.question_delete, name="question-delete"),
    path("events/<slug:slug>/preview/", actions.event_preview, name="event-preview"),
    path("events/<slug:slug>/publish/", actions.event_publish, name="event-publish"),
    path("events/<slug:slug>/cancel/", actions.event_cancel, name="event-cancel"),
    path("events/<slug:slug>/duplicate/", actions.event_duplicate, name="event-duplicate"),
]

# Running an event (registrations, messages) and the team (desk-ops).
page_urlpatterns += [
    path("events/<slug:slug>/registrations/", registrations.registrations_page, name="event-registrations"),
    path("events/<slug:slug>/registrations.csv", registrations.registrations_csv, name="event-registrations-csv"),
    path(
        "events/<slug:slug>/registrations/<int:pk>/<slug:action>/",
        registrations.registration_action,
        name="event-registration-action",
    ),
    path("events/<slug:slug>/message/", messages.message_page, name="event-message"),
    path("events/<slug:slug>/message/<int:pk>/", messages.message_detail, name="event-message-detail"),
    path("team/", team.team_page, name="team"),
    path("team/invite/", team.team_invite, name="team-invite"),
    path("team/tokens/", team.token_issue, name="team-token-issue"),
    path("team/tokens/<int:pk>/revoke/", team.token_revoke, name="team-token-revoke"),
    path("welcome/<uidb64>/<token>/", team.WelcomeView.as_view(), name="welcome"),
]

# Notices and the Weekly Bulletin (board).
page_urlpatterns += [
    path("notices/", notices.notice_list, name="notices"),
    path("notices/new/", notices.notice_new, name="notice-new"),
    path("notices/<int:pk>/", notices.notice_edit, name="notice-edit"),
    path("notices/<int:pk>/publish/", notices.notice_publish, name="notice-publish"),
    path("notices/<int:pk>/withdraw/", notices.notice_withdraw, name="notice-withdraw"),
    path("bulletin/", notices.bulletin_page, name="bulletin"),
    path("bulletin/send/", notices.bulletin_send_now, name="bulletin-send"),
]
# Residents' comments and demands (voices).
page_urlpatterns += [
    path("voices/", voices.voices_inbox, name="voices"),
    path("voices/<int:pk>/", voices.voice_detail, name="voice"),
    path("voices/<int:pk>/status/", voices.voice_status, name="voice-status"),
    path("voices/<int:pk>/assign/", voices.voice_assign, name="voice-assign"),
    path("voices/<int:pk>/note/", voices.voice_note, name="voice-note"),
    path("voices/<int:pk>/reply/", voices.voice_reply, name="voice-reply"),
    path("voices/<int:pk>/publish/", voices.voice_publish, name="voice-publish"),
]
# Money: refunds in full or in part, receipts, fapiao requests (receipts).
page_urlpatterns += [
    # Not under registrations/<pk>/: that level is the row's buttons (<slug:action>/).
    path("events/<slug:slug>/refunds/<int:pk>/", money.registration_refund, name="event-registration-refund"),
    path(
        "events/<slug:slug>/registrations/<int:pk>/receipts/<int:number>.pdf",
        money.registration_receipt,
        name="event-registration-receipt",
    ),
    path("events/<slug:slug>/fapiao/", money.event_fapiao, name="event-fapiao"),
    path("events/<slug:slug>/fapiao/<int:pk>/issued/", money.fapiao_issued, name="event-fapiao-issued"),
]
# Ticket types and codes (tickets).
page_urlpatterns += [
    path("events/<slug:slug>/tickets/", tickets.tickets_page, name="event-tickets"),
    path("events/<slug:slug>/tickets/types/<int:pk>/", tickets.ticket_type_edit, name="ticket-type-edit"),
    path("events/<slug:slug>/tickets/types/<int:pk>/delete/", tickets.ticket_type_delete, name="ticket-type-delete"),
    path("events/<slug:slug>/tickets/codes/<int:pk>/", tickets.promo_code_edit, name="promo-code-edit"),
]
