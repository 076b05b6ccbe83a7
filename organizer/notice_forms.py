"""The desk's notice form: texts per language side by side (``common.forms``), category, venue or
area, dates, urgent. It only cleans; ``notifications.board`` validates again and saves."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from common.forms import TranslationsField, TranslationsFormMixin
from notifications import board
from notifications.models import Notice
from organizations.models import Organization, Venue

NOTICE_SECTIONS = (
    (_("What"), ("category", "title", "body", "urgent")),
    (_("Where and when"), ("venue", "area", "valid_from", "valid_until")),
)


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


class DeskNoticeForm(TranslationsFormMixin, forms.Form):
    organization = forms.ModelChoiceField(queryset=Organization.objects.none(), label=_("Organization"))
    category = forms.ChoiceField(label=_("Category"), choices=Notice.Category.choices)
    title = TranslationsField(max_length=board.TITLE_MAX, label=_("Title"))
    body = TranslationsField(multiline=True, rows=6, max_length=board.BODY_MAX, label=_("Text"))
    urgent = forms.BooleanField(
        required=False, label=_("Urgent"), help_text=_("Shown first on the board and marked in the email subject.")
    )
    venue = forms.ModelChoiceField(queryset=Venue.objects.none(), required=False, label=_("Venue"), empty_label="—")
    area = TranslationsField(
        required=False,
        max_length=board.AREA_MAX,
        label=_("Area"),
        help_text=_("A street, a district or a building, if the notice is about a place that is not a venue."),
    )
    valid_from = forms.DateField(required=False, widget=DateInput(), label=_("Valid from"))
    valid_until = forms.DateField(required=False, widget=DateInput(), label=_("Valid until"))

    def __init__(self, *args, organizations, notice: Notice | None = None, **kwargs):
        self.notice = notice
        if notice is not None:
            kwargs.setdefault(
                "initial",
                {
                    "organization": notice.organization_id,
                    "category": notice.category,
                    "title": notice.title,
                    "body": notice.body,
                    "urgent": notice.urgent,
                    "venue": notice.venue_id,
                    "area": notice.area,
                    "valid_from": notice.valid_from,
                    "valid_until": notice.valid_until,
                },
            )
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = organizations
        self.fields["organization"].label_from_instance = lambda org: org.t("name") or org.slug
        self.fields["venue"].queryset = Venue.objects.filter(organization__in=organizations).order_by("pk")
        self.fields["venue"].label_from_instance = lambda venue: venue.t("name") or str(venue.pk)
        if notice is not None or organizations.count() == 1:
            self.fields["organization"].widget = forms.HiddenInput()
            if notice is None:
                self.fields["organization"].initial = organizations.first().pk
        organization = notice.organization if notice else organizations.first()
        if organization is not None:
            self.fields["title"].help_text = _("Required in the default language (%(language)s).") % {
                "language": organization.default_language
            }

    @property
    def sections(self):
        return [(legend, [self[name] for name in names]) for legend, names in NOTICE_SECTIONS]

    def service_fields(self) -> dict:
        data = self.cleaned_data
        return {name: data.get(name) for name in board.EDITABLE}

    def add_service_errors(self, fields: dict) -> None:
        for name, errors in fields.items():
            self.add_error(name if name in self.fields else None, [str(error) for error in errors])
