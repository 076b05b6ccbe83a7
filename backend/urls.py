from django.contrib import admin
from django.urls import include, path, re_path
from django.views.i18n import JavaScriptCatalog
from drf_spectacular.views import SpectacularAPIView

from common.docs import api_docs
from common.throttling import throttle_login
from common.views import favicon, healthz, media

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("favicon.ico", favicon, name="favicon"),
    re_path(r"^media/(?P<path>.+)$", media, name="media"),
    path("admin/login/", throttle_login(admin.site.login), name="admin-login"),  # before the admin's own
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", api_docs, name="api-docs"),
    path("api/v1/organizer/audit/", include("audit.urls")),
    path("api/v1/", include("registrations.urls")),
    path("api/v1/", include("checkin.urls")),
    path("api/v1/", include(("events.urls", "events"), namespace="api")),
    path("api/v1/reports/", include("reports.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("scan/", include("checkin.page_urls")),
    path("organizer/reports/", include("reports.page_urls")),
    path("", include("notifications.urls")),
    path("", include("events.page_urls")),
]

handler404 = "common.views.not_found"
handler500 = "common.views.server_error"
