"""The desk's notices: the list, a notice written in the three languages side by side with a
preview of what each reader gets, publish (to the board and the category's subscribers) and
withdraw; and the Weekly Bulletin: the next issue per language, when it goes out, "send now".

The forms only clean; ``notifications.board`` and ``notifications.bulletins`` do the work, the
same functions the organizer API and the beat call."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from common.exceptions import DomainError, InvalidInput
from common.i18n import content_languages
from common.pages import language_name
from notifications import board, bulletins
from notifications import selectors as notification_selectors
from notifications.models import Bulletin, Notice
from organizations import access
from organizer.notice_forms import DeskNoticeForm
from organizer.views.base import desk_page, desk_render


def managed_notices(request: HttpRequest):
    return Notice.objects.filter(access.managed_by(request.user)).select_related("organization", "venue")


def managed_notice(request: HttpRequest, pk: int) -> Notice:
    """The notice if the user manages its organization; 404 otherwise (whether it exists or not)."""
    notice = managed_notices(request).filter(pk=pk).first()
    if notice is None:
        raise Http404
    return notice


@require_GET
@desk_page
def notice_list(request: HttpRequest) -> HttpResponse:
    notices = list(managed_notices(request).order_by("-updated_at", "-id")[:200])
    deliveries = notification_selectors.list_delivery_counts(notice_ids=[notice.pk for notice in notices])
    rows = [
        {
            "notice": notice,
            "delivery": deliveries.get(("notice", notice.pk)),
            "title": notice.title.get(request.LANGUAGE_CODE) or str(notice),
            "languages": board.written_languages(notice),
            "missing": [code for code in content_languages() if code not in board.written_languages(notice)],
        }
        for notice in notices
    ]
    return desk_render(request, "organizer/notices.html", {"rows": rows})


def notice_preview(notice_like: Notice) -> list[dict]:
    """What a reader of each language gets: the subject, the fallback line, the text."""
    rendered = []
    for code in content_languages():
        shown = board.notice_language(notice_like, code)
        rendered.append({"code": code, "name": language_name(code), **shown})
    return rendered


def render_notice_form(request, form, notice, preview=None, status=200):
    return desk_render(
        request,
        "organizer/notice_form.html",
        {"form": form, "notice": notice, "preview": preview, "statuses": Notice.Status},
        status=status,
    )


def unsaved(form: DeskNoticeForm) -> Notice:
    """A notice built from the form's cleaned data, never saved: for the preview."""
    data = form.cleaned_data
    return Notice(
        organization=data["organization"] if not form.notice else form.notice.organization,
        category=data.get("category") or Notice.Category.SERVICE,
        title=data.get("title") or {},
        body=data.get("body") or {},
        area=data.get("area") or {},
        venue=data.get("venue"),
        valid_from=data.get("valid_from"),
        valid_until=data.get("valid_until"),
        urgent=bool(data.get("urgent")),
    )


@require_http_methods(["GET", "POST"])
@desk_page
def notice_new(request: HttpRequest) -> HttpResponse:
    organizations = access.managed_organizations(user=request.user).order_by("slug")
    form = DeskNoticeForm(request.POST or None, organizations=organizations)
    if request.method == "POST" and form.is_valid():
        if "preview" in request.POST:
            return render_notice_form(request, form, None, preview=notice_preview(unsaved(form)))
        try:
            notice = board.notice_create(
                user=request.user, organization=form.cleaned_data["organization"], **form.service_fields()
            )
        except InvalidInput as exc:
            form.add_service_errors(exc.fields)
        else:
            messages.success(request, _("Notice saved as a draft. Check the preview, then publish it."))
            return redirect("desk:notice-edit", pk=notice.pk)
    return render_notice_form(request, form, None, status=400 if request.method == "POST" else 200)


@require_http_methods(["GET", "POST"])
@desk_page
def notice_edit(request: HttpRequest, pk: int) -> HttpResponse:
    notice = managed_notice(request, pk)
    organizations = access.managed_organizations(user=request.user).filter(pk=notice.organization_id)
    form = DeskNoticeForm(request.POST or None, organizations=organizations, notice=notice)
    if notice.status == Notice.Status.WITHDRAWN:
        for field in form.fields.values():
            field.disabled = True
    elif request.method == "POST" and form.is_valid():
        if "preview" in request.POST:
            return render_notice_form(request, form, notice, preview=notice_preview(unsaved(form)))
        try:
            board.notice_update(user=request.user, notice=notice, **form.service_fields())
        except InvalidInput as exc:
            form.add_service_errors(exc.fields)
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("desk:notice-edit", pk=notice.pk)
    if request.method == "POST":
        return render_notice_form(request, form, notice, status=400)
    return render_notice_form(request, form, notice, preview=notice_preview(notice))


@require_POST
@desk_page
def notice_publish(request: HttpRequest, pk: int) -> HttpResponse:
    notice = managed_notice(request, pk)
    try:
        notice, _message = board.notice_publish(user=request.user, notice=notice)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Published on the notice board and sent to its subscribers."))
    return redirect("desk:notice-edit", pk=notice.pk)


@require_POST
@desk_page
def notice_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    notice = managed_notice(request, pk)
    try:
        board.notice_withdraw(user=request.user, notice=notice)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Withdrawn: the notice is no longer on the board."))
    return redirect("desk:notice-edit", pk=notice.pk)


# --- the Weekly Bulletin ---------------------------------------------------------------------------


def chosen_organization(request: HttpRequest):
    organizations = access.managed_organizations(user=request.user).order_by("slug")
    slug = request.POST.get("organization") or request.GET.get("organization")
    chosen = organizations.filter(slug=slug).first() if slug else organizations.first()
    if slug and chosen is None:
        raise Http404
    return organizations, chosen


@require_GET
@desk_page
def bulletin_page(request: HttpRequest) -> HttpResponse:
    organizations, organization = chosen_organization(request)
    context = {"organizations": organizations, "organization": organization}
    if organization is not None:
        now = timezone.now()
        week, when = bulletins.next_issue(organization=organization, now=now)
        contents = bulletins.bulletin_render(organization=organization, week_start=week, now=now)
        past = list(Bulletin.objects.filter(organization=organization).order_by("-week_start")[:10])
        deliveries = notification_selectors.list_delivery_counts(bulletin_ids=[bulletin.pk for bulletin in past])
        for bulletin in past:
            bulletin.delivery = deliveries.get(("bulletin", bulletin.pk))
        language = request.GET.get("preview") if request.GET.get("preview") in contents else request.LANGUAGE_CODE
        if language not in contents:
            language = content_languages()[0]
        context.update(
            week=week,
            scheduled_at=when,
            zone=str(bulletins.organization_zone(organization)),
            has_content=bulletins.has_content(organization=organization, now=now),
            this_week=week == bulletins.week_start_of(organization=organization, moment=now),
            versions=[{"code": code, "name": language_name(code), "current": code == language} for code in contents],
            language=language,
            subject=contents[language]["subject"],
            page=contents[language]["page"],
            past=past,
        )
        with timezone.override(bulletins.organization_zone(organization)):  # its time, on its clock
            return desk_render(request, "organizer/bulletin.html", context)
    return desk_render(request, "organizer/bulletin.html", context)


@require_POST
@desk_page
def bulletin_send_now(request: HttpRequest) -> HttpResponse:
    _organizations, organization = chosen_organization(request)
    if organization is None:
        raise Http404
    # This week's issue, early (a second click, or the schedule later, finds it sent).
    week = bulletins.week_start_of(organization=organization, moment=timezone.now())
    bulletin = bulletins.bulletin_send(organization=organization, week_start=week, user=request.user)
    if bulletin is None:
        if bulletins.has_content(organization=organization, now=timezone.now()):
            messages.info(request, _("This week's issue has already been sent."))
        else:
            messages.error(request, _("Nothing to send: no events with seats and no notices this week."))
    else:
        messages.success(request, _("The bulletin is on its way to its subscribers."))
    return redirect(f"{reverse('desk:bulletin')}?organization={organization.slug}")
