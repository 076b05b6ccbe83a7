"""The database is down: 503 with Retry-After, not the 500 of a bug.

Called from the 500 handler (``common.views.server_error``), which Django runs for any exception a
view or middleware let through, so pages, the API and the admin all get it. A client retrying on
a 503 (with ``Idempotency-Key`` on registrations) is the right reaction to an outage; a 500 says
"bug, do not retry" — and during a PostgreSQL restart every request answered 500.

Only errors that mean "cannot reach the database" count: the connect failed, the server went away
or is shutting down or starting up (SQLSTATE classes 08 and 57P), the connection is closed, or
SQLite's writer queue timed out ("database is locked"). Any other ``OperationalError`` (a missing
table, a bad query) stays a 500: it is a bug, and retrying will not help.

The page is rendered without the request's context processors: they read the session and the
user, which is the database again.
"""

from __future__ import annotations

from django.conf import settings
from django.db import InterfaceError, OperationalError, connections
from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

_UNREACHABLE_SQLSTATE_PREFIXES = ("08", "57P")


def database_unavailable(exc: BaseException | None) -> bool:
    """Whether ``exc`` says the database cannot be reached (rather than that a query is wrong)."""
    if isinstance(exc, InterfaceError):
        return True  # "connection already closed": raised for a dead connection only
    if not isinstance(exc, OperationalError):
        return False
    sqlstate = getattr(exc.__cause__, "sqlstate", None) or ""
    if sqlstate.startswith(_UNREACHABLE_SQLSTATE_PREFIXES):
        return True
    for connection in connections.all(initialized_only=True):
        raw = connection.connection
        if raw is None:
            return True  # connecting failed: the wrapper never got a connection
        if getattr(raw, "closed", False) or getattr(raw, "broken", False):
            return True  # psycopg: the server went away mid-request
    return "database is locked" in str(exc)


def retry_after() -> int:
    return int(getattr(settings, "DATABASE_OUTAGE_RETRY_AFTER", 10))


def unavailable_response(request, *, api: bool) -> HttpResponse:
    """503 in the API's error shape, or the translated "back shortly" page, with Retry-After."""
    language = getattr(request, "LANGUAGE_CODE", None) or translation.get_language_from_request(request)
    with translation.override(language):
        if api:
            response = JsonResponse(
                {
                    "error": {
                        "code": "service_unavailable",
                        "message": _("The service is briefly unavailable. Please try again in a moment."),
                    }
                },
                status=503,
            )
        else:
            # The request as a plain variable (base.html reads request.path), not as render_to_string's
            # request argument, which would run the context processors.
            context = {"request": request, "retry_url": request.get_full_path()}
            page = render_to_string("pages/unavailable.html", context)
            response = HttpResponse(page, status=503)
    response["Retry-After"] = str(retry_after())
    response["Cache-Control"] = "no-store"
    return response
