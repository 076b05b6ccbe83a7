"""Serializer fields for translated content."""

from __future__ import annotations

import copy
import datetime as dt

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from common.i18n import active_language, clean_translations, content_languages, pick
from common.names import clean_name


class TranslationsField(serializers.JSONField):
    """All languages at once: ``{"en": "...", "zh-hans": "...", "ja": "..."}``.

    Its OpenAPI schema (language keys, max length) comes from common.schema.TranslationsFieldExtension.
    """

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


# Dates people type for events, scans and cursors. Outside this range it is a typo or a probe, and
# before ~1900 time zones had offsets in seconds (Shanghai LMT +08:05:43) that RFC 3339 cannot write.
EARLIEST_DATETIME = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
LATEST_DATETIME = dt.datetime(2100, 1, 1, tzinfo=dt.UTC)
DATETIME_OUT_OF_RANGE = _("Use a date and time between the years 2000 and 2099.")


class BoundedDateTimeField(serializers.DateTimeField):
    """An aware date and time from 2000 to 2099."""

    default_error_messages = {"out_of_range": DATETIME_OUT_OF_RANGE}

    def to_internal_value(self, value):
        result = super().to_internal_value(value)
        if not EARLIEST_DATETIME <= result < LATEST_DATETIME:
            self.fail("out_of_range")
        return result


def language_code_field(**kwargs):
    return serializers.ChoiceField(choices=content_languages(), **kwargs)


class ErrorDetailSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="A stable code, e.g. invalid, not_found, registration_closed.")
    message = serializers.CharField(help_text="A human message in the request's language.")
    fields = serializers.DictField(
        required=False,
        help_text="Per-field messages: a list of strings, or an object for nested input (answers by question key).",
    )


class ErrorSerializer(serializers.Serializer):
    """The body of every 4xx/5xx answer (common.exceptions.exception_handler)."""

    error = ErrorDetailSerializer()


class StrictBooleanField(serializers.BooleanField):
    """JSON ``true`` or ``false`` only. DRF's BooleanField also takes "yes", "on", "1", 1: fine for a
    filter, not for an agreement, where only an explicit ``true`` may count as "I agree"."""

    default_error_messages = {"invalid": _("Must be true or false (a JSON boolean).")}

    def to_internal_value(self, data):
        if isinstance(data, bool):
            return data
        self.fail("invalid", input=data)


class PersonNameField(serializers.CharField):
    """A person's name through ``common.names.clean_name`` (NFC, no format or control characters,
    spaces collapsed). Invisible-only input becomes empty, so ``allow_blank`` decides as for ""."""

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        cleaned = clean_name(value)
        if not cleaned and not self.allow_blank:
            self.fail("blank")
        return cleaned


# Fields that hold other fields (bound to them when built): copied in full, as DRF does, so each
# copy's children answer to that copy. Every other field is plain attributes until bound.
_NESTING_FIELDS = (
    serializers.BaseSerializer,
    serializers.ListField,
    serializers.DictField,  # HStoreField too
    serializers.ManyRelatedField,
)


def _unbound_copy(field: serializers.Field) -> serializers.Field:
    return copy.deepcopy(field) if isinstance(field, _NESTING_FIELDS) else copy.copy(field)


class PreparedFields:
    """Serializer mixin: the fields are built once per class, not per instance.

    DRF builds every field of a serializer each time one is made: ``ModelSerializer.get_fields``
    walks the model's metadata, and both kinds deep-copy their declared fields, which makes each
    field again from its arguments (a third of a registration's response time). The built set
    depends only on the class (its ``Meta`` and declared fields), so it is kept, unbound; each
    instance gets its own copies to bind (binding changes a field). A field that holds others (a
    nested serializer, a list) is copied in full as DRF does; a plain one is copied attribute by
    attribute, which is what making it again from its arguments amounts to, ten times faster.
    Not for a subclass whose ``get_fields`` depends on the context or the instance.
    """

    def get_fields(self):
        cls = type(self)
        prepared = cls.__dict__.get("_prepared_fields")
        if prepared is None:
            prepared = super().get_fields()
            cls._prepared_fields = prepared
        return {name: _unbound_copy(field) for name, field in prepared.items()}


class PreparedSerializer(PreparedFields, serializers.Serializer):
    """A Serializer whose declared fields are copied from a kept set (``PreparedFields``)."""


class PreparedModelSerializer(PreparedFields, serializers.ModelSerializer):
    """A ModelSerializer whose fields are built from the model once per class (``PreparedFields``)."""
