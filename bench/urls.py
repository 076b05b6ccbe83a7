"""The app's URLs plus the baselines every benchmark compares against: one bare Django JSON view
(what Django and gunicorn cost) and the limit of each hot path (bench/limits.py: the SQL the use
case cannot skip, through a raw cursor)."""

import json

from django.http import JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

# The app's error handlers too: without them a bench run measures Django's default 500 page, not ours.
from backend.urls import handler404, handler500  # noqa: F401
from backend.urls import urlpatterns as app_urlpatterns
from bench import limits


@csrf_exempt
def bare(request):
    """Parses a JSON body and answers JSON, through the same middleware, no database."""
    payload = json.loads(request.body or b"{}") if request.method == "POST" else {}
    return JsonResponse({"ok": True, "echo": len(payload)}, status=201 if request.method == "POST" else 200)


urlpatterns = [
    path("bench/bare/", bare),
    path("bench/limit/checkin/", limits.checkin),
    path("bench/limit/events/<slug:slug>/registrations/", limits.register),
    *app_urlpatterns,
]
