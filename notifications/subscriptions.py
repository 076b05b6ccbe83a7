"""Subscriptions to notices and the Weekly Bulletin: double opt-in, preferences, unsubscribe.

Rules:
- an address is stored lower-cased, once; its ``token`` (``secrets``) is the private link to
  confirm, change preferences, unsubscribe, download or erase: never derived from the address;
- nothing but the confirmation email goes to an address before it is confirmed (``confirmed_at``),
  and list sending reads only confirmed subscriptions (``notifications.listsend.recipients``);
- subscribing never tells the caller whether the address was already subscribed: an address
  already confirmed is left as it is (and nobody else can change its choices), an unconfirmed or
  unsubscribed one gets its choices updated and a confirmation (at most one per window);
- the consent is kept with its text as shown, its version, language and moment (as registrations do).
"""

from __future__ import annotations

import datetime as dt
import secrets

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from common.i18n import normalize_language
from notifications.models import ListDelivery, Notice, Notification, Subscription, Suppression
from notifications.outbox import MANAGE_LINK_WINDOW_SECONDS, insert

SUBSCRIPTION_CONSENT = "subscription"
SUBSCRIPTION_CONSENT_VERSION = "2026-12-03"
SUBSCRIPTION_CONSENT_LABEL = _(
    "I agree that Huiguan stores my email address and choices to send me the notices and bulletin I asked for."
)
SUBSCRIPTION_CONSENT_DETAILS = _(
    "Nothing is sent before you confirm your address. Every message has a link to change your choices or "
    "unsubscribe at once, and from it you can download or erase your data at any time."
)
CATEGORIES = [value for value, _label in Notice.Category.choices]


def normalize_email(email: str) -> str:
    return (email or "").strip().lower()


def new_token() -> str:
    return secrets.token_urlsafe(32)


def consent_text(*, language: str | None) -> dict[str, str]:
    language = normalize_language(language) or settings.LANGUAGE_CODE
    with translation.override(language):
        return {
            "key": SUBSCRIPTION_CONSENT,
            "version": SUBSCRIPTION_CONSENT_VERSION,
            "language": language,
            "label": str(SUBSCRIPTION_CONSENT_LABEL),
            "details": str(SUBSCRIPTION_CONSENT_DETAILS),
        }


def consent_record(*, language: str | None, now: dt.datetime) -> dict:
    shown = consent_text(language=language)
    return {
        SUBSCRIPTION_CONSENT: {
            "agreed": True,
            "version": shown["version"],
            "language": shown["language"],
            "agreed_at": now.isoformat(),
            "text": f"{shown['label']} {shown['details']}",
        }
    }


def _window(now: dt.datetime) -> str:
    return f"w{int(now.timestamp()) // MANAGE_LINK_WINDOW_SECONDS}"


def _queue_confirmation(subscription: Subscription, *, now: dt.datetime) -> None:
    """The confirmation email through the outbox: once per window however often it is asked for."""
    insert(
        [
            Notification(
                subscription=subscription,
                recipient=subscription.email,
                kind=Notification.Kind.SUBSCRIPTION_CONFIRM,
                language=subscription.language,
                dedupe_key=f"{Notification.Kind.SUBSCRIPTION_CONFIRM}:sub-{subscription.pk}:{_window(now)}",
            )
        ]
    )


def _apply_choices(
    subscription: Subscription,
    *,
    language: str,
    all_organizations: bool,
    organizations: list,
    bulletin: bool,
    notice_categories: list[str],
) -> None:
    subscription.language = normalize_language(language) or settings.LANGUAGE_CODE
    subscription.all_organizations = bool(all_organizations) or not organizations
    subscription.bulletin = bool(bulletin)
    subscription.notice_categories = [c for c in CATEGORIES if c in set(notice_categories or [])]
    subscription.save()
    subscription.organizations.set([] if subscription.all_organizations else organizations)


@transaction.atomic
def subscribe(
    *,
    email: str,
    language: str,
    all_organizations: bool = True,
    organizations: list | None = None,
    bulletin: bool = True,
    notice_categories: list[str] | None = None,
    consent_language: str | None = None,
    now: dt.datetime | None = None,
) -> Subscription:
    """Ask to subscribe ``email``; sends the confirmation unless the address is already confirmed.

    Locks the address's subscription row (``select_for_update``). The caller shows the same answer
    whatever happened here ("check your inbox"), so nobody learns who is subscribed.
    """
    now = now or timezone.now()
    email = normalize_email(email)
    choices = {
        "language": language,
        "all_organizations": all_organizations,
        "organizations": list(organizations or []),
        "bulletin": bulletin,
        "notice_categories": list(notice_categories if notice_categories is not None else CATEGORIES),
    }
    subscription = Subscription.objects.select_for_update().filter(email=email).first()
    if subscription is None:
        try:
            with transaction.atomic():
                subscription = Subscription.objects.create(
                    email=email,
                    language=normalize_language(language) or settings.LANGUAGE_CODE,
                    token=new_token(),
                    consent=consent_record(language=consent_language or language, now=now),
                )
        except IntegrityError:  # the same address at the same moment: theirs is the row
            subscription = Subscription.objects.select_for_update().get(email=email)
    if subscription.confirmed_at is not None and subscription.unsubscribed_at is None:
        return subscription  # already receiving: nothing changes, nothing is said
    if subscription.unsubscribed_at is not None:  # coming back: confirm again
        subscription.unsubscribed_at = None
        subscription.confirmed_at = None
        subscription.token = new_token()
        subscription.consent = consent_record(language=consent_language or language, now=now)
    _apply_choices(subscription, **choices)
    _queue_confirmation(subscription, now=now)
    return subscription


def by_token(token: str) -> Subscription | None:
    if not token or len(token) > 64:
        return None
    return Subscription.objects.filter(token=token).first()


@transaction.atomic
def confirm(*, token: str, now: dt.datetime | None = None) -> Subscription | None:
    """The confirmation link was opened: the subscription starts receiving. Idempotent."""
    subscription = Subscription.objects.select_for_update().filter(token=token).first()
    if subscription is None or subscription.unsubscribed_at is not None:
        return subscription
    if subscription.confirmed_at is None:
        subscription.confirmed_at = now or timezone.now()
        subscription.save(update_fields=["confirmed_at"])
    return subscription


@transaction.atomic
def update_preferences(
    *,
    token: str,
    language: str,
    all_organizations: bool,
    organizations: list,
    bulletin: bool,
    notice_categories: list[str],
) -> Subscription | None:
    """The preferences page (private link) saved. Locks the subscription row."""
    subscription = Subscription.objects.select_for_update().filter(token=token).first()
    if subscription is None:
        return None
    _apply_choices(
        subscription,
        language=language,
        all_organizations=all_organizations,
        organizations=organizations,
        bulletin=bulletin,
        notice_categories=notice_categories,
    )
    return subscription


@transaction.atomic
def unsubscribe(*, token: str, now: dt.datetime | None = None) -> Subscription | None:
    """One click (RFC 8058) or the button: nothing more is sent, including copies already queued."""
    subscription = Subscription.objects.select_for_update().filter(token=token).first()
    if subscription is None:
        return None
    if subscription.unsubscribed_at is None:
        subscription.unsubscribed_at = now or timezone.now()
        subscription.save(update_fields=["unsubscribed_at"])
    return subscription


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value else None


def subscription_export(*, subscription: Subscription) -> dict:
    """What we hold about one subscription (its private link proves the address's owner)."""
    email = subscription.email
    return {
        "email": email,
        "language": subscription.language,
        "all_organizations": subscription.all_organizations,
        "organizations": [str(org) for org in subscription.organizations.all()],
        "bulletin": subscription.bulletin,
        "notice_categories": list(subscription.notice_categories),
        "consent": subscription.consent,
        "created_at": _iso(subscription.created_at),
        "confirmed_at": _iso(subscription.confirmed_at),
        "unsubscribed_at": _iso(subscription.unsubscribed_at),
        "emails": [
            {"message": str(message), "status": status, "sent_at": _iso(sent_at)}
            for message, status, sent_at in ListDelivery.objects.filter(email=email)
            .order_by("pk")
            .values_list("message__dedupe_key", "status", "sent_at")
        ]
        + [
            {"message": kind, "status": status, "sent_at": _iso(sent_at)}
            for kind, status, sent_at in Notification.objects.filter(subscription=subscription)
            .order_by("pk")
            .values_list("kind", "status", "sent_at")
        ],
        "suppressed": Suppression.objects.filter(email=email, suppressed_at__isnull=False).exists(),
    }


@transaction.atomic
def subscription_erase(*, subscription_id: int) -> bool:
    """Remove the subscriber everywhere: the subscription, its emails (confirmation rows, list
    copies sent or pending) and any suppression record of the address. Idempotent."""
    subscription = Subscription.objects.select_for_update().filter(pk=subscription_id).first()
    if subscription is None:
        return False
    email = subscription.email
    Notification.objects.filter(subscription=subscription).delete()
    ListDelivery.objects.filter(email=email).delete()
    Suppression.objects.filter(email=email).delete()
    subscription.delete()
    return True
