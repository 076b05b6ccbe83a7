"""The public registration form: built per event from its questions, validated here, booked by the service.

The form only shapes input (a field per question, guests one per line, the payment choice, the
privacy consent); the business rules stay in ``registrations.services.registration_create``,
whose ``InvalidInput.fields`` are put back on the matching fields by ``add_domain_errors``.
"""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from common.exceptions import InvalidInput
from common.i18n import pick
from common.names import clean_name
from events.models import Event, Question
from registrations import consent

MAX_TEXT_ANSWER = 1000  # the service's limit (registrations.services.register.MAX_TEXT_ANSWER)
RADIO_MAX_CHOICES = 6  # more choices than this read better as a drop-down on a phone
ANSWER_PREFIX = "answer_"


class AccessibleFormMixin:
    """Link each invalid field to its error text (aria-invalid, aria-describedby) for screen readers."""

    def mark_errors(self) -> None:
        for name in self.errors:
            if name not in self.fields:
                continue
            bound = self[name]
            attrs = self.fields[name].widget.attrs
            attrs["aria-invalid"] = "true"
            described = [f"{bound.auto_id}_error"]
            if self.fields[name].help_text:
                described.append(f"{bound.auto_id}_helptext")
            attrs["aria-describedby"] = " ".join(described)


class RegistrationForm(AccessibleFormMixin, forms.Form):
    name = forms.CharField(label=_("Your name"), max_length=200, widget=forms.TextInput(attrs={"autocomplete": "name"}))
    email = forms.EmailField(
        label=_("Email address"),
        max_length=254,
        help_text=_("We send your ticket and the link to manage your registration here."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )

    def __init__(self, *args, event: Event, language: str, payments_enabled: bool, user=None, **kwargs):
        if user is not None and user.is_authenticated:
            initial = kwargs.setdefault("initial", {})
            initial.setdefault("name", user.get_full_name() or user.get_username())
            initial.setdefault("email", user.email)
        super().__init__(*args, **kwargs)
        self.event = event
        self.language = language
        self.fallbacks = [event.default_language]
        self.questions = list(event.questions.all())
        for question in self.questions:
            self.fields[ANSWER_PREFIX + question.key] = self._question_field(question)
        if event.max_guests:
            self.fields["guests"] = forms.CharField(
                label=_("Guests"),
                required=False,
                max_length=event.max_guests * 202,  # names of up to 200 characters, one per line
                widget=forms.Textarea(attrs={"rows": min(event.max_guests, 4), "autocomplete": "off"}),
                help_text=_("One name per line, up to %(n)d. Each guest takes a seat and gets a ticket.")
                % {"n": event.max_guests},
            )
        self.door_only = False
        if event.price > 0 and event.allow_pay_at_door:
            if payments_enabled:
                self.fields["payment"] = forms.ChoiceField(
                    label=_("Payment"),
                    choices=[("online", _("Pay online now")), ("door", _("Pay in cash at the door"))],
                    initial="online",
                    widget=forms.RadioSelect,
                )
            else:
                self.door_only = True  # online payment is down: the door is the only way to pay
        shown = consent.privacy_consent_text(language=language)
        self.fields["privacy"] = forms.BooleanField(
            label=shown["label"],
            help_text=shown["details"],
            error_messages={"required": _("Please agree to continue.")},
        )
        # The version of the text on the page: if it changes before the form comes back, the
        # service asks again instead of recording agreement to a text this person never saw. The
        # page always carries the version of the text it shows now (``current_consent_version``),
        # never the one posted, so a form sent back with errors is answerable.
        self.current_consent_version = shown["version"]
        self.fields["consent_version"] = forms.CharField(required=False, max_length=20, widget=forms.HiddenInput)
        # Offered, never ticked for them; the address still confirms by email (double opt-in).
        self.fields["subscribe"] = forms.BooleanField(
            label=_("Also send me the city's notices and the Weekly Bulletin (you confirm by email first)."),
            required=False,
            initial=False,
        )

    # --- fields ----------------------------------------------------------------------------------

    def _question_field(self, question: Question) -> forms.Field:
        label = question.t("label", self.language) or question.key
        if question.kind == Question.Kind.CHECKBOX:
            return forms.BooleanField(
                label=label,
                required=question.required,
                error_messages={"required": _("Please tick this box to continue.")},
            )
        if question.kind == Question.Kind.CHOICE:
            choices = [
                (choice.get("value"), pick(choice.get("label"), self.language, self.fallbacks) or choice.get("value"))
                for choice in question.choices or []
            ]
            if len(choices) <= RADIO_MAX_CHOICES:
                widget = forms.RadioSelect
            else:
                widget = forms.Select
                choices = [("", _("Choose…")), *choices]
            return forms.ChoiceField(
                label=label,
                required=question.required,
                choices=choices,
                widget=widget,
                error_messages={"required": _("Please choose an answer.")},
            )
        return forms.CharField(
            label=label,
            required=question.required,
            max_length=MAX_TEXT_ANSWER,
            error_messages={"required": _("This question needs an answer.")},
        )

    def clean_name(self) -> str:
        # The API's rule too (common.serializers.PersonNameField): invisible-only is no name.
        name = clean_name(self.cleaned_data.get("name") or "")
        if not name:
            raise forms.ValidationError(_("Please give your name."), code="required")
        return name

    def clean_guests(self) -> list[str]:
        names = [clean_name(line) for line in (self.cleaned_data.get("guests") or "").splitlines()]
        names = [name for name in names if name]
        if len(names) > self.event.max_guests:
            raise forms.ValidationError(
                _("You can bring at most %(n)d guest(s).") % {"n": self.event.max_guests}, code="too_many"
            )
        if any(len(name) > 200 for name in names):
            raise forms.ValidationError(_("Keep each name under 200 characters."), code="max_length")
        return names

    # --- what the service gets -------------------------------------------------------------------

    @property
    def question_fields(self) -> list[forms.BoundField]:
        return [self[ANSWER_PREFIX + question.key] for question in self.questions]

    def service_kwargs(self) -> dict:
        """Keyword arguments for ``registration_create`` (call after ``is_valid()``)."""
        data = self.cleaned_data
        answers = {}
        for question in self.questions:
            value = data.get(ANSWER_PREFIX + question.key)
            if question.kind != Question.Kind.CHECKBOX and value in (None, ""):
                continue
            answers[question.key] = value
        pay_at_door = self.door_only or data.get("payment") == "door"
        return {
            "name": data["name"],
            "email": data["email"],
            "answers": answers,
            "consents": {consent.PRIVACY: True},
            "consent_version": data.get("consent_version") or None,
            "guests": data.get("guests") or [],
            "pay_at_door": pay_at_door,
        }

    def add_domain_errors(self, exc: InvalidInput) -> None:
        """Put the service's field errors (answers nested by question key) on the matching fields."""
        aliases = {"pay_at_door": "payment", "consents": "privacy", "consent_version": "privacy"}
        for key, messages in (exc.fields or {}).items():
            if key == "answers" and isinstance(messages, dict):
                for question_key, question_messages in messages.items():
                    name = ANSWER_PREFIX + str(question_key)
                    self.add_error(name if name in self.fields else None, _as_list(question_messages))
                continue
            name = aliases.get(key, key)
            self.add_error(name if name in self.fields else None, _as_list(messages))
        if not exc.fields:
            self.add_error(None, exc.message)


def _as_list(messages) -> list[str]:
    if isinstance(messages, (list, tuple)):
        return [str(message) for message in messages]
    if isinstance(messages, dict):
        return [str(message) for value in messages.values() for message in _as_list(value)]
    return [str(messages)]


class MyRegistrationsForm(AccessibleFormMixin, forms.Form):
    email = forms.EmailField(
        label=_("Email address"),
        max_length=254,
        help_text=_("The address you registered with. We email it a link to all your registrations."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )


class SubscriptionChoicesForm(AccessibleFormMixin, forms.Form):
    """What a subscriber receives: language, organizations (or all), bulletin, notice categories."""

    language = forms.ChoiceField(label=_("Language of the emails"), choices=())
    all_organizations = forms.BooleanField(label=_("Everything published on this site"), required=False)
    organizations = forms.MultipleChoiceField(
        label=_("Or only these organizations"), required=False, widget=forms.CheckboxSelectMultiple, choices=()
    )
    bulletin = forms.BooleanField(label=_("The Weekly Bulletin"), required=False)
    notice_categories = forms.MultipleChoiceField(
        label=_("Notices as they are posted"), required=False, widget=forms.CheckboxSelectMultiple, choices=()
    )

    def __init__(self, *args, language: str = "en", **kwargs):
        from django.conf import settings

        from common.pages import language_name
        from notifications.models import Notice
        from organizations.models import Organization

        super().__init__(*args, **kwargs)
        self.fields["language"].choices = [(code, language_name(code)) for code, _name in settings.LANGUAGES]
        self.fields["language"].initial = language
        self.organizations = {str(org.pk): org for org in Organization.objects.order_by("pk")}
        self.fields["organizations"].choices = [
            (pk, pick(org.name, language)) for pk, org in self.organizations.items()
        ]
        self.fields["notice_categories"].choices = Notice.Category.choices

    def choices(self) -> dict:
        data = self.cleaned_data
        return {
            "language": data["language"],
            "all_organizations": data["all_organizations"] or not data["organizations"],
            "organizations": [self.organizations[pk] for pk in data["organizations"]],
            "bulletin": data["bulletin"],
            "notice_categories": list(data["notice_categories"]),
        }


class SubscribeForm(SubscriptionChoicesForm):
    email = forms.EmailField(label=_("Email"), max_length=254)
    consent = forms.BooleanField(label=_("I agree"), required=True)

    field_order = ["email", "language", "all_organizations", "organizations", "bulletin", "notice_categories"]

    def __init__(self, *args, language: str = "en", **kwargs):
        from notifications import subscriptions

        super().__init__(*args, language=language, **kwargs)
        shown = subscriptions.consent_text(language=language)
        self.fields["consent"].label = shown["label"]
        self.fields["consent"].help_text = shown["details"]
        self.fields["all_organizations"].initial = True
        self.fields["bulletin"].initial = True
        self.fields["notice_categories"].initial = [value for value, _label in self.fields["notice_categories"].choices]
