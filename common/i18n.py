"""Translated content stored as JSON objects keyed by language code.

Why JSON and not django-parler/modeltranslation: the API must accept and return every
language at once (a JSON object maps onto that directly), adding a language must not need a
migration or a join, and lists stay one query per table. The cost is this small helper.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

Translations = Mapping[str, str]

# For the OpenAPI schema's enum of content languages (drf-spectacular ENUM_NAME_OVERRIDES).
CONTENT_LANGUAGE_CHOICES = [(code, code) for code in settings.CONTENT_LANGUAGES]


def content_languages() -> list[str]:
    return list(settings.CONTENT_LANGUAGES)


def normalize_language(code: str | None) -> str | None:
    """Map a browser/IETF tag (``zh-CN``, ``zh_Hans``, ``ja-JP``) to a content language."""
    if not code:
        return None
    code = code.strip().lower().replace("_", "-")
    languages = content_languages()
    if code in languages:
        return code
    aliases = {"zh": "zh-hans", "zh-cn": "zh-hans", "zh-sg": "zh-hans", "zh-hans-cn": "zh-hans"}
    if aliases.get(code) in languages:
        return aliases[code]
    base = code.split("-")[0]
    if base in languages:
        return base
    return None


def pick(value: Translations | None, language: str | None, fallbacks: Iterable[str] = ()) -> str:
    """The text in ``language``, else the first fallback that has one, else any text at all."""
    if not value:
        return ""
    for code in (language, *fallbacks, settings.LANGUAGE_CODE):
        if code and value.get(code):
            return value[code]
    return next((text for text in value.values() if text), "")


def active_language() -> str:
    return normalize_language(get_language()) or settings.LANGUAGE_CODE


def clean_translations(
    value: object, *, required_language: str | None = None, max_length: int | None = None
) -> dict[str, str]:
    """Validate a ``{"en": "...", "ja": "..."}`` object; raise ValidationError with a clear message."""
    if value in (None, ""):
        value = {}
    if not isinstance(value, Mapping):
        raise ValidationError(_("Expected an object mapping language codes to text."), code="invalid")
    allowed = content_languages()
    cleaned: dict[str, str] = {}
    for code, text in value.items():
        if code not in allowed:
            raise ValidationError(
                _("Unknown language code “%(code)s”. Use one of: %(allowed)s."),
                code="unknown_language",
                params={"code": code, "allowed": ", ".join(allowed)},
            )
        if text is None:
            continue
        if not isinstance(text, str):
            raise ValidationError(_("The %(code)s text must be a string."), code="invalid", params={"code": code})
        text = text.strip()
        if "\x00" in text:  # PostgreSQL's jsonb cannot hold it
            raise ValidationError(_("Null characters are not allowed."), code="null_characters_not_allowed")
        if max_length is not None and len(text) > max_length:
            raise ValidationError(
                _("The %(code)s text is longer than %(max)s characters."),
                code="max_length",
                params={"code": code, "max": max_length},
            )
        if text:
            cleaned[code] = text
    if required_language and not cleaned.get(required_language):
        raise ValidationError(
            _("A text in the default language (%(code)s) is required."),
            code="required_language",
            params={"code": required_language},
        )
    return cleaned


class TranslatedMixin:
    """``obj.t("title", "ja")`` picks a translation, falling back to the object's default language."""

    def fallback_languages(self) -> list[str]:
        return [getattr(self, "default_language", settings.LANGUAGE_CODE)]

    def t(self, field: str, language: str | None = None) -> str:
        return pick(getattr(self, field), language, self.fallback_languages())
