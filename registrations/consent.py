"""The privacy consent asked at registration: its text per language, its version, and what we store.

The text shown is the text agreed to, so the registration keeps a copy of it (in the language it
was shown in) with the version and the moment, rather than a bare ``true``: if the wording
changes later, each registration still says exactly what its person agreed to.

Changing the wording (here or in a translation) means a new ``PRIVACY_CONSENT_VERSION``;
``tests/registrations/test_privacy.py`` pins the texts to the version so that cannot be forgotten.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from common.i18n import normalize_language

PRIVACY = "privacy"
PRIVACY_CONSENT_VERSION = "2026-11-23"

PRIVACY_LABEL = _("I agree that the organizer stores my name, email address and answers to run this event.")
PRIVACY_DETAILS = _(
    "They are used only for this event: your ticket, reminders and changes. With the link we send you, "
    "you can cancel, download your data or have it erased at any time. Registrations are anonymised "
    "%(days)d days after the event ends."
)


def anonymise_after_days() -> int:
    return int(getattr(settings, "ANONYMISE_AFTER_DAYS", 365))


def privacy_consent_text(*, language: str | None) -> dict[str, str]:
    """The consent as shown in ``language`` (falls back to the site language): version, label, details."""
    language = normalize_language(language) or settings.LANGUAGE_CODE
    with translation.override(language):
        return {
            "key": PRIVACY,
            "version": PRIVACY_CONSENT_VERSION,
            "language": language,
            "label": str(PRIVACY_LABEL),
            "details": str(PRIVACY_DETAILS) % {"days": anonymise_after_days()},
        }


def privacy_consent_record(*, language: str | None, now: dt.datetime) -> dict:
    """What a registration stores about the consent given: the text shown, its version and language, when."""
    shown = privacy_consent_text(language=language)
    return {
        PRIVACY: {
            "agreed": True,
            "version": shown["version"],
            "language": shown["language"],
            "agreed_at": now.isoformat(),
            "text": f"{shown['label']} {shown['details']}",
        }
    }
