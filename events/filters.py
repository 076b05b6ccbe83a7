from __future__ import annotations

import django_filters
from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import ValidationError

from common.filters import BoundedIsoDateTimeFilter, StableOrderingFilter
from events.models import Event
from events.serializers import KNOWN_LANGUAGE_CODES
from organizations.models import Category, Organization, Venue


class StrictBooleanField(forms.Field):
    """true/false/1/0/yes/no; anything else is an error (the stock filter silently ignores it)."""

    TRUE, FALSE = {"true", "1", "yes"}, {"false", "0", "no"}

    def to_python(self, value):
        if value in (None, ""):
            return None
        text = str(value).strip().lower()
        if text in self.TRUE:
            return True
        if text in self.FALSE:
            return False
        raise forms.ValidationError(_("Use true or false."), code="invalid")


class StrictBooleanFilter(django_filters.BooleanFilter):
    field_class = StrictBooleanField


class EventFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=Event.Kind.choices)
    category = django_filters.ModelChoiceFilter(
        field_name="category", to_field_name="slug", queryset=Category.objects.all()
    )
    organization = django_filters.ModelChoiceFilter(
        field_name="organization", to_field_name="slug", queryset=Organization.objects.all()
    )
    venue = django_filters.ModelChoiceFilter(field_name="venue", queryset=Venue.objects.all())
    language = django_filters.CharFilter(
        method="filter_language", max_length=16, help_text="A spoken language code, e.g. ja."
    )
    starts_after = BoundedIsoDateTimeFilter(
        field_name="starts_at", lookup_expr="gte", help_text="ISO date-time, e.g. 2026-12-01T00:00:00+08:00."
    )
    starts_before = BoundedIsoDateTimeFilter(field_name="starts_at", lookup_expr="lt")
    free = StrictBooleanFilter(method="filter_free")
    q = django_filters.CharFilter(method="filter_q", max_length=100, help_text="Search the title in every language.")
    past = StrictBooleanFilter(
        method="filter_past", help_text="Include events that are over (default: only upcoming and running)."
    )
    ordering = StableOrderingFilter(
        fields=(("starts_at", "starts_at"), ("price", "price"), ("capacity", "capacity"), ("created_at", "created"))
    )

    class Meta:
        model = Event
        fields: list[str] = []

    def filter_language(self, queryset, name, value):
        code = value.strip().lower()
        if code not in KNOWN_LANGUAGE_CODES:
            raise ValidationError({"language": [_("Unknown language code “%(code)s”.") % {"code": value}]})
        # spoken_languages is a JSON list; matching the quoted code works on SQLite and PostgreSQL.
        return queryset.filter(spoken_languages__icontains=f'"{code}"')

    def filter_free(self, queryset, name, value):
        return queryset.filter(price=0) if value else queryset.filter(price__gt=0)

    def filter_q(self, queryset, name, value):
        terms = value.casefold().split()
        for term in terms:
            queryset = queryset.filter(search_text__contains=term)
        return queryset

    def filter_past(self, queryset, name, value):
        return queryset  # applied in filter_queryset, because an absent flag must filter too

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        if not self.form.cleaned_data.get("past"):
            queryset = queryset.filter(ends_at__gte=timezone.now())
        return queryset

    @property
    def qs(self):
        data = self.form.cleaned_data if self.is_bound and self.form.is_valid() else {}
        after, before = data.get("starts_after"), data.get("starts_before")
        if after and before and before <= after:
            raise ValidationError({"starts_before": [_("starts_before must be later than starts_after.")]})
        return super().qs
