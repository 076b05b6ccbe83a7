"""The organizer's forms: organizations, venues, categories, events, sessions, questions,
memberships and the session generator (translations side by side: ``common.forms``)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db.models import Q
from django.forms.fields import InvalidJSONInput
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from common.forms import (
    SpokenLanguagesField,
    TranslationsField,
    TranslationsFormMixin,
    language_choices,
    require_translation,
    spoken_language_choices,
)
from common.i18n import clean_translations
from events.images import check_event_image
from events.limits import (
    CHOICE_VALUE_MAX_LENGTH,
    DESCRIPTION_MAX_LENGTH,
    MAX_CHOICES,
    MAX_GENERATED_SESSIONS,
    NOTES_MAX_LENGTH,
    SUMMARY_MAX_LENGTH,
    TITLE_MAX_LENGTH,
)
from events.models import Event, Question, Session, timezone_choices
from events.services import EVENT_FIELDS
from organizations.models import Category, Membership, Organization, Venue


class QuestionChoicesField(forms.JSONField):
    """``[{"value": "jp", "label": {"en": "Japan", "ja": "日本"}}, ...]``, shape checked, one choice a line."""

    default_help_text = _(
        'For choice questions: a JSON list like [{"value": "jp", "label": {"en": "Japan", "ja": "日本"}}]. '
        "The value is stored in answers, so do not change it once people have answered."
    )

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("widget", forms.Textarea(attrs={"rows": 4, "class": "json-input"}))
        kwargs.setdefault("help_text", self.default_help_text)
        super().__init__(**kwargs)

    def prepare_value(self, value):
        if isinstance(value, InvalidJSONInput):
            return value
        if isinstance(value, list) and value:
            return "[\n" + ",\n".join(f"  {json.dumps(item, ensure_ascii=False)}" for item in value) + "\n]"
        return super().prepare_value(value)

    def clean(self, value) -> list[dict]:
        value = super().clean(value)
        if value in (None, ""):
            return []
        if not isinstance(value, list):
            raise ValidationError(_("Expected a JSON list of choices."), code="invalid")
        if len(value) > MAX_CHOICES:
            raise ValidationError(_("At most %(n)d choices."), code="max_choices", params={"n": MAX_CHOICES})
        cleaned: list[dict] = []
        seen: set[str] = set()
        for number, item in enumerate(value, start=1):
            if not isinstance(item, Mapping) or set(item) != {"value", "label"}:
                raise ValidationError(
                    _('Choice %(n)d must be an object with exactly "value" and "label".'),
                    code="invalid",
                    params={"n": number},
                )
            choice_value = item["value"]
            if not isinstance(choice_value, str) or not choice_value.strip():
                raise ValidationError(
                    _("Choice %(n)d needs a non-empty text value."), code="invalid", params={"n": number}
                )
            choice_value = choice_value.strip()
            if len(choice_value) > CHOICE_VALUE_MAX_LENGTH:
                raise ValidationError(
                    _("Choice %(n)d: keep the value under %(max)d characters."),
                    code="max_length",
                    params={"n": number, "max": CHOICE_VALUE_MAX_LENGTH},
                )
            if choice_value in seen:
                raise ValidationError(
                    _("The value “%(value)s” is used twice."), code="duplicate", params={"value": choice_value}
                )
            seen.add(choice_value)
            try:
                label = clean_translations(item["label"], max_length=TITLE_MAX_LENGTH)
            except ValidationError as exc:
                raise ValidationError(
                    _("Choice %(n)d label: %(error)s"), code="invalid", params={"n": number, "error": exc.messages[0]}
                ) from exc
            if not label:
                raise ValidationError(_("Choice %(n)d needs a label."), code="invalid", params={"n": number})
            cleaned.append({"value": choice_value, "label": label})
        return cleaned


# --- model forms -------------------------------------------------------------------------------


def _current_organization(instance) -> Organization | None:
    return instance.organization if instance.organization_id else None


# "Name" of a thing, not a person: 名称, not 姓名.
THING_NAME = pgettext_lazy("name of an organization, venue or category", "Name")


class OrganizationAdminForm(TranslationsFormMixin, forms.ModelForm):
    name = TranslationsField(max_length=TITLE_MAX_LENGTH, label=THING_NAME)
    default_language = forms.ChoiceField(choices=language_choices, label=_("Default language"))
    timezone = forms.ChoiceField(choices=timezone_choices, label=_("Time zone"))

    class Meta:
        model = Organization
        fields = ["slug", "name", "contact_email", "default_language", "timezone"]

    def clean(self):
        cleaned = super().clean()
        require_translation(self, "name", cleaned.get("default_language"))
        return cleaned


class VenueAdminForm(TranslationsFormMixin, forms.ModelForm):
    name = TranslationsField(max_length=TITLE_MAX_LENGTH, label=THING_NAME)
    address = TranslationsField(
        required=False, multiline=True, rows=2, max_length=SUMMARY_MAX_LENGTH, label=_("address")
    )
    accessibility_notes = TranslationsField(
        required=False, multiline=True, rows=2, max_length=NOTES_MAX_LENGTH, label=_("Accessibility notes")
    )

    class Meta:
        model = Venue
        fields = ["organization", "name", "address", "latitude", "longitude", "accessibility_notes"]

    def clean(self):
        cleaned = super().clean()
        organization = cleaned.get("organization") or _current_organization(self.instance)
        if organization is not None:
            require_translation(self, "name", organization.default_language)
        return cleaned


class CategoryAdminForm(TranslationsFormMixin, forms.ModelForm):
    name = TranslationsField(max_length=TITLE_MAX_LENGTH, label=THING_NAME)

    class Meta:
        model = Category
        fields = ["slug", "name"]

    def clean(self):
        cleaned = super().clean()
        require_translation(self, "name", settings.LANGUAGE_CODE)
        return cleaned


class EventAdminForm(TranslationsFormMixin, forms.ModelForm):
    default_language = forms.ChoiceField(
        choices=language_choices,
        label=_("Default language"),
        help_text=_("The title must exist in this language; it is the fallback for others."),
    )
    title = TranslationsField(max_length=TITLE_MAX_LENGTH, label=_("Title"))
    summary = TranslationsField(
        required=False, multiline=True, rows=2, max_length=SUMMARY_MAX_LENGTH, label=_("Summary")
    )
    description = TranslationsField(
        required=False, multiline=True, rows=8, max_length=DESCRIPTION_MAX_LENGTH, label=_("Description")
    )
    spoken_languages = SpokenLanguagesField(label=_("Spoken languages"))
    timezone = forms.ChoiceField(
        choices=timezone_choices,
        label=_("Time zone"),
        help_text=_("Sessions are shown to attendees in this time zone."),
    )
    online_url = forms.URLField(required=False, max_length=200, assume_scheme="https", label=_("Online URL"))
    payment_methods = forms.MultipleChoiceField(
        choices=[("card", _("Card")), ("alipay", "Alipay"), ("wechat_pay", "WeChat Pay")],
        widget=forms.CheckboxSelectMultiple,
        required=False,
        label=_("Online payment methods"),
        help_text=_("Offered in Stripe Checkout for paid events."),
    )

    class Meta:
        model = Event
        # The fields an organizer edits are the ones the event services accept (layout: fieldsets).
        fields = ["organization", *sorted(EVENT_FIELDS), "image"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "image" in self.fields:
            self.fields["image"].widget.attrs["accept"] = "image/jpeg,image/png,image/webp"
            self.fields["image"].help_text = _("JPEG, PNG or WebP, at most %(size)s.") % {
                "size": filesizeformat(settings.EVENT_IMAGE_MAX_BYTES)
            }
        if "spoken_languages" in self.fields:
            # Keep codes stored by the API that are not among the usual choices.
            stored = [code for code in (self.instance.spoken_languages or []) if isinstance(code, str)]
            self.fields["spoken_languages"].choices = spoken_language_choices(stored)

    def clean_image(self):
        """A new upload is checked by decoding it (events.images) and replaced by its re-encoded copy."""
        upload = self.cleaned_data.get("image")
        if isinstance(upload, UploadedFile):
            checked = check_event_image(upload)
            self.image_size = (checked.width, checked.height)
            return checked.content
        return upload

    def _post_clean(self):
        super()._post_clean()
        if "image" in self.changed_data:
            self.instance.image_width, self.instance.image_height = getattr(self, "image_size", (None, None))

    def clean(self):
        cleaned = super().clean()
        require_translation(self, "title", cleaned.get("default_language"))
        organization = cleaned.get("organization") or _current_organization(self.instance)
        venue = cleaned.get("venue")
        if venue is not None and organization is not None and venue.organization_id != organization.pk:
            self.add_error("venue", _("This venue belongs to another organization."))
        opens, closes = cleaned.get("registration_opens_at"), cleaned.get("registration_closes_at")
        if opens and closes and closes <= opens:
            self.add_error("registration_closes_at", _("Registration must close after it opens."))
        return cleaned


class SessionAdminForm(TranslationsFormMixin, forms.ModelForm):
    """One session. ``event`` is passed by the event page's inline (the instance has none yet then)."""

    title = TranslationsField(
        required=False, max_length=TITLE_MAX_LENGTH, label=_("Title"), help_text=_("Optional, e.g. 'Lesson 3'.")
    )

    class Meta:
        model = Session
        fields = ["event", "starts_at", "ends_at", "venue", "title", "status"]

    def __init__(self, *args, event: Event | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.event = event or (self.instance.event if self.instance.event_id else None)
        admin_zone = timezone.get_current_timezone_name()
        if self.event is not None and self.event.timezone != admin_zone:
            hint = _("Enter times in %(admin)s (the admin's time zone); this event runs in %(event)s.") % {
                "admin": admin_zone,
                "event": self.event.timezone,
            }
        else:
            hint = _("Enter times in %(admin)s (the admin's time zone).") % {"admin": admin_zone}
        for name in ("starts_at", "ends_at"):
            if name in self.fields:
                self.fields[name].help_text = hint
        if "venue" in self.fields:
            self.fields["venue"].help_text = _("Leave empty to use the event's venue.")

    def clean(self):
        cleaned = super().clean()
        event = cleaned.get("event") or self.event or getattr(self.instance, "event", None)
        if event is not None and self.instance.pk is None and event.status == Event.Status.CANCELLED:
            raise ValidationError(_("A cancelled event cannot get new sessions."), code="event_cancelled")
        venue = cleaned.get("venue")
        if event is not None and venue is not None and venue.organization_id != event.organization_id:
            self.add_error("venue", _("This venue belongs to another organization."))
        starts_at, ends_at = cleaned.get("starts_at"), cleaned.get("ends_at")
        if starts_at and ends_at and ends_at <= starts_at:
            self.add_error("ends_at", _("The end must be after the start."))
        stays_cancelled = (
            self.instance.pk and self.instance.is_cancelled and cleaned.get("status") == Session.Status.CANCELLED
        )
        if stays_cancelled and set(self.changed_data) & {"starts_at", "ends_at", "venue"}:
            # As in the API: a cancelled session keeps its time and place until it is reinstated.
            raise ValidationError(
                _("A cancelled session cannot be changed. Set its status back first."), code="session_cancelled"
            )
        return cleaned


class QuestionAdminForm(TranslationsFormMixin, forms.ModelForm):
    label = TranslationsField(max_length=TITLE_MAX_LENGTH, label=_("Label"))
    choices = QuestionChoicesField(label=_("answer options"))

    class Meta:
        model = Question
        fields = ["event", "key", "kind", "label", "required", "choices", "show_at_checkin", "position"]

    def clean(self):
        cleaned = super().clean()
        event = getattr(self.instance, "event", None)
        if event is not None:
            require_translation(self, "label", event.default_language)
        if cleaned.get("kind") == Question.Kind.CHOICE and cleaned.get("choices") == []:
            self.add_error("choices", _("A choice question needs at least one choice."))
        return cleaned


class UserIdentifierField(forms.CharField):
    """A user typed by exact username or e-mail: managers must not browse the list of all users."""

    def __init__(self, **kwargs):
        kwargs.setdefault("label", _("User"))
        kwargs.setdefault("help_text", _("The person's exact username or e-mail address."))
        super().__init__(**kwargs)

    def prepare_value(self, value):
        user_model = get_user_model()
        if isinstance(value, user_model):
            return value.get_username()
        if isinstance(value, int):
            user = user_model._default_manager.filter(pk=value).first()
            return user.get_username() if user else ""
        return value

    def clean(self, value):
        text = super().clean(value)
        if not text:
            return None
        user_model = get_user_model()
        users = list(
            user_model._default_manager.filter(
                Q(**{f"{user_model.USERNAME_FIELD}__iexact": text}) | Q(email__iexact=text)
            )[:2]
        )
        if len(users) != 1:
            raise ValidationError(_("No single user has this username or e-mail address."), code="unknown_user")
        return users[0]


class MembershipAdminForm(forms.ModelForm):
    user = UserIdentifierField()

    # Set by MembershipAdmin.get_form: organizations where the editing user may grant the owner role
    # (None = anywhere, for superusers).
    ownable_organization_ids: frozenset[int] | None = None

    class Meta:
        model = Membership
        fields = ["user", "organization", "role"]

    def clean(self):
        cleaned = super().clean()
        organization = cleaned.get("organization") or _current_organization(self.instance)
        allowed = self.ownable_organization_ids
        if (
            cleaned.get("role") == Membership.Role.OWNER
            and organization is not None
            and allowed is not None
            and organization.pk not in allowed
        ):
            self.add_error("role", _("Only an owner of the organization can make someone an owner."))
        return cleaned


# --- generate sessions -------------------------------------------------------------------------


class GenerateSessionsForm(forms.Form):
    """Inputs of ``events.services.sessions_generate`` for one event, times in the event's zone."""

    PRESET_WEEKLY = "weekly"
    PRESET_CUSTOM = "custom"

    preset = forms.ChoiceField(
        label=_("Repeat"),
        choices=[
            (PRESET_WEEKLY, _("Weekly, on the weekday of the first session")),
            (PRESET_CUSTOM, _("Custom recurrence rule (RRULE)")),
        ],
        initial=PRESET_WEEKLY,
        widget=forms.RadioSelect,
    )
    count = forms.IntegerField(
        label=_("Number of sessions"),
        min_value=1,
        max_value=MAX_GENERATED_SESSIONS,
        initial=8,
        required=False,
        help_text=_("For the weekly preset."),
    )
    rule = forms.CharField(
        label=_("Recurrence rule"),
        required=False,
        max_length=500,
        widget=forms.TextInput(attrs={"size": 50, "placeholder": "FREQ=WEEKLY;BYDAY=TU;COUNT=8"}),
        help_text=_(
            "For the custom preset: an RFC 5545 RRULE with COUNT or UNTIL, e.g. FREQ=WEEKLY;BYDAY=TU;COUNT=8 "
            "or FREQ=WEEKLY;UNTIL=20270301."
        ),
    )
    first_date = forms.DateField(
        label=_("First date"), widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})
    )
    first_time = forms.TimeField(label=_("Start time"), widget=forms.TimeInput(format="%H:%M", attrs={"type": "time"}))
    duration_minutes = forms.IntegerField(label=_("Duration (minutes)"), min_value=1, max_value=24 * 60)
    venue = forms.ModelChoiceField(queryset=Venue.objects.none(), required=False, label=_("Venue"))
    replace_future = forms.BooleanField(
        label=_("Replace future sessions"),
        required=False,
        help_text=_("Cancel the sessions that have not started yet (attendees' calendars get a cancellation)."),
    )
    allow_overlap = forms.BooleanField(
        label=_("Schedule anyway"),
        required=False,
        widget=forms.HiddenInput,
        help_text=_("Create the sessions although they overlap other sessions in the same venue."),
    )

    def __init__(self, *args, event: Event, offer_overlap: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.event = event
        venue_field = self.fields["venue"]
        venue_field.queryset = Venue.objects.filter(organization_id=event.organization_id).select_related(
            "organization"
        )
        venue_field.empty_label = (
            gettext("The event's venue (%(venue)s)") % {"venue": event.venue} if event.venue_id else gettext("None")
        )
        for name in ("first_date", "first_time"):
            self.fields[name].help_text = _("Local time in the event's time zone, %(zone)s.") % {"zone": event.timezone}
        if offer_overlap:
            self.offer_overlap()

    @property
    def overlap_offered(self) -> bool:
        return not self.fields["allow_overlap"].widget.is_hidden

    def offer_overlap(self) -> None:
        """Show the "schedule anyway" checkbox (after the service reported clashes)."""
        self.fields["allow_overlap"].widget = forms.CheckboxInput()

    def clean(self):
        cleaned = super().clean()
        preset = cleaned.get("preset")
        if preset == self.PRESET_WEEKLY and not cleaned.get("count"):
            self.add_error("count", _("How many sessions?"))
        if preset == self.PRESET_CUSTOM and not (cleaned.get("rule") or "").strip():
            self.add_error("rule", _("Enter a rule, e.g. FREQ=WEEKLY;BYDAY=TU;COUNT=8."))
        return cleaned

    @property
    def recurrence_rule(self) -> str:
        if self.cleaned_data["preset"] == self.PRESET_WEEKLY:
            # Without BYDAY a weekly rule repeats on the weekday of its start.
            return f"FREQ=WEEKLY;COUNT={self.cleaned_data['count']}"
        return self.cleaned_data["rule"].strip()

    @property
    def first_start(self) -> dt.datetime:
        """Naive wall-clock time in the event's zone, as ``sessions_generate`` expects."""
        return dt.datetime.combine(self.cleaned_data["first_date"], self.cleaned_data["first_time"])

    @property
    def duration(self) -> dt.timedelta:
        return dt.timedelta(minutes=self.cleaned_data["duration_minutes"])

    def add_service_errors(self, fields: Mapping[str, list]) -> None:
        """Put an ``InvalidInput.fields`` mapping onto the matching form fields."""
        for name, errors in fields.items():
            if name == "rule" and self.cleaned_data.get("preset") == self.PRESET_WEEKLY:
                name = "count"
            self.add_error(name if name in self.fields else None, list(errors))
