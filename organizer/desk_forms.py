"""The desk's forms: an event or course in one guided form, a session, the image.

They only clean input; saving goes through the same services as the API (``events.services``
for create / questions / images / sessions, ``organizer.services`` for edits that reach
attendees). Texts are entered per language side by side (``common.forms``). Times are entered
in the event's own time zone: the views activate it while a form is bound and rendered.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Mapping

from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from common.forms import SpokenLanguagesField, TranslationsField, TranslationsFormMixin, language_choices
from events.limits import DESCRIPTION_MAX_LENGTH, MAX_CHOICES, SUMMARY_MAX_LENGTH, TITLE_MAX_LENGTH
from events.models import Event, Question, timezone_choices
from events.recurrence import localize
from events.services import EVENT_FIELDS
from organizations.models import Category, Organization, Venue

DATETIME_LOCAL = "%Y-%m-%dT%H:%M"

# The guided form's steps, in order: (legend, fields).
EVENT_SECTIONS = (
    (_("What"), ("kind", "default_language", "title", "summary", "description", "spoken_languages", "category")),
    (_("Where and when"), ("venue", "online_url", "timezone")),
    (_("Registration"), ("capacity", "max_guests", "registration_opens_at", "registration_closes_at", "slug")),
    (
        _("Price and payment"),
        ("price", "currency", "payment_methods", "allow_pay_at_door", "payment_hold_minutes"),
    ),
    (_("Refund policy"), ("refund_full_days", "refund_partial_percent", "refund_partial_days")),
    (_("Reminders and check-in"), ("reminder_hours", "checkin_opens_minutes", "completion_threshold")),
)


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs, format=DATETIME_LOCAL)


class DeskEventForm(TranslationsFormMixin, forms.Form):
    """The fields of ``events.services.EVENT_FIELDS``, labelled in the reader's language."""

    organization = forms.ModelChoiceField(queryset=Organization.objects.none(), label=_("Organization"))
    kind = forms.ChoiceField(
        label=_("Kind"), choices=Event.Kind.choices, widget=forms.RadioSelect, initial=Event.Kind.EVENT
    )
    default_language = forms.ChoiceField(
        label=_("Default language"),
        choices=language_choices,
        help_text=_("The title must exist in this language; it is the fallback for others."),
    )
    title = TranslationsField(max_length=TITLE_MAX_LENGTH, label=_("Title"))
    summary = TranslationsField(
        required=False, multiline=True, rows=2, max_length=SUMMARY_MAX_LENGTH, label=_("Summary")
    )
    description = TranslationsField(
        required=False, multiline=True, rows=6, max_length=DESCRIPTION_MAX_LENGTH, label=_("Description")
    )
    spoken_languages = SpokenLanguagesField(label=_("Spoken languages"))
    category = forms.ModelChoiceField(
        queryset=Category.objects.order_by("slug"), required=False, label=_("Category"), empty_label="—"
    )
    venue = forms.ModelChoiceField(
        queryset=Venue.objects.none(),
        required=False,
        label=_("Venue"),
        empty_label="—",
        help_text=_("Leave empty for an online event."),
    )
    online_url = forms.URLField(required=False, max_length=200, assume_scheme="https", label=_("Online URL"))
    timezone = forms.ChoiceField(
        choices=timezone_choices,
        label=_("Time zone"),
        help_text=_("Sessions are shown to attendees in this time zone."),
    )
    capacity = forms.IntegerField(min_value=0, max_value=100_000, label=_("Capacity"), help_text=_("Seats in total."))
    max_guests = forms.IntegerField(
        min_value=0,
        max_value=20,
        initial=0,
        label=_("Guests per registration"),
        help_text=_("How many guests one registration may bring (each takes a seat and gets a ticket)."),
    )
    registration_opens_at = forms.DateTimeField(
        required=False, widget=DateTimeLocalInput(), label=_("Registration opens")
    )
    registration_closes_at = forms.DateTimeField(
        required=False, widget=DateTimeLocalInput(), label=_("Registration closes")
    )
    slug = forms.SlugField(
        max_length=80,
        label=_("Web address"),
        help_text=_("The end of the public page's address, e.g. tea-evening. Letters, digits and hyphens."),
    )
    price = forms.DecimalField(
        min_value=0, max_digits=10, decimal_places=2, initial=0, label=_("Price"), help_text=_("0 for a free event.")
    )
    currency = forms.CharField(min_length=3, max_length=3, initial="CNY", label=_("Currency"))
    payment_methods = forms.MultipleChoiceField(
        choices=[("card", _("Card")), ("alipay", "Alipay"), ("wechat_pay", "WeChat Pay")],
        widget=forms.CheckboxSelectMultiple,
        required=False,
        label=_("Online payment methods"),
        help_text=_("Offered in Stripe Checkout for paid events."),
    )
    allow_pay_at_door = forms.BooleanField(
        required=False,
        label=_("Allow paying at the door"),
        help_text=_("Attendees may choose to pay in cash at the door; volunteers collect it."),
    )
    payment_hold_minutes = forms.IntegerField(
        min_value=1,
        max_value=7 * 24 * 60,
        initial=30,
        label=_("Payment hold (minutes)"),
        help_text=_("How long an unpaid registration holds its seat."),
    )
    refund_full_days = forms.IntegerField(
        min_value=0,
        max_value=365,
        required=False,
        label=_("Full refund until (days before)"),
        help_text=_("Empty: a full refund until the event starts."),
    )
    refund_partial_percent = forms.IntegerField(
        min_value=0,
        max_value=100,
        initial=0,
        required=False,
        label=_("Then refund (%)"),
        help_text=_("The share refunded after the full refund ends; 0 for none."),
    )
    refund_partial_days = forms.IntegerField(
        min_value=0,
        max_value=365,
        initial=0,
        required=False,
        label=_("Partial refund until (days before)"),
        help_text=_("After this, nothing is refunded; 0: until the event starts."),
    )
    reminder_hours = forms.IntegerField(
        min_value=0,
        max_value=168,
        initial=24,
        label=_("Reminder (hours before)"),
        help_text=_("0 sends no reminder."),
    )
    checkin_opens_minutes = forms.IntegerField(
        min_value=0,
        max_value=24 * 60,
        initial=60,
        label=_("Check-in opens (minutes before)"),
        help_text=_("Check-in opens this many minutes before a session starts."),
    )
    completion_threshold = forms.IntegerField(
        required=False,  # events have no use for it; blank = the default 75 %
        min_value=1,
        max_value=100,
        initial=75,
        label=_("completion threshold (%)"),
        help_text=_(
            "Courses: the share of held sessions a participant must attend to complete the course "
            "and receive a certificate."
        ),
    )

    def __init__(self, *args, organizations, event: Event | None = None, **kwargs):
        self.event = event
        if event is not None:
            kwargs.setdefault("initial", self.initial_for(event))
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = organizations
        venues = Venue.objects.filter(organization__in=organizations).select_related("organization")
        if event is not None:
            # An event stays in its organization: its venues only.
            del self.fields["organization"]
            venues = venues.filter(organization_id=event.organization_id)
        elif len(organizations) == 1:
            self.fields["organization"].initial = organizations[0].pk
            self.fields["organization"].widget = forms.HiddenInput()
        self.fields["venue"].queryset = venues
        for name in ("title", "summary", "description"):
            attrs = self.fields[name].widget.attrs
            attrs["data-completeness-field"] = name
            attrs["data-completeness-label"] = str(self.fields[name].label)

    @staticmethod
    def initial_for(event: Event) -> dict:
        initial = {name: getattr(event, name) for name in EVENT_FIELDS if name not in ("category", "venue")}
        initial["category"] = event.category_id
        initial["venue"] = event.venue_id
        return initial

    def sections(self):
        """The bound fields grouped into the guided form's steps."""
        for legend, names in EVENT_SECTIONS:
            yield legend, [self[name] for name in names if name in self.fields]

    def clean_completion_threshold(self) -> int:
        return self.cleaned_data.get("completion_threshold") or Event._meta.get_field("completion_threshold").default

    def clean_refund_partial_percent(self) -> int:
        return self.cleaned_data.get("refund_partial_percent") or 0

    def clean_refund_partial_days(self) -> int:
        return self.cleaned_data.get("refund_partial_days") or 0

    def clean_currency(self) -> str:
        return self.cleaned_data["currency"].upper()

    def clean(self):
        cleaned = super().clean()
        language = cleaned.get("default_language")
        title = cleaned.get("title")
        if title is not None and language and not title.get(language):
            self.add_error("title", _("A title in the default language is required."))
        return cleaned

    def service_fields(self) -> dict:
        """What to hand the service: on an edit, only what changed (the audit log shows real edits)."""
        fields = {name: self.cleaned_data[name] for name in EVENT_FIELDS if name in self.cleaned_data}
        if self.event is not None:
            fields = {name: value for name, value in fields.items() if name in self.changed_data}
        return fields

    def add_service_errors(self, fields: Mapping[str, list]) -> None:
        """Put an ``InvalidInput.fields`` mapping onto the matching form fields."""
        for name, errors in fields.items():
            self.add_error(name if name in self.fields else None, [str(error) for error in errors])


class DeskImageForm(forms.Form):
    image = forms.FileField(label=_("Image"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        widget = self.fields["image"].widget
        widget.attrs.update({"accept": "image/jpeg,image/png,image/webp", "data-image-preview": "image-preview"})
        self.fields["image"].help_text = _("JPEG, PNG or WebP, at most %(size)s.") % {
            "size": filesizeformat(settings.EVENT_IMAGE_MAX_BYTES)
        }


class DeskSessionForm(TranslationsFormMixin, forms.Form):
    """One session: a day, a start and an end time in the event's zone, an optional room and title."""

    date = forms.DateField(label=_("Date"), widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}))
    starts = forms.TimeField(label=_("Starts"), widget=forms.TimeInput(format="%H:%M", attrs={"type": "time"}))
    ends = forms.TimeField(label=_("Ends"), widget=forms.TimeInput(format="%H:%M", attrs={"type": "time"}))
    venue = forms.ModelChoiceField(queryset=Venue.objects.none(), required=False, label=_("Venue"))
    title = TranslationsField(
        required=False, max_length=TITLE_MAX_LENGTH, label=_("Title"), help_text=_("Optional, e.g. 'Lesson 3'.")
    )
    allow_overlap = forms.BooleanField(
        required=False,
        widget=forms.HiddenInput,
        label=_("Schedule anyway"),
        help_text=_("Keep it although it overlaps another session in the same venue."),
    )

    def __init__(self, *args, event: Event, **kwargs):
        super().__init__(*args, **kwargs)
        self.event = event
        venue = self.fields["venue"]
        venue.queryset = Venue.objects.filter(organization_id=event.organization_id).select_related("organization")
        venue.empty_label = (
            _("The event's venue (%(venue)s)") % {"venue": event.venue} if event.venue_id else _("No venue")
        )
        for name in ("date", "starts", "ends"):
            self.fields[name].help_text = _("In the event's time zone, %(zone)s.") % {"zone": event.timezone}

    def offer_overlap(self) -> None:
        self.fields["allow_overlap"].widget = forms.CheckboxInput()

    @property
    def overlap_offered(self) -> bool:
        return not self.fields["allow_overlap"].widget.is_hidden

    def clean(self):
        cleaned = super().clean()
        day, starts, ends = cleaned.get("date"), cleaned.get("starts"), cleaned.get("ends")
        if day and starts and ends:
            zone = zoneinfo.ZoneInfo(self.event.timezone)
            start = localize(dt.datetime.combine(day, starts), self.event.timezone)
            end_day = day if ends > starts else day + dt.timedelta(days=1)  # 22:00–01:00 ends the next day
            cleaned["starts_at"] = start.astimezone(zone)
            cleaned["ends_at"] = localize(dt.datetime.combine(end_day, ends), self.event.timezone)
        return cleaned

    def service_fields(self) -> dict:
        return {
            "starts_at": self.cleaned_data["starts_at"],
            "ends_at": self.cleaned_data["ends_at"],
            "venue": self.cleaned_data["venue"],
            "title": self.cleaned_data["title"],
        }

    @staticmethod
    def initial_for(session) -> dict:
        zone = zoneinfo.ZoneInfo(session.event.timezone)
        start, end = session.starts_at.astimezone(zone), session.ends_at.astimezone(zone)
        return {
            "date": start.date(),
            "starts": start.time(),
            "ends": end.time(),
            "venue": session.venue_id,
            "title": session.title,
        }

    def add_service_errors(self, fields: Mapping[str, list]) -> None:
        rename = {"starts_at": "starts", "ends_at": "ends"}
        for name, errors in fields.items():
            name = rename.get(name, name)
            self.add_error(name if name in self.fields else None, [str(error) for error in errors])


class DuplicateForm(forms.Form):
    slug = forms.SlugField(
        max_length=80, label=_("Web address of the copy"), help_text=_("Letters, digits and hyphens.")
    )
    first_day = forms.DateField(
        label=_("Date of the first session"),
        widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
        help_text=_("The other sessions keep their distance from the first one and their times."),
    )

    def clean_slug(self) -> str:
        slug = self.cleaned_data["slug"]
        if Event.objects.filter(slug=slug).exists():
            raise forms.ValidationError(_("Another event already uses this address (slug)."))
        return slug


class DeskQuestionForm(TranslationsFormMixin, forms.Form):
    """One registration question: its label per language, the kind of answer, and for a choice
    its options (one per line, the lines of each language in the same order)."""

    label = TranslationsField(max_length=TITLE_MAX_LENGTH, label=_("Question"))
    kind = forms.ChoiceField(label=_("Kind of answer"), choices=Question.Kind.choices, initial=Question.Kind.TEXT)
    options = TranslationsField(
        required=False,
        multiline=True,
        rows=5,
        max_length=MAX_CHOICES * (TITLE_MAX_LENGTH + 1),
        label=_("Options"),
        help_text=_(
            "For a choice: one option per line, in the same order in every language (answers are kept "
            "per line, so add new options at the end)."
        ),
    )
    required = forms.BooleanField(required=False, label=_("Required"))
    show_at_checkin = forms.BooleanField(
        required=False, label=_("Show at check-in"), help_text=_("The volunteer at the door sees the answer.")
    )

    def __init__(self, *args, event: Event, question: Question | None = None, **kwargs):
        self.event, self.question = event, question
        if question is not None:
            kwargs.setdefault("initial", self.initial_for(question))
        super().__init__(*args, **kwargs)

    @staticmethod
    def initial_for(question: Question) -> dict:
        lines: dict[str, list[str]] = {}
        for choice in question.choices or []:
            for language, text in (choice.get("label") or {}).items():
                lines.setdefault(language, []).append(text)
        return {
            "label": question.label,
            "kind": question.kind,
            "options": {language: "\n".join(texts) for language, texts in lines.items()},
            "required": question.required,
            "show_at_checkin": question.show_at_checkin,
        }

    def clean(self):
        cleaned = super().clean()
        label = cleaned.get("label") or {}
        if "label" in cleaned and not label.get(self.event.default_language):
            self.add_error("label", _("Write the question in the event's default language."))
        if cleaned.get("kind") == Question.Kind.CHOICE:
            rows = self._option_rows(cleaned.get("options") or {})
            if len(rows) < 2:
                self.add_error("options", _("A choice needs at least two options."))
            elif len(rows) > MAX_CHOICES:
                self.add_error("options", _("At most %(max)d options.") % {"max": MAX_CHOICES})
            cleaned["choices"] = self._choices(rows)
        else:
            cleaned["choices"] = []
        return cleaned

    def _option_rows(self, options: dict[str, str]) -> list[dict[str, str]]:
        """Line n of every language is option n (a language with fewer lines lacks those options)."""
        per_language = {
            language: [line.strip() for line in text.splitlines() if line.strip()] for language, text in options.items()
        }
        count = max((len(lines) for lines in per_language.values()), default=0)
        return [
            {language: lines[n] for language, lines in per_language.items() if n < len(lines)} for n in range(count)
        ]

    def _choices(self, rows: list[dict[str, str]]) -> list[dict]:
        """Existing options keep their stored value by position, so answers given stay readable."""
        known = [choice.get("value") for choice in (self.question.choices if self.question else [])]
        taken, choices = set(known), []
        for n, label in enumerate(rows):
            value = known[n] if n < len(known) else None
            if not value:
                value = slugify(label.get("en", "")) or f"option-{n + 1}"
                while value in taken:
                    value = f"{value}-{n + 1}"
            taken.add(value)
            choices.append({"value": value, "label": label})
        return choices
