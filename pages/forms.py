"""The public registration form: built per event from its questions, validated here, booked by the service.

The form only shapes input (a field per question, guests one per line, the payment choice, the
privacy consent); the business rules stay in ``registrations.services.registration_create``,
whose ``InvalidInput.fields`` are put back on the matching fields by ``add_domain_errors``.
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _

from common.exceptions import InvalidInput
from common.i18n import pick
from common.names import clean_name
from common.pages import language_name
from events.models import Event, Question, TicketType
from events.selectors import event_takes_codes, ticket_type_seats_left, ticket_types_offered
from notifications import subscriptions
from notifications.models import Notice
from organizations.models import Organization
from registrations import consent
from voices.models import MAX_TEXT as VOICE_MAX_TEXT
from voices.models import MIN_TEXT as VOICE_MIN_TEXT
from voices.models import Comment as VoiceComment

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

    code = forms.CharField(
        label=_("Code"),
        required=False,
        max_length=40,
        help_text=_("A discount code, or one that opens more ticket types."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters"}),
    )

    def __init__(
        self,
        *args,
        event: Event,
        language: str,
        payments_enabled: bool,
        user=None,
        code_text: str = "",
        **kwargs,
    ):
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
        self._ticket_type_fields(event, code_text)
        if not code_text and not event_takes_codes(event=event):
            del self.fields["code"]  # no code exists for this event: no box to wonder about
        if event.max_guests and self.per_seat_types:
            for i in range(event.max_guests):
                self.fields[f"guest_{i}_name"] = forms.CharField(
                    label=_("Guest %(n)d") % {"n": i + 1}, required=False, max_length=200
                )
                self.fields[f"guest_{i}_type"] = forms.TypedChoiceField(
                    label=_("Ticket of guest %(n)d") % {"n": i + 1},
                    choices=self.type_choices,
                    coerce=int,
                    required=False,
                    initial=self.type_choices[0][0],
                )
        elif event.max_guests:
            self.fields["guests"] = forms.CharField(
                label=_("Guests"),
                required=False,
                max_length=event.max_guests * 202,  # names of up to 200 characters, one per line
                widget=forms.Textarea(attrs={"rows": min(event.max_guests, 4), "autocomplete": "off"}),
                help_text=_("One name per line, up to %(n)d. Each guest takes a seat and gets a ticket.")
                % {"n": event.max_guests},
            )
        self.door_only = False
        if self.any_paid and event.allow_pay_at_door:
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

    def _ticket_type_fields(self, event: Event, code_text: str) -> None:
        """A ticket type per seat when the event offers more than one now (hidden ones with their code)."""
        now = timezone.now()
        self.code_text = (code_text or "").strip()[:40]
        self.ticket_types: list[TicketType] = ticket_types_offered(event=event, code_text=self.code_text)
        on_sale = [
            t for t in self.ticket_types if t.on_sale(now) and ticket_type_seats_left(event=event, ticket_type=t)
        ]
        self.type_choices = [(t.pk, self.type_label(t)) for t in on_sale]
        self.per_seat_types = len(on_sale) > 1
        self.any_paid = any(t.price > 0 for t in on_sale) if self.ticket_types else event.price > 0
        self.price_by_type = {str(t.pk): str(t.price) for t in on_sale}
        if self.per_seat_types:
            self.fields["ticket_type"] = forms.TypedChoiceField(
                label=_("Your ticket"), choices=self.type_choices, coerce=int, initial=self.type_choices[0][0]
            )

    def type_label(self, ticket_type: TicketType) -> str:
        name = ticket_type.t("name", self.language)
        if ticket_type.price == 0:
            return f"{name} · {_('Free')}"
        price = number_format(ticket_type.price, decimal_pos=0 if ticket_type.price == int(ticket_type.price) else 2)
        return f"{name} · {price} {self.event.currency}"

    def chosen_party(self) -> tuple[int | None, list[dict]]:
        """The registrant's type and the guests (name, type) as typed so far, cleaned or not: for the
        price summary shown before registering."""
        values = self.data if self.is_bound else self.initial

        def as_id(value) -> int | None:
            return int(value) if str(value or "").isdigit() and len(str(value)) < 10 else None

        guests = []
        if self.per_seat_types:
            for i in range(self.event.max_guests):
                name = clean_name(str(values.get(f"guest_{i}_name") or ""))
                if name:
                    guests.append({"name": name, "ticket_type": as_id(values.get(f"guest_{i}_type"))})
        elif self.event.max_guests:
            names = [clean_name(line) for line in str(values.get("guests") or "").splitlines()]
            guests = [{"name": name, "ticket_type": None} for name in names if name][: self.event.max_guests]
        return as_id(values.get("ticket_type")), guests

    @property
    def guest_rows(self) -> list[tuple[forms.BoundField, forms.BoundField]]:
        if not self.per_seat_types:
            return []
        return [(self[f"guest_{i}_name"], self[f"guest_{i}_type"]) for i in range(self.event.max_guests)]

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
        guests: list = data.get("guests") or []
        if self.per_seat_types:
            guests = [
                {"name": clean_name(data.get(f"guest_{i}_name") or ""), "ticket_type": data.get(f"guest_{i}_type")}
                for i in range(self.event.max_guests)
                if clean_name(data.get(f"guest_{i}_name") or "")
            ]
        return {
            "name": data["name"],
            "email": data["email"],
            "answers": answers,
            "consents": {consent.PRIVACY: True},
            "consent_version": data.get("consent_version") or None,
            "guests": guests,
            "ticket_type": data.get("ticket_type"),
            "code": data.get("code") or None,
            "pay_at_door": pay_at_door,
        }

    def add_domain_errors(self, exc: InvalidInput) -> None:
        """Put the service's field errors (answers nested by question key) on the matching fields."""
        aliases = {"pay_at_door": "payment", "consents": "privacy", "consent_version": "privacy"}
        if not self.per_seat_types:
            aliases["ticket_type"] = "code" if self.code_text else None
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


class VoiceForm(AccessibleFormMixin, forms.Form):
    """A resident's comment, demand or question (``voices.services.comment_create`` decides).

    ``website`` is a honeypot: hidden from people (off screen, out of the tab order), filled in
    by form-filling robots. A form that comes back with it is thanked and dropped.
    """

    organization = forms.ModelChoiceField(
        label=_("Office"), queryset=Organization.objects.none(), empty_label=_("Choose…"), to_field_name="slug"
    )
    kind = forms.ChoiceField(label=_("This is a"), choices=VoiceComment.Kind.choices, widget=forms.RadioSelect)
    topic = forms.ChoiceField(label=_("Topic"))
    text = forms.CharField(
        label=_("Your message"),
        min_length=VOICE_MIN_TEXT,
        max_length=VOICE_MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("Between %(min)d and %(max)d characters. Please do not include names or other personal details.")
        % {"min": VOICE_MIN_TEXT, "max": VOICE_MAX_TEXT},
    )
    language = forms.ChoiceField(label=_("Language of your message"))
    email = forms.EmailField(
        label=_("Email for the answer"),
        required=False,
        max_length=254,
        help_text=_("Optional. We only use it to send you the answer and the link to your message."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    publish_consent = forms.BooleanField(
        label=_("The office may publish my message and its answer on this page, without my name or email."),
        required=False,
    )
    website = forms.CharField(
        label=_("Leave this field empty"),
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )

    def __init__(self, *args, language: str, **kwargs):
        super().__init__(*args, **kwargs)
        organizations = Organization.objects.order_by("slug")
        self.fields["organization"].queryset = organizations
        self.fields["organization"].label_from_instance = lambda org: org.t("name", language) or org.slug
        if len(organizations) == 1:
            self.fields["organization"].initial = organizations[0].slug
        self.fields["kind"].initial = VoiceComment.Kind.QUESTION
        self.fields["topic"].choices = [("", _("Choose…")), *VoiceComment.Topic.choices]
        self.fields["language"].choices = [(code, language_name(code)) for code, _name in settings.LANGUAGES]
        self.fields["language"].initial = language

    @property
    def is_robot(self) -> bool:
        return bool(self.data.get("website"))


class FapiaoForm(AccessibleFormMixin, forms.Form):
    """A fapiao request on the manage page; the taxpayer ID is checked by the service."""

    company_name = forms.CharField(label=_("Company name (as registered for tax)"), max_length=200)
    taxpayer_id = forms.CharField(
        label=_("Taxpayer ID"),
        max_length=30,
        help_text=_("The 18-character unified social credit code (统一社会信用代码)."),
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
        super().__init__(*args, language=language, **kwargs)
        shown = subscriptions.consent_text(language=language)
        self.fields["consent"].label = shown["label"]
        self.fields["consent"].help_text = shown["details"]
        self.fields["all_organizations"].initial = True
        self.fields["bulletin"].initial = True
        self.fields["notice_categories"].initial = [value for value, _label in self.fields["notice_categories"].choices]
