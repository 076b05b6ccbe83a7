"""Residents' comments and demands on the desk: the inbox (filter by status, topic, assignee,
with counts) and one comment (status, assignment, internal notes, the answer in the resident's
language with a preview, publication). Every change is a ``voices.services`` use case, audited
there; the comments shown are those of organizations the user manages (another one's is a 404).
"""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from common.exceptions import DomainError
from common.pages import language_name
from notifications import voice_mail
from notifications.models import Notification
from organizations import access
from organizations.models import Membership
from organizer.views.base import desk_page, desk_render
from organizer.voice_forms import AssignForm, InboxFilterForm, NoteForm, ReplyForm, StatusForm
from voices import selectors, services
from voices.models import Comment

INBOX_PAGE_SIZE = 50


def _member_name(user) -> str:
    return user.get_full_name() or user.get_username()


def _members(organization_ids) -> list[tuple[int, str]]:
    """The owners and managers of these organizations, once each, by name."""
    memberships = Membership.objects.filter(
        organization_id__in=organization_ids, role__in=Membership.MANAGING_ROLES
    ).select_related("user")
    seen = {membership.user_id: _member_name(membership.user) for membership in memberships}
    return sorted(seen.items(), key=lambda item: item[1].lower())


@require_GET
@desk_page
def voices_inbox(request: HttpRequest) -> HttpResponse:
    organization_ids = access.managed_organization_ids(user=request.user)
    members = _members(organization_ids)
    filters = InboxFilterForm(request.GET or None, members=members)
    chosen = filters.cleaned_data if filters.is_valid() else {}
    comments = selectors.comment_inbox(
        organization_ids=organization_ids,
        status=chosen.get("status", ""),
        topic=chosen.get("topic", ""),
        assignee=chosen.get("assignee", ""),
    )
    page = Paginator(comments, INBOX_PAGE_SIZE).get_page(request.GET.get("page"))
    for comment in page:
        comment.language_label = language_name(comment.language)  # in its own language: 日本語, 简体中文
    counts = selectors.comment_counts(organization_ids=organization_ids)
    query = request.GET.copy()
    query.pop("page", None)
    tabs = [
        {"value": "", "label": _("All"), "count": counts["all"]},
        *[{"value": value, "label": label, "count": counts[value]} for value, label in Comment.Status.choices],
    ]
    context = {
        "filters": filters,
        "page": page,
        "tabs": tabs,
        "current_status": chosen.get("status", ""),
        "query": query.urlencode(),
        "many_organizations": len(organization_ids) > 1,
    }
    return desk_render(request, "organizer/voices.html", context)


def _comment_or_404(request: HttpRequest, pk: int) -> Comment:
    comment = selectors.comment_for_desk(organization_ids=access.managed_organization_ids(user=request.user), pk=pk)
    if comment is None:
        raise Http404
    return comment


def _detail(request: HttpRequest, comment: Comment, *, reply_form: ReplyForm | None = None, preview=None, status=200):
    members = [
        (m.user_id, _member_name(m.user)) for m in selectors.assignable_members(organization_id=comment.organization_id)
    ]
    allowed = sorted(services.TRANSITIONS.get(comment.status, frozenset()), key=list(Comment.Status.values).index)
    if reply_form is None:
        reply_form = ReplyForm(initial={"reply": comment.reply, "language": comment.reply_language or comment.language})
    context = {
        "comment": comment,
        "org_name": comment.organization.t("name") or comment.organization.slug,
        "language_label": language_name(comment.language),
        "status_form": StatusForm(allowed=allowed) if allowed else None,
        "assign_form": AssignForm(initial={"assignee": str(comment.assignee_id or "")}, members=members),
        "note_form": NoteForm(),
        "reply_form": reply_form,
        "preview": preview,
        "notes": list(comment.notes.all()),
        "sent": list(
            Notification.objects.filter(comment=comment, kind=Notification.Kind.VOICE_REPLY).order_by("-id")[:10]
        ),
        "can_publish": comment.publish_consent and bool(comment.reply),
    }
    return desk_render(request, "organizer/voice_detail.html", context, status=status)


@require_GET
@desk_page
def voice_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, _comment_or_404(request, pk))


def _done(request: HttpRequest, pk: int, call, success: str) -> HttpResponse:
    try:
        call()
    except DomainError as exc:
        messages.error(request, " ".join([exc.message, *[e for errors in exc.fields.values() for e in errors]]))
    else:
        messages.success(request, success)
    return redirect("desk:voice", pk=pk)


@require_POST
@desk_page
def voice_status(request: HttpRequest, pk: int) -> HttpResponse:
    comment = _comment_or_404(request, pk)
    status = request.POST.get("status", "")
    return _done(
        request,
        comment.pk,
        lambda: services.comment_set_status(comment_id=comment.pk, user=request.user, status=status),
        _("Status changed."),
    )


@require_POST
@desk_page
def voice_assign(request: HttpRequest, pk: int) -> HttpResponse:
    comment = _comment_or_404(request, pk)
    value = request.POST.get("assignee", "")
    if value and not value.isdigit():
        messages.error(request, _("Choose a member of this organization's team."))
        return redirect("desk:voice", pk=comment.pk)
    return _done(
        request,
        comment.pk,
        lambda: services.comment_assign(
            comment_id=comment.pk, user=request.user, assignee_id=int(value) if value else None
        ),
        _("Assignment saved."),
    )


@require_POST
@desk_page
def voice_note(request: HttpRequest, pk: int) -> HttpResponse:
    comment = _comment_or_404(request, pk)
    text = request.POST.get("note", "")
    return _done(
        request,
        comment.pk,
        lambda: services.note_add(comment_id=comment.pk, user=request.user, text=text),
        _("Note added."),
    )


@require_http_methods(["POST"])
@desk_page
def voice_reply(request: HttpRequest, pk: int) -> HttpResponse:
    """``preview``: the email as the resident will read it; ``send``: record it in the outbox."""
    comment = _comment_or_404(request, pk)
    form = ReplyForm(request.POST)
    if not form.is_valid():
        return _detail(request, comment, reply_form=form, status=400)
    text, language = form.cleaned_data["reply"], form.cleaned_data["language"]
    if "send" not in request.POST:
        subject, body, _html = voice_mail.render(
            comment=comment, kind=Notification.Kind.VOICE_REPLY, language=language, reply=text
        )
        preview = {"subject": subject, "text": body, "language": language, "language_label": language_name(language)}
        return _detail(request, comment, reply_form=form, preview=preview)
    success = (
        _("Answer sent.")
        if comment.email
        else _("Answer saved. The resident left no email: they see it on their private page.")
    )
    return _done(
        request,
        comment.pk,
        lambda: services.comment_reply_send(comment_id=comment.pk, user=request.user, text=text, language=language),
        success,
    )


@require_POST
@desk_page
def voice_publish(request: HttpRequest, pk: int) -> HttpResponse:
    comment = _comment_or_404(request, pk)
    publish = request.POST.get("published") == "1"
    return _done(
        request,
        comment.pk,
        lambda: services.comment_publish(comment_id=comment.pk, user=request.user, published=publish),
        _("Published on the public page.") if publish else _("Taken off the public page."),
    )
