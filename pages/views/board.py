"""The residents' notice board (``/notices/``, a notice's page, an Atom feed per language) and the
Weekly Bulletin's archive (``/bulletin/``). Published notices and sent issues only; everything is
picked in the reader's language with ``notifications.board.notice_language`` (the default
language's text and a translated line where a translation is missing)."""

from __future__ import annotations

from dataclasses import dataclass

from django import forms
from django.conf import settings
from django.contrib.syndication.views import Feed
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.feedgenerator import Atom1Feed
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from common.i18n import active_language, content_languages, normalize_language
from common.pages import language_name, not_found, page_context
from notifications import board
from notifications.models import Bulletin, Notice
from organizations.models import Organization

PAGE_SIZE = 20


@dataclass
class NoticeCard:
    pk: int
    url: str
    title: str
    body: str
    language: str
    fallback_line: str
    category: str
    category_label: str
    organization: str
    venue: str
    area: str
    valid_from: object
    valid_until: object
    urgent: bool
    current: bool
    upcoming: bool
    published_at: object

    @classmethod
    def of(cls, notice: Notice, language: str) -> NoticeCard:
        shown = board.notice_language(notice, language)
        return cls(
            pk=notice.pk,
            url=reverse("pages:notice-detail", kwargs={"pk": notice.pk}),
            title=shown["title"],
            body=shown["body"],
            language=shown["language"],
            fallback_line=shown["fallback_line"],
            category=notice.category,
            category_label=notice.get_category_display(),
            organization=notice.organization.t("name", language) or notice.organization.slug,
            venue=notice.venue.t("name", language) if notice.venue else "",
            area=shown["area"],
            valid_from=notice.valid_from,
            valid_until=notice.valid_until,
            urgent=notice.urgent,
            current=board.notice_is_current(notice),
            upcoming=bool(notice.valid_from and notice.valid_from > timezone.localdate()),
            published_at=notice.published_at,
        )


class BoardFilterForm(forms.Form):
    category = forms.ChoiceField(label=gettext_lazy("Category"), required=False)
    organization = forms.ChoiceField(label=gettext_lazy("Organization"), required=False)

    def __init__(self, *args, language: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [("", _("All categories")), *Notice.Category.choices]
        publishers = Organization.objects.filter(notices__status=Notice.Status.PUBLISHED).distinct().order_by("slug")
        self.fields["organization"].choices = [
            ("", _("All organizations")),
            *((org.slug, org.t("name", language) or org.slug) for org in publishers),
        ]


def notice_list(request: HttpRequest) -> HttpResponse:
    language = active_language()
    form = BoardFilterForm(request.GET or None, language=language)
    category = organization = None
    if form.is_valid():
        category = form.cleaned_data["category"] or None
        slug = form.cleaned_data["organization"]
        organization = Organization.objects.filter(slug=slug).first() if slug else None
    notices = board.notice_board(category=category, organization=organization)
    page = Paginator(notices, PAGE_SIZE).get_page(request.GET.get("page"))
    cards = [NoticeCard.of(notice, language) for notice in page.object_list]
    return render(
        request,
        "pages/notice_list.html",
        page_context(
            request,
            form=form,
            page=page,
            current=[card for card in cards if card.current],
            other=[card for card in cards if not card.current],
            filtered=bool(category or organization),
            feeds=[
                {"code": code, "name": language_name(code), "url": reverse("pages:notice-feed", args=[code])}
                for code in content_languages()
            ],
            feed_url=reverse("pages:notice-feed", args=[language]),
        ),
    )


def notice_detail(request: HttpRequest, pk: int) -> HttpResponse:
    notice = (
        Notice.objects.filter(pk=pk, status=Notice.Status.PUBLISHED).select_related("organization", "venue").first()
    )
    if notice is None:
        return not_found(request, _("This notice does not exist or is no longer published."))
    language = active_language()
    return render(
        request,
        "pages/notice_detail.html",
        page_context(
            request,
            card=NoticeCard.of(notice, language),
            feed_url=reverse("pages:notice-feed", args=[language]),
        ),
    )


class NoticeFeed(Feed):
    """The board's published notices as Atom, one feed per content language (the fallback line
    leads an entry whose translation is missing)."""

    feed_type = Atom1Feed

    def get_object(self, request, language: str):
        code = normalize_language(language)
        if code != language:
            raise Http404
        translation.activate(code)
        request.LANGUAGE_CODE = code
        return code

    def title(self, language: str) -> str:
        return _("Huiguan notice board")

    def subtitle(self, language: str) -> str:
        return _("Notices for the city's international residents: policies, services, works, safety and events.")

    def link(self, language: str) -> str:
        return f"{reverse('pages:notice-list')}?lang={language}"

    def items(self, language: str):
        return Notice.objects.filter(status=Notice.Status.PUBLISHED).select_related("organization", "venue")[:50]

    def item_title(self, notice: Notice) -> str:
        shown = board.notice_language(notice, translation.get_language())
        prefix = _("Urgent") + ": " if notice.urgent else ""
        return f"{prefix}{shown['title']}"

    def item_description(self, notice: Notice) -> str:
        shown = board.notice_language(notice, translation.get_language())
        parts = [shown["fallback_line"], shown["body"]] if shown["fallback_line"] else [shown["body"]]
        return "\n\n".join(parts)

    def item_link(self, notice: Notice) -> str:
        return f"{reverse('pages:notice-detail', kwargs={'pk': notice.pk})}?lang={translation.get_language()}"

    def item_pubdate(self, notice: Notice):
        return notice.published_at

    def item_updateddate(self, notice: Notice):
        return notice.updated_at

    def item_categories(self, notice: Notice):
        return [notice.get_category_display()]

    def item_author_name(self, notice: Notice) -> str:
        return notice.organization.t("name", translation.get_language()) or notice.organization.slug


notice_feed = NoticeFeed()


# --- the Weekly Bulletin's archive -----------------------------------------------------------------------


def sent_bulletins():
    return Bulletin.objects.exclude(status=Bulletin.Status.BUILT).select_related("organization")


def bulletin_list(request: HttpRequest) -> HttpResponse:
    language = active_language()
    page = Paginator(sent_bulletins(), PAGE_SIZE).get_page(request.GET.get("page"))
    issues = [
        {
            "url": reverse("pages:bulletin-detail", kwargs={"pk": bulletin.pk}),
            "organization": bulletin.organization.t("name", language) or bulletin.organization.slug,
            "week_start": bulletin.week_start,
            "subject": (bulletin.contents.get(language) or {}).get("subject", ""),
        }
        for bulletin in page.object_list
    ]
    return render(request, "pages/bulletin_list.html", page_context(request, page=page, issues=issues))


def bulletin_detail(request: HttpRequest, pk: int) -> HttpResponse:
    bulletin = sent_bulletins().filter(pk=pk).first()
    if bulletin is None:
        return not_found(request, _("This issue of the bulletin does not exist."))
    language = active_language()
    contents = bulletin.contents.get(language) or bulletin.contents.get(settings.LANGUAGE_CODE) or {}
    url = reverse("pages:bulletin-detail", kwargs={"pk": bulletin.pk})
    return render(
        request,
        "pages/bulletin_detail.html",
        page_context(
            request,
            bulletin=bulletin,
            organization=bulletin.organization.t("name", language) or bulletin.organization.slug,
            subject=contents.get("subject", ""),
            # Our own template's output, rendered and escaped when the issue was built.
            body=mark_safe(contents.get("page", "")),  # noqa: S308
            versions=[
                {"code": code, "name": language_name(code), "url": f"{url}?lang={code}", "current": code == language}
                for code in content_languages()
                if code in bulletin.contents
            ],
        ),
    )
