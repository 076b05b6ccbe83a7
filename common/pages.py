"""The kit every server-rendered page shares, whichever desk serves it: the language switcher's
context, ``?lang=`` kept across links, the friendly 404 page, and the headers of private pages."""

from __future__ import annotations

from functools import wraps
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import get_language_info
from django.utils.translation import gettext_lazy as _

from common.i18n import normalize_language
from common.views import PRIVATE_REFERRER_POLICY

# --- page context --------------------------------------------------------------------------------


def language_name(code: str) -> str:
    """A language's own name ("简体中文", "日本語"): readable to its speakers whatever the page language."""
    try:
        return get_language_info(code)["name_local"]
    except KeyError:
        return code


def lang_query(request: HttpRequest) -> str:
    """``?lang=ja`` when the page was asked for in a language by URL, so the next page keeps it."""
    language = normalize_language(request.GET.get("lang"))
    return f"?{urlencode({'lang': language})}" if language else ""


def page_context(request: HttpRequest, *, switcher_next: str | None = None, **extra) -> dict:
    """Context every page template needs: where the language switcher returns to, the ?lang= to keep."""
    if switcher_next is None:
        query = request.GET.copy()
        query.pop("lang", None)  # an explicit ?lang= would override the language just chosen
        switcher_next = request.path + (f"?{query.urlencode()}" if query else "")
    return {"switcher_next": switcher_next, "lang_query": lang_query(request), **extra}


def not_found(request: HttpRequest, message: str | None = None) -> HttpResponse:
    return render(
        request,
        "pages/not_found.html",
        page_context(request, message=message or _("We could not find this page.")),
        status=404,
    )


def private_page(view):
    """The URL holds a secret: keep the response out of caches and search engines, and the token out of Referer."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        response["Cache-Control"] = "private, no-store"
        response["Referrer-Policy"] = PRIVATE_REFERRER_POLICY  # see common.views
        response["X-Robots-Tag"] = "noindex, nofollow"
        return response

    return wrapped
