"""What every desk page shares: who may open it, which event a URL names, the page context.

Who manages is asked of ``organizations.access`` only. A desk view is wrapped in ``desk_page``
(signed in, owner or manager of some organization, or a superuser; anybody else signed in gets
a translated 403 that points volunteers to the scanner) and finds its event with
``managed_event`` (another organization's event, or one that does not exist, is a 404: the
desk never says whether a slug is taken elsewhere).
"""

from __future__ import annotations

from functools import wraps

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import never_cache

from common.pages import language_name, page_context
from events.models import Event
from organizations import access


def desk_languages() -> list[dict]:
    """The language switcher's choices, each named in its own language (简体中文, 日本語)."""
    return [{"code": code, "name": language_name(code)} for code, _name in settings.LANGUAGES]


def desk_render(
    request: HttpRequest, template: str, context: dict | None = None, *, status: int = 200, event: Event | None = None
) -> HttpResponse:
    """Render a desk template with the context its base needs (switcher, nav, current event)."""
    base = page_context(request, languages=desk_languages(), desk_event=event, event=event)
    response = render(request, template, {**base, **(context or {})}, status=status)
    response["Cache-Control"] = "private, no-store"  # registrants' data: never in a shared cache
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def desk_page(view):
    """Owners, managers and superusers only. Anonymous callers go to the desk's login page;
    a signed-in user who manages nothing (a volunteer) gets a 403 page pointing to ``/scan/``."""

    @wraps(view)
    @never_cache
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path(), reverse("desk:login"))
        if not access.manages_any(user=request.user):
            return desk_render(request, "organizer/refused.html", status=403)
        return view(request, *args, **kwargs)

    return wrapped


def managed_events(request: HttpRequest):
    """Events of the organizations the signed-in user manages (a superuser: all)."""
    return Event.objects.filter(access.managed_by(request.user)).select_related("organization", "venue", "category")


def managed_event(request: HttpRequest, slug: str) -> Event:
    """The event ``slug`` if the user manages its organization; 404 otherwise (whether it exists or not)."""
    event = managed_events(request).filter(slug=slug).first()
    if event is None:
        raise Http404
    return event
