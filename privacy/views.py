"""The attendee's personal data, through the private manage link: download it, erase it.

Served under the attendee pages' URLs (``/manage/<token>/data.json``, ``/manage/<token>/erase/``,
names ``pages:manage-data`` / ``pages:manage-erase``): ``backend/urls.py`` mounts these routes in
the pages' namespace.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from common.i18n import active_language, pick
from common.pages import lang_query, not_found, page_context, private_page
from notifications import subscriptions
from privacy import services
from registrations.decorators import by_manage_token
from registrations.models import Registration


def _manage_url(request: HttpRequest, registration: Registration) -> str:
    return reverse("pages:manage", kwargs={"token": registration.manage_token}) + lang_query(request)


# --- personal data: download, erase -----------------------------------------------------------------


@private_page
@require_http_methods(["GET"])
@by_manage_token
def manage_data(request: HttpRequest, registration: Registration) -> HttpResponse:
    """Download everything we hold about this registration as a JSON file."""
    data = services.registration_export(registration_id=registration.pk)
    response = JsonResponse(data, json_dumps_params={"ensure_ascii": False, "indent": 2})
    response["Content-Disposition"] = f'attachment; filename="{services.export_filename(registration.pk)}"'
    return response


@private_page
@require_http_methods(["GET", "POST"])
@by_manage_token
def manage_erase(request: HttpRequest, registration: Registration) -> HttpResponse:
    """GET explains and asks to confirm; POST (CSRF-checked) erases and returns to the manage page."""
    manage_url = _manage_url(request, registration)
    if registration.anonymised_at is not None:
        return redirect(manage_url)
    if request.method == "POST":
        services.registration_erase(registration_id=registration.pk)
        messages.success(request, _("Your personal data in this registration has been erased."))
        return redirect(manage_url)
    event = registration.event
    title = pick(event.title, active_language(), [event.default_language]) or event.slug
    context = page_context(
        request,
        registration=registration,
        title=title,
        event=event,
        will_cancel=services.erase_cancels(registration=registration),
        data_url=reverse("pages:manage-data", kwargs={"token": registration.manage_token}),
    )
    return render(request, "pages/manage_erase.html", context)


# --- reach: a subscription's personal data (its private link proves the address) ------------------


@private_page
@require_http_methods(["GET"])
def subscription_data(request: HttpRequest, token: str) -> HttpResponse:
    """Download what we hold about one subscription as a JSON file."""
    subscription = subscriptions.by_token(token)
    if subscription is None:
        return not_found(request)
    data = {
        "format": services.EXPORT_FORMAT,
        "generated_at": timezone.now().isoformat(),
        "subscription": subscriptions.subscription_export(subscription=subscription),
    }
    response = JsonResponse(data, json_dumps_params={"ensure_ascii": False, "indent": 2})
    response["Content-Disposition"] = 'attachment; filename="huiguan-subscription.json"'
    return response


@private_page
@require_http_methods(["GET", "POST"])
def subscription_erase(request: HttpRequest, token: str) -> HttpResponse:
    """GET explains and asks; POST (CSRF-checked) removes the subscriber everywhere."""
    subscription = subscriptions.by_token(token)
    if subscription is None:
        return not_found(request)
    if request.method == "POST":
        subscriptions.subscription_erase(subscription_id=subscription.pk)
        messages.success(request, _("Your subscription and its data have been erased."))
        return redirect(reverse("pages:subscribe") + lang_query(request))
    return render(request, "pages/subscription_erase.html", page_context(request, subscription=subscription))
