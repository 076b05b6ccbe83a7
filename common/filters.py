"""Query-string filters shared by the API's filter sets."""

from __future__ import annotations

import datetime as dt

import django_filters
from django import forms
from django_filters.constants import EMPTY_VALUES
from django_filters.fields import IsoDateTimeField

from common.serializers import DATETIME_OUT_OF_RANGE, EARLIEST_DATETIME, LATEST_DATETIME


class BoundedIsoDateTimeField(IsoDateTimeField):
    """An ISO 8601 date-time from 2000 to 2099, in UTC.

    Converting to UTC here matters on PostgreSQL: ISO 8601 lets a client write any offset
    (``-16:44``), which PostgreSQL refuses beyond ±15:59 with an error rather than a 400.
    """

    default_error_messages = {"out_of_range": DATETIME_OUT_OF_RANGE}

    def to_python(self, value):
        result = super().to_python(value)
        if result is None or result.tzinfo is None:
            return result
        try:
            return result.astimezone(dt.UTC)
        except OverflowError as exc:  # e.g. 0001-01-01T00:00+01:00
            raise forms.ValidationError(self.error_messages["out_of_range"], code="out_of_range") from exc

    def clean(self, value):
        result = super().clean(value)
        if result is not None and not EARLIEST_DATETIME <= result < LATEST_DATETIME:
            raise forms.ValidationError(self.error_messages["out_of_range"], code="out_of_range")
        return result


class BoundedIsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = BoundedIsoDateTimeField


class StableOrderingFilter(django_filters.OrderingFilter):
    """``ordering=`` that keeps pages stable: the requested fields, then the queryset's own order
    as tie-breakers, then the primary key.

    The stock filter replaces the whole order: ``ordering=price`` sorts ties (every free event) in
    whatever order the database likes, so a row can show on two pages and another on none, and
    ``ordering=,`` (no field named) clears the order altogether.
    """

    def filter(self, qs, value):
        requested = [self.get_ordering_value(param) for param in value or () if param not in EMPTY_VALUES]
        if not requested:
            return qs
        named = {field.lstrip("-") for field in requested}
        tail = [field for field in qs.query.order_by if isinstance(field, str) and field.lstrip("-") not in named]
        if not named & {"id", "pk"} and not any(field.lstrip("-") in ("id", "pk") for field in tail):
            tail.append("pk")
        return qs.order_by(*requested, *tail)
