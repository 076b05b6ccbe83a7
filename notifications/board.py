"""Notices on the public board: an office's policy, service, works, safety or event notice, per
language, written on the desk or through the organizer API, published to ``/notices/`` and sent
at once to the subscribers of its category (``listsend.post``), each in their language.

Use cases (one transaction each, an audit entry with each): ``notice_create``, ``notice_update``,
``notice_publish``, ``notice_withdraw``. Locks: the notice row (``select_for_update``) for the
last three, so two staff publishing at once post one list message (its dedupe key is the
notice's, ``notice:<pk>``, and the status change happens under the lock).

Reads: ``notice_board`` (published, current first), ``notice_language`` and ``notice_render``
(what a reader of a language gets: their translation, or the default language's text with one
translated line saying so).
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Case, IntegerField, Q, QuerySet, Value, When
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import get_language_info
from django.utils.translation import gettext as _

from audit import services as audit
from audit.models import AuditAction
from common.exceptions import InvalidInput, InvalidTransition
from common.i18n import clean_translations, content_languages
from notifications import listsend
from notifications.models import ListMessage, Notice
from organizations.models import Organization, Venue

TITLE_MAX = 200
BODY_MAX = 10_000
AREA_MAX = 200
EDITABLE = ("category", "title", "body", "venue", "area", "valid_from", "valid_until", "urgent")


# --- reads -------------------------------------------------------------------------------------------


def notice_board(
    *, today: dt.date | None = None, category: str | None = None, organization: Organization | None = None
) -> QuerySet[Notice]:
    """Published notices, current ones first (urgent on top), then those not yet valid, then expired.

    "Current": valid today (no dates counts as always valid). Within each group, newest first."""
    today = today or timezone.localdate()
    queryset = Notice.objects.filter(status=Notice.Status.PUBLISHED).select_related("organization", "venue")
    if category:
        queryset = queryset.filter(category=category)
    if organization is not None:
        queryset = queryset.filter(organization=organization)
    started = Q(valid_from__isnull=True) | Q(valid_from__lte=today)
    not_over = Q(valid_until__isnull=True) | Q(valid_until__gte=today)
    return queryset.annotate(
        board_group=Case(
            When(started & not_over, then=Value(0)),
            When(~started, then=Value(1)),
            default=Value(2),
            output_field=IntegerField(),
        )
    ).order_by("board_group", "-urgent", "-published_at", "-id")


def notice_is_current(notice: Notice, today: dt.date | None = None) -> bool:
    today = today or timezone.localdate()
    return (notice.valid_from is None or notice.valid_from <= today) and (
        notice.valid_until is None or notice.valid_until >= today
    )


def written_languages(notice: Notice) -> list[str]:
    """The content languages the notice has both a title and a body in."""
    title, body = notice.title or {}, notice.body or {}
    return [code for code in content_languages() if title.get(code) and body.get(code)]


def notice_default_language(notice: Notice) -> str:
    """The language a reader gets when theirs is missing: the organization's, else the first written."""
    written = written_languages(notice)
    preferred = notice.organization.default_language
    if preferred in written or not written:
        return preferred
    return written[0]


def translated_language_name(code: str) -> str:
    """A language's name in the active language ("英语" for en when reading Chinese)."""
    try:
        return str(_(get_language_info(code)["name"]))
    except KeyError:
        return code


def notice_language(notice: Notice, language: str) -> dict:
    """What a reader of ``language`` is shown: ``{"language", "title", "body", "area", "fallback_line"}``.

    ``fallback_line`` is empty when the notice is written in the reader's language; otherwise it
    says, in the reader's language, that the text below is in the default language."""
    shown = language if language in written_languages(notice) else notice_default_language(notice)
    line = ""
    if shown != language:
        with translation.override(language):
            line = _("This notice is not available in %(language)s yet; here it is in %(original)s.") % {
                "language": translated_language_name(language),
                "original": translated_language_name(shown),
            }
    area = notice.area or {}
    return {
        "language": shown,
        "title": (notice.title or {}).get(shown, ""),
        "body": (notice.body or {}).get(shown, ""),
        "area": area.get(language) or area.get(shown) or next((text for text in area.values() if text), ""),
        "fallback_line": line,
    }


def notice_url(notice: Notice, language: str) -> str:
    return f"{settings.SITE_URL}{reverse('pages:notice-detail', kwargs={'pk': notice.pk})}?lang={language}"


def notice_render(*, notice: Notice) -> dict[str, dict[str, str]]:
    """The list message: ``{language: {"subject", "text", "html"}}`` for every content language.

    Rendered once per language; the per-recipient links stay placeholders (``listsend.PLACEHOLDERS``)."""
    rendered = {}
    for language in content_languages():
        with translation.override(language):
            shown = notice_language(notice, language)
            context = {
                "language": language,
                "notice": notice,
                "shown": shown,
                "category": notice.get_category_display(),
                "organization": notice.organization.t("name", language),
                "org_name": notice.organization.t("name", language),
                "venue": notice.venue.t("name", language) if notice.venue else "",
                "url": notice_url(notice, language),
                "unsubscribe_url": "[[unsubscribe_url]]",
                "preferences_url": "[[preferences_url]]",
            }
            prefix = _("Urgent") + ": " if notice.urgent else ""
            subject = f"{prefix}{shown['title']}"
            rendered[language] = {
                "subject": " ".join(subject.split())[:250],
                "text": render_to_string("notifications/list/notice.txt", context).strip() + "\n",
                "html": render_to_string("notifications/list/notice.html", context),
            }
    return rendered


# --- writes ------------------------------------------------------------------------------------------


def _cleaned(*, organization: Organization, fields: dict, current: Notice | None = None) -> dict:
    """Validate notice fields (all of them on create, the given ones on update); InvalidInput with
    every field's errors at once."""
    errors: dict[str, list[str]] = {}
    cleaned: dict = {}
    required_language = organization.default_language
    for name, max_length in (("title", TITLE_MAX), ("body", BODY_MAX), ("area", AREA_MAX)):
        if name not in fields:
            continue
        try:
            cleaned[name] = clean_translations(
                fields[name] or {},
                required_language=required_language if name != "area" else None,
                max_length=max_length,
            )
        except ValidationError as exc:
            errors[name] = [str(message) for message in exc.messages]
    if "category" in fields:
        if fields["category"] not in Notice.Category.values:
            errors["category"] = [_("Choose one of the categories.")]
        else:
            cleaned["category"] = fields["category"]
    if "venue" in fields:
        venue = fields["venue"]
        if isinstance(venue, int):
            venue = Venue.objects.filter(pk=venue).first()
        if venue is not None and venue.organization_id != organization.pk:
            errors["venue"] = [_("Choose a venue of this organization.")]
        else:
            cleaned["venue"] = venue
    for name in ("valid_from", "valid_until"):
        if name in fields:
            cleaned[name] = fields[name] or None
    if "urgent" in fields:
        cleaned["urgent"] = bool(fields["urgent"])
    start = cleaned.get("valid_from", current.valid_from if current else None)
    end = cleaned.get("valid_until", current.valid_until if current else None)
    if start and end and end < start:
        errors["valid_until"] = [_("The end date must not be before the start date.")]
    if errors:
        raise InvalidInput(fields=errors)
    return cleaned


def _label(notice: Notice) -> str:
    return f"#{notice.pk} · {notice.get_category_display()}"


@transaction.atomic
def notice_create(
    *,
    user,
    organization: Organization,
    category: str,
    title: dict,
    body: dict,
    venue: Venue | None = None,
    area: dict | None = None,
    valid_from: dt.date | None = None,
    valid_until: dt.date | None = None,
    urgent: bool = False,
) -> Notice:
    """A draft notice. The caller has checked that ``user`` manages ``organization``."""
    fields = _cleaned(
        organization=organization,
        fields={
            "category": category,
            "title": title,
            "body": body,
            "venue": venue,
            "area": area or {},
            "valid_from": valid_from,
            "valid_until": valid_until,
            "urgent": urgent,
        },
    )
    notice = Notice.objects.create(organization=organization, created_by=_user(user), **fields)
    audit.record(
        actor=user,
        action=AuditAction.NOTICE_CREATE,
        organization_id=organization.pk,
        target_type="notice",
        target_id=notice.pk,
        target_label=_label(notice),
        details={"category": notice.category, "languages": written_languages(notice)},
    )
    return notice


def _user(user):
    return user if getattr(user, "is_authenticated", False) else None


def notice_lock(notice: Notice) -> Notice:
    """The notice row, locked for the rest of the transaction (refuses to run outside one)."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("notice_lock() must run inside a transaction")
    return Notice.objects.select_for_update(of=("self",)).select_related("organization", "venue").get(pk=notice.pk)


@transaction.atomic
def notice_update(*, user, notice: Notice, **fields) -> Notice:
    """Edit a draft or a published notice (the board shows the new text; what was already sent
    stays sent). A withdrawn notice cannot change. Locks: the notice row."""
    unknown = set(fields) - set(EDITABLE)
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    notice = notice_lock(notice)
    if notice.status == Notice.Status.WITHDRAWN:
        raise InvalidTransition(_("A withdrawn notice cannot be changed."))
    cleaned = _cleaned(organization=notice.organization, fields=fields, current=notice)
    before = {name: getattr(notice, name) for name in cleaned}
    changes = audit.field_changes(before=before, after=cleaned)
    if not changes:
        return notice
    for name, value in cleaned.items():
        setattr(notice, name, value)
    notice.save()
    audit.record(
        actor=user,
        action=AuditAction.NOTICE_UPDATE,
        organization_id=notice.organization_id,
        target_type="notice",
        target_id=notice.pk,
        target_label=_label(notice),
        details={"changed": sorted(changes)},
    )
    return notice


@transaction.atomic
def notice_publish(*, user, notice: Notice) -> tuple[Notice, ListMessage]:
    """Put a draft on the board and post it to its category's subscribers, rendered per language.

    Publishing again is a no-op returning the first message (the status check under the lock and
    the list message's dedupe key ``notice:<pk>``). Locks: the notice row."""
    notice = notice_lock(notice)
    if notice.status == Notice.Status.WITHDRAWN:
        raise InvalidTransition(_("A withdrawn notice cannot be published again."))
    key = f"notice:{notice.pk}"
    if notice.status == Notice.Status.PUBLISHED:
        return notice, ListMessage.objects.get(dedupe_key=key)
    notice.status = Notice.Status.PUBLISHED
    notice.published_at = timezone.now()
    notice.save(update_fields=["status", "published_at", "updated_at"])
    message = listsend.post(
        organization=notice.organization, dedupe_key=key, rendered=notice_render(notice=notice), notice=notice
    )
    audit.record(
        actor=user,
        action=AuditAction.NOTICE_PUBLISH,
        organization_id=notice.organization_id,
        target_type="notice",
        target_id=notice.pk,
        target_label=_label(notice),
        details={"languages": written_languages(notice), "list_message": message.pk, "urgent": notice.urgent},
    )
    return notice, message


@transaction.atomic
def notice_withdraw(*, user, notice: Notice) -> Notice:
    """Take a published notice off the board (and out of the API and feeds). Locks: the notice row."""
    notice = notice_lock(notice)
    if notice.status != Notice.Status.PUBLISHED:
        raise InvalidTransition(_("Only a published notice can be withdrawn."))
    notice.status = Notice.Status.WITHDRAWN
    notice.save(update_fields=["status", "updated_at"])
    audit.record(
        actor=user,
        action=AuditAction.NOTICE_WITHDRAW,
        organization_id=notice.organization_id,
        target_type="notice",
        target_id=notice.pk,
        target_label=_label(notice),
    )
    return notice
