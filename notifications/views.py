"""The short feedback form linked from the feedback request email (rating + comment)."""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import render
from django.utils import translation
from django.views.decorators.http import require_http_methods

from common.exceptions import DomainError, NotFound
from common.views import PRIVATE_REFERRER_POLICY
from notifications import services
from notifications.messages import language_of
from notifications.models import Feedback
from registrations.selectors import registration_for_request


def _rating(value) -> int | None:
    try:
        rating = int(value)
    except (TypeError, ValueError):
        return None
    return rating if 1 <= rating <= 5 else None


@require_http_methods(["GET", "POST"])
def feedback_form(request, pk: int):
    """GET shows the form (a rating link from the email preselects it, but never stores: mail
    scanners open links); POST stores it. The manage token in the link is the key."""
    token = request.POST.get("token") or request.GET.get("token")
    try:
        # The attendee's own form: an organizer must not rate their event on someone's behalf.
        registration = registration_for_request(pk=pk, token=token, user=request.user, organizers=False)
    except NotFound:
        raise Http404 from None
    language = language_of(request.GET.get("lang") or registration.language)
    feedback = Feedback.objects.filter(registration=registration).first()
    context = {
        "registration": registration,
        "event_title": registration.event.t("title", language),
        "token": token or "",
        "rating": _rating(request.GET.get("rating")) or (feedback.rating if feedback else None),
        "comment": feedback.comment if feedback else "",
        "saved": False,
        "error": "",
        "language": language,
    }
    status = 200
    if request.method == "POST":
        context["rating"] = _rating(request.POST.get("rating"))
        context["comment"] = request.POST.get("comment", "")[:5000]
        if context["rating"] is None:
            context["error"] = "rating"
            status = 400
        else:
            try:
                services.feedback_submit(
                    registration=registration,
                    rating=context["rating"],
                    comment=context["comment"],
                    language=language,
                )
                context["saved"] = True
            except DomainError:
                context["error"] = "not_allowed"
                status = 400
    with translation.override(language):
        response = render(request, f"notifications/{language}/feedback_form.html", context, status=status)
    response["Cache-Control"] = "private, no-store"
    # The token is in the URL: never in a Referer, yet the form's POST keeps an Origin CSRF can check.
    response["Referrer-Policy"] = PRIVATE_REFERRER_POLICY
    return response
