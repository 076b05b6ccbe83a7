"""Residents' comments and demands: the form and the published answers (``/voices/``), and each
writer's private page (``/voices/mine/<token>/``) with the status and the answer.

Published items show topic, kind, the text and the answer: never an email (the only personal
datum we hold) and nothing else about who wrote them.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from common.exceptions import InvalidInput
from common.i18n import active_language
from common.pages import lang_query, not_found, page_context, private_page
from common.throttling import VoicePerEmailThrottle, VoicePerIPThrottle, throttle_waits, too_many_requests
from pages.forms import VoiceForm
from voices import selectors, services
from voices.models import Comment

PUBLISHED_PER_PAGE = 20
STEPS = [Comment.Status.NEW, Comment.Status.IN_PROGRESS, Comment.Status.ANSWERED, Comment.Status.CLOSED]


def _published(request: HttpRequest, language: str):
    page = Paginator(selectors.published_comments(), PUBLISHED_PER_PAGE).get_page(request.GET.get("page"))
    for comment in page:
        comment.org_name = comment.organization.t("name", language) or comment.organization.slug
    return page


@require_http_methods(["GET", "POST"])
def voices_page(request: HttpRequest) -> HttpResponse:
    language = active_language()
    form = VoiceForm(request.POST or None, language=language)
    sent = request.GET.get("sent") == "1"
    if request.method == "POST":
        wait = throttle_waits(request, [VoicePerIPThrottle(), VoicePerEmailThrottle()])
        if wait is not None:
            return too_many_requests(request, wait)
        if form.is_robot:
            # Thanked like anyone, kept by no one.
            return redirect(reverse("pages:voices") + "?sent=1" + lang_query(request).replace("?", "&"))
        if form.is_valid():
            data = form.cleaned_data
            try:
                comment = services.comment_create(
                    organization_id=data["organization"].pk,
                    topic=data["topic"],
                    kind=data["kind"],
                    text=data["text"],
                    language=data["language"],
                    email=data["email"],
                    publish_consent=data["publish_consent"],
                )
            except InvalidInput as exc:
                for name, errors in exc.fields.items():
                    for error in errors:
                        form.add_error(name if name in form.fields else None, error)
            else:
                url = reverse("pages:voice-mine", kwargs={"token": comment.token})
                return redirect(url + "?sent=1" + lang_query(request).replace("?", "&"))
    form.mark_errors()
    context = page_context(request, form=form, sent=sent, published=_published(request, language))
    return render(request, "pages/voices.html", context, status=400 if form.errors else 200)


@private_page
@require_GET
def voice_mine(request: HttpRequest, token: str) -> HttpResponse:
    comment = selectors.comment_by_token(token=token)
    if comment is None:
        return not_found(request)
    language = active_language()
    reached = STEPS.index(comment.status)
    steps = [
        {"label": Comment.Status(status).label, "done": index <= reached, "current": index == reached}
        for index, status in enumerate(STEPS)
    ]
    context = page_context(
        request,
        comment=comment,
        org_name=comment.organization.t("name", language) or comment.organization.slug,
        steps=steps,
        sent=request.GET.get("sent") == "1",
        voices_url=reverse("pages:voices") + lang_query(request),
        erase_url=reverse("pages:voice-erase", kwargs={"token": comment.token}) + lang_query(request),
    )
    return render(request, "pages/voice_mine.html", context)


@private_page
@require_POST
def voice_erase(request: HttpRequest, token: str) -> HttpResponse:
    """The writer erases their message (and its answer) through its private link (CSRF-checked)."""
    if services.comment_erase(token=token) is None:
        return not_found(request)
    messages.success(request, _("Your message, your email and the answer have been erased."))
    return redirect(reverse("pages:voice-mine", kwargs={"token": token}) + lang_query(request))
