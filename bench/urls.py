"""The app's URLs plus one bare Django JSON view: the baseline every benchmark compares against."""

import json

from django.http import JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

# The app's error handlers too: without them a bench run measures Django's default 500 page, not ours.
from backend.urls import handler404, handler500  # noqa: F401
from backend.urls import urlpatterns as app_urlpatterns


@csrf_exempt
def bare(request):
    """Parses a JSON body and answers JSON, through the same middleware, no database."""
    payload = json.loads(request.body or b"{}") if request.method == "POST" else {}
    return JsonResponse({"ok": True, "echo": len(payload)}, status=201 if request.method == "POST" else 200)


urlpatterns = [path("bench/bare/", bare), *app_urlpatterns]
