"""The Weekly Bulletin: one issue per organization and week, built once per language, then sent.

An issue holds the organization's events and courses of the next two weeks that still have
seats, the notices it published in the last seven days, and the residents' answered comments
it made public that week (``answered_voices``, from ``voices.selectors.published_between``;
the section is left out of a week without any).

``bulletin_send`` builds and posts one issue; ``send_bulletins`` (beat, every 15 minutes) calls
it for each organization whose weekday and hour, in its own time zone, have come this week.
Idempotent by construction: ``Bulletin`` is unique per (organization, week_start), so a second
beat run, a second worker or "send now" followed by the schedule find the issue there and post
nothing; ``listsend.post`` dedupes on ``bulletin:<pk>`` as well.
"""

from __future__ import annotations

import datetime as dt
import logging
import zoneinfo
from dataclasses import dataclass

from celery import shared_task
from django.conf import settings
from django.db import IntegrityError, transaction
from django.template.defaultfilters import truncatechars
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from audit import services as audit
from audit.models import AuditAction
from common.i18n import content_languages
from events.models import Event, Session
from notifications import board, listsend
from notifications.messages import format_span
from notifications.models import Bulletin, Notice
from organizations.models import Organization
from voices import selectors as voices_selectors

logger = logging.getLogger(__name__)

HORIZON = dt.timedelta(days=14)  # events and courses of the next two weeks
NOTICES_SINCE = dt.timedelta(days=7)  # the week's notices


# --- when ----------------------------------------------------------------------------------------------


def organization_zone(organization: Organization) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(organization.timezone or settings.DEFAULT_EVENT_TIMEZONE)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo(settings.DEFAULT_EVENT_TIMEZONE)


def week_start_of(*, organization: Organization, moment: dt.datetime) -> dt.date:
    """The Monday of ``moment``'s week, in the organization's time zone."""
    local = moment.astimezone(organization_zone(organization)).date()
    return local - dt.timedelta(days=local.weekday())


def scheduled_at(*, organization: Organization, week_start: dt.date) -> dt.datetime:
    """The moment that week's issue is due: its weekday and hour, wall clock in the organization's zone."""
    day = week_start + dt.timedelta(days=organization.bulletin_weekday)
    local = dt.datetime.combine(day, dt.time(organization.bulletin_hour), tzinfo=organization_zone(organization))
    return local.astimezone(dt.UTC)


def next_issue(*, organization: Organization, now: dt.datetime | None = None) -> tuple[dt.date, dt.datetime]:
    """The week and scheduled moment of the next issue not yet sent (this week's if it is still to come)."""
    now = now or timezone.now()
    week = week_start_of(organization=organization, moment=now)
    sent = set(
        Bulletin.objects.filter(organization=organization, week_start__gte=week).values_list("week_start", flat=True)
    )
    for _weeks in range(3):
        if week not in sent:
            return week, scheduled_at(organization=organization, week_start=week)
        week += dt.timedelta(days=7)
    return week, scheduled_at(organization=organization, week_start=week)


def is_due(*, organization: Organization, now: dt.datetime) -> bool:
    """This week's moment has come and the week has no issue yet (a missed run catches up within the week)."""
    week = week_start_of(organization=organization, moment=now)
    if now < scheduled_at(organization=organization, week_start=week):
        return False
    return not Bulletin.objects.filter(organization=organization, week_start=week).exists()


# --- what ----------------------------------------------------------------------------------------------


@dataclass
class Item:
    title: str
    when: str
    where: str
    seats_left: int
    kind: str
    url: str


def upcoming_events(*, organization: Organization, now: dt.datetime) -> list[tuple[Event, Session]]:
    """Published events and courses of the organization with a session in the next two weeks and
    seats left, each with its first such session, soonest first."""
    sessions = (
        Session.objects.filter(
            event__organization=organization,
            event__status=Event.Status.PUBLISHED,
            starts_at__gte=now,
            starts_at__lt=now + HORIZON,
        )
        .exclude(status=Session.Status.CANCELLED)
        .select_related("event", "event__venue", "venue")
        .order_by("starts_at", "id")
    )
    seen: dict[int, tuple[Event, Session]] = {}
    for session in sessions:
        if session.event_id not in seen and session.event.seats_left > 0:
            seen[session.event_id] = (session.event, session)
    return list(seen.values())


def week_notices(*, organization: Organization, now: dt.datetime) -> list[Notice]:
    return list(
        Notice.objects.filter(
            organization=organization, status=Notice.Status.PUBLISHED, published_at__gte=now - NOTICES_SINCE
        )
        .select_related("organization", "venue")
        .order_by("-urgent", "-published_at")
    )


def answered_voices(*, organization: Organization, language: str, now: dt.datetime) -> list[dict]:
    """The organization's answered comments made public in the last week, each
    ``{"question", "answer", "url"}``: as the resident wrote it and as it was answered (in the
    resident's language), linked to its place on ``/voices/``. Nothing personal is loaded."""
    items = []
    for comment in voices_selectors.published_between(organization, now - NOTICES_SINCE, now):
        path = reverse("pages:voices")
        items.append(
            {
                "question": truncatechars(comment.text, 280),
                "answer": truncatechars(comment.reply, 600),
                "url": f"{site_url(path, language)}#voice-{comment.pk}",
            }
        )
    return items


def site_url(path: str, language: str) -> str:
    return f"{settings.SITE_URL}{path}?lang={language}"


def sections(*, organization: Organization, language: str, now: dt.datetime) -> dict:
    """One language's content of the issue (already picked and formatted for that reader)."""
    events = []
    for event, session in upcoming_events(organization=organization, now=now):
        venue = session.venue or event.venue
        events.append(
            Item(
                title=event.t("title", language) or event.slug,
                when=format_span(session.starts_at, session.ends_at, zone=event.timezone, language=language),
                where=venue.t("name", language) if venue else (_("Online") if event.online_url else ""),
                seats_left=event.seats_left,
                kind=event.get_kind_display(),
                url=site_url(reverse("pages:event-detail", kwargs={"slug": event.slug}), language),
            )
        )
    notices = []
    for notice in week_notices(organization=organization, now=now):
        shown = board.notice_language(notice, language)
        notices.append(
            {
                "title": shown["title"],
                "language": shown["language"],
                "translated": not shown["fallback_line"],
                "category": notice.get_category_display(),
                "urgent": notice.urgent,
                "url": board.notice_url(notice, language),
            }
        )
    return {
        "events": events,
        "notices": notices,
        "voices": answered_voices(organization=organization, language=language, now=now),
    }


def bulletin_render(
    *, organization: Organization, week_start: dt.date, now: dt.datetime | None = None
) -> dict[str, dict[str, str]]:
    """The issue in every content language: ``{language: {"subject", "text", "html", "page"}}``.

    ``html``/``text`` are the email (with the per-recipient placeholders), ``page`` the fragment
    the archive shows on the site."""
    now = now or timezone.now()
    contents = {}
    for language in content_languages():
        with translation.override(language):
            name = organization.t("name", language) or organization.slug
            context = {
                "language": language,
                "org_name": name,
                "week_start": week_start,
                **sections(organization=organization, language=language, now=now),
            }
            subject = _("%(organization)s: the Weekly Bulletin, week of %(date)s") % {
                "organization": name,
                "date": translation_date(week_start),
            }
            context["subject"] = subject
            contents[language] = {
                "subject": subject,
                "text": render_to_string("notifications/list/bulletin.txt", context).strip() + "\n",
                "html": render_to_string("notifications/list/bulletin.html", context),
                "page": render_to_string("notifications/list/_bulletin_body.html", {**context, "email": False}),
            }
    return contents


def translation_date(day: dt.date) -> str:
    return date_format(day, "DATE_FORMAT")


def has_content(*, organization: Organization, now: dt.datetime) -> bool:
    """Anything to tell this week (an issue with no events, notices or answers is not sent)."""
    return bool(
        upcoming_events(organization=organization, now=now)
        or week_notices(organization=organization, now=now)
        or voices_selectors.published_between(organization, now - NOTICES_SINCE, now).exists()
    )


# --- send ----------------------------------------------------------------------------------------------


def bulletin_send(
    *, organization: Organization, week_start: dt.date, now: dt.datetime | None = None, user=None
) -> Bulletin | None:
    """Build the week's issue once per language, store it and post it to the bulletin's subscribers.

    Returns the new issue, or None when the week already has one (another run, "send now").
    Nothing is sent for a week with no events and no notices. One transaction; the unique
    constraint (organization, week_start) decides races, no lock is held."""
    now = now or timezone.now()
    if Bulletin.objects.filter(organization=organization, week_start=week_start).exists():
        return None
    if not has_content(organization=organization, now=now):
        logger.info("bulletin of %s for %s: nothing to send", organization.slug, week_start)
        return None
    contents = bulletin_render(organization=organization, week_start=week_start, now=now)
    with transaction.atomic():
        try:
            with transaction.atomic():
                bulletin = Bulletin.objects.create(
                    organization=organization,
                    week_start=week_start,
                    contents=contents,
                    status=Bulletin.Status.SENDING,
                    sent_at=now,
                )
        except IntegrityError:  # built concurrently: theirs is the issue
            return None
        rendered = {code: {key: part[key] for key in ("subject", "text", "html")} for code, part in contents.items()}
        message = listsend.post(
            organization=organization, dedupe_key=f"bulletin:{bulletin.pk}", rendered=rendered, bulletin=bulletin
        )
        if user is not None:
            audit.record(
                actor=user,
                action=AuditAction.BULLETIN_SEND,
                organization_id=organization.pk,
                target_type="bulletin",
                target_id=bulletin.pk,
                target_label=f"{organization.slug} · {week_start.isoformat()}",
                details={"list_message": message.pk, "sent_early": True},
            )
    return bulletin


def bulletins_send_due(*, now: dt.datetime | None = None) -> list[Bulletin]:
    """Every organization whose issue is due now: build and post it (each in its own transaction)."""
    now = now or timezone.now()
    sent = []
    for organization in Organization.objects.filter(bulletin_enabled=True).order_by("pk"):
        if not is_due(organization=organization, now=now):
            continue
        bulletin = bulletin_send(
            organization=organization, week_start=week_start_of(organization=organization, moment=now), now=now
        )
        if bulletin is not None:
            sent.append(bulletin)
    return sent


@shared_task(name="notifications.tasks.send_bulletins")
def send_bulletins() -> int:
    """Beat, every 15 minutes: the issues that are due, at most once per organization and week."""
    return len(bulletins_send_due())
