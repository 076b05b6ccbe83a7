import sys

from celery import current_app
from django.conf import settings
from django.db import connection
from django.http import Http404, HttpResponsePermanentRedirect, JsonResponse
from django.templatetags.static import static as static_url
from django.utils.translation import gettext as _
from django.views import defaults, static
from django.views.decorators.cache import never_cache

from common.outage import database_unavailable, unavailable_response

# For pages whose URL holds a secret (a manage token). Not "no-referrer": under that policy
# browsers send "Origin: null" with every POST from the page (Fetch spec), which Django's CSRF
# check rightly rejects, so the page's forms would fail. "strict-origin" sends at most the bare
# origin, never the path with the token, to anyone, ourselves included, and keeps same-origin
# POSTs verifiable.
PRIVATE_REFERRER_POLICY = "strict-origin"


@never_cache
def healthz(request):
    """Liveness for load balancers: the database answers, and the broker when one is configured."""
    checks = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
    except Exception as exc:  # noqa: BLE001 - any failure means unhealthy
        checks["database"] = f"error: {exc.__class__.__name__}"
    if settings.CELERY_TASK_ALWAYS_EAGER:
        checks["broker"] = "eager"
    else:
        try:
            # The project's Celery app is the current one (backend/__init__.py creates it first).
            with current_app.connection_for_write() as conn:
                conn.ensure_connection(max_retries=1, timeout=2)
            checks["broker"] = "ok"
        except Exception as exc:  # noqa: BLE001
            checks["broker"] = f"error: {exc.__class__.__name__}"
    healthy = all(value in ("ok", "eager") for value in checks.values())
    return JsonResponse({"status": "ok" if healthy else "error", "checks": checks}, status=200 if healthy else 503)


def is_api_request(request) -> bool:
    return request.path.startswith("/api/")


def api_error_response(*, status: int, code: str, message: str) -> JsonResponse:
    """Our error shape, for answers made outside DRF (URL resolver, middleware)."""
    return JsonResponse({"error": {"code": code, "message": message}}, status=status)


def not_found(request, exception=None):
    """A URL no route matches: our error shape under /api/, the HTML page elsewhere."""
    if is_api_request(request):
        return api_error_response(status=404, code="not_found", message=str(_("Not found.")))
    return defaults.page_not_found(request, exception)


def server_error(request):
    """Django's 500 handler: runs inside the ``except`` that caught the error, hence ``sys.exc_info()``."""
    if database_unavailable(sys.exc_info()[1]):
        return unavailable_response(request, api=is_api_request(request))
    if is_api_request(request):
        return api_error_response(status=500, code="server_error", message=str(_("Something went wrong on our side.")))
    return defaults.server_error(request)


def media(request, path: str):
    """Uploaded files (event images) when the app serves them itself: the embedded default
    (DEBUG) or SERVE_MEDIA=1 for a small site. Bigger ones let the reverse proxy serve MEDIA_ROOT."""
    if not settings.SERVE_MEDIA:
        raise Http404()
    response = static.serve(request, path, document_root=settings.MEDIA_ROOT)
    # Names are random and never reused (events/images.py), so a copy never goes stale.
    response["Cache-Control"] = "public, max-age=31536000, immutable"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


def favicon(request):
    """Browsers ask for /favicon.ico on every site, also on pages that name no icon (admin, API docs)."""
    return HttpResponsePermanentRedirect(static_url("huiguan/icons/favicon.ico"))
