"""Subscribing to notices and the Weekly Bulletin: the form, the confirmation link, the private
preferences page, and unsubscribing (RFC 8058 one-click POST, or a button after a GET)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from common.i18n import active_language
from common.pages import not_found, page_context, private_page
from common.throttling import RegistrationPerEmailThrottle, RegistrationPerIPThrottle, throttle_waits, too_many_requests
from notifications import subscriptions
from pages.forms import SubscribeForm, SubscriptionChoicesForm


@require_http_methods(["GET", "POST"])
def subscribe(request: HttpRequest) -> HttpResponse:
    """The form; a valid POST says "check your inbox" whether or not the address was subscribed."""
    language = active_language()
    form = SubscribeForm(request.POST or None, language=language)
    sent_to = ""
    if request.method == "POST":
        wait = throttle_waits(request, [RegistrationPerIPThrottle(), RegistrationPerEmailThrottle()])
        if wait is not None:
            return too_many_requests(request, wait)
        if form.is_valid():
            sent_to = subscriptions.normalize_email(form.cleaned_data["email"])
            subscriptions.subscribe(email=sent_to, consent_language=language, **form.choices())
            form = SubscribeForm(language=language)
    form.mark_errors()
    context = page_context(request, form=form, sent_to=sent_to)
    return render(request, "pages/subscribe.html", context, status=400 if form.errors else 200)


def _invalid(request: HttpRequest) -> HttpResponse:
    return not_found(request, _("This subscription link is not valid. Please use the link from your latest email."))


@private_page
@require_http_methods(["GET"])
def subscription_confirm(request: HttpRequest, token: str) -> HttpResponse:
    """Opening the emailed link confirms (a GET: it must work from any mail client). Idempotent."""
    subscription = subscriptions.confirm(token=token) if len(token) <= 64 else None
    if subscription is None:
        return _invalid(request)
    if subscription.unsubscribed_at is None:
        messages.success(request, _("Thank you: your subscription is confirmed."))
    return redirect("pages:subscription-preferences", token=subscription.token)


@private_page
@require_http_methods(["GET", "POST"])
def subscription_preferences(request: HttpRequest, token: str) -> HttpResponse:
    subscription = subscriptions.by_token(token)
    if subscription is None:
        return _invalid(request)
    initial = {
        "language": subscription.language,
        "all_organizations": subscription.all_organizations,
        "organizations": [str(pk) for pk in subscription.organizations.values_list("pk", flat=True)],
        "bulletin": subscription.bulletin,
        "notice_categories": subscription.notice_categories,
    }
    form = SubscriptionChoicesForm(request.POST or None, initial=initial, language=active_language())
    if request.method == "POST" and form.is_valid():
        subscriptions.update_preferences(token=token, **form.choices())
        messages.success(request, _("Your choices are saved."))
        return redirect("pages:subscription-preferences", token=token)
    form.mark_errors()
    context = page_context(request, form=form, subscription=subscription)
    return render(request, "pages/subscription_preferences.html", context, status=400 if form.errors else 200)


@csrf_exempt  # RFC 8058: mail clients POST "List-Unsubscribe=One-Click" with no cookie, no token but the URL's
@private_page
@require_http_methods(["GET", "POST"])
def subscription_unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """GET asks (a link scanner must not unsubscribe anyone); POST unsubscribes at once."""
    subscription = subscriptions.by_token(token)
    if subscription is None:
        return _invalid(request)
    if request.method == "POST":
        subscriptions.unsubscribe(token=token)
        context = page_context(request, subscription=subscription, done=True)
        return render(request, "pages/subscription_unsubscribe.html", context)
    context = page_context(request, subscription=subscription, done=subscription.unsubscribed_at is not None)
    return render(request, "pages/subscription_unsubscribe.html", context)
