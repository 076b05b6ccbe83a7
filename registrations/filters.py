import django_filters
from django.db.models import Q

from common.i18n import content_languages
from registrations.models import Registration


class RegistrationFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=Registration.Status.choices)
    language = django_filters.ChoiceFilter(choices=[(code, code) for code in content_languages()])
    q = django_filters.CharFilter(method="filter_q", max_length=100, help_text="Search name, email or guest names.")

    class Meta:
        model = Registration
        fields: list[str] = []

    def filter_q(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(
            Q(name__icontains=value) | Q(email__icontains=value) | Q(tickets__name__icontains=value)
        ).distinct()
