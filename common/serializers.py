"""Serializer fields for translated content."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from common.i18n import active_language, clean_translations, content_languages, pick


@extend_schema_field(
    {"type": "object", "additionalProperties": {"type": "string"}, "example": {"en": "Tea", "zh-hans": "茶"}}
)
class TranslationsField(serializers.JSONField):
    """All languages at once: ``{"en": "...", "zh-hans": "...", "ja": "..."}``."""

    def __init__(self, *, max_length: int | None = None, **kwargs):
        self.max_length = max_length
        kwargs.setdefault("help_text", 'Text per language code, e.g. {"en": "…", "zh-hans": "…"}.')
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        try:
            return clean_translations(data, max_length=self.max_length)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.messages) from exc


@extend_schema_field(OpenApiTypes.STR)
class TranslatedField(serializers.Field):
    """One language, read-only: the request's language, else the object's default language."""

    def __init__(self, **kwargs):
        kwargs["read_only"] = True
        super().__init__(**kwargs)

    def get_attribute(self, instance):
        return instance

    def to_representation(self, instance) -> str:
        value = getattr(instance, self.source_attrs[-1] if self.source_attrs else self.field_name)
        fallbacks = instance.fallback_languages() if hasattr(instance, "fallback_languages") else []
        return pick(value, active_language(), fallbacks)


def language_code_field(**kwargs):
    return serializers.ChoiceField(choices=content_languages(), **kwargs)
