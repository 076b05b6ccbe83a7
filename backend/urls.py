"""The project's URLs: the composition root, the one module that sees every desk.

Some desks serve routes inside another's namespace so that links keep their names: the personal
data pages and API (``privacy``) sit in ``pages:`` and ``registrations:``, the organizer API in
``api:`` beside the public events API.
"""

from django.contrib import admin
from django.urls import include, path, re_path
from django.views.i18n import JavaScriptCatalog
from drf_spectacular.views import SpectacularAPIView

from common.docs import api_docs
from common.throttling import throttle_login
from common.views import favicon, healthz, media
from events import urls as event_urls
from organizer import urls as organizer_urls
from pages import urls as page_urls
from privacy import urls as privacy_urls
from registrations import urls as registration_urls

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("favicon.ico", favicon, name="favicon"),
    re_path(r"^media/(?P<path>.+)$", media, name="media"),
    path("admin/login/", throttle_login(admin.site.login), name="admin-login"),  # before the admin's own
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", api_docs, name="api-docs"),
    path("api/v1/organizer/audit/", include("audit.urls")),
    path("api/v1/", include((registration_urls.urlpatterns + privacy_urls.api_urlpatterns, "registrations"))),
    path("api/v1/", include("checkin.urls")),
    path("api/v1/", include((event_urls.urlpatterns + organizer_urls.api_urlpatterns, "events"), namespace="api")),
    path("api/v1/reports/", include("reports.urls")),
    path("api/v1/", include("voices.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("scan/", include("checkin.page_urls")),
    path("organizer/reports/", include("reports.page_urls")),
    path("organizer/", include((organizer_urls.page_urlpatterns, "desk"))),
    path("", include("reports.certificate_urls")),
    path("", include("notifications.urls")),
    path("", include((page_urls.urlpatterns + privacy_urls.page_urlpatterns, "pages"))),
]

handler404 = "common.views.not_found"
handler500 = "common.views.server_error"
