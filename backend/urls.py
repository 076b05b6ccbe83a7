from django.contrib import admin
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from common.views import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
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
