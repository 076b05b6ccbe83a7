"""Forms of the desk's registrations, messages and team screens. They only read and check input;
the use cases are ``registrations.services``, ``notifications.notices`` and ``organizer.team``."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from common.forms import TranslationsField, language_choices
from common.i18n import active_language
from notifications.selectors import Audience
from organizer.selectors.roster import RosterFilters
from registrations.models import Registration

AUDIENCE_CHOICES = [
    (Audience.ACTIVE, _("Everyone registered (confirmed, awaiting payment, waiting list)")),
    (Audience.CONFIRMED, _("Confirmed")),
    (Audience.WAITLISTED, _("Waiting list")),
    (Audience.CHECKED_IN, _("Checked in (at any session)")),
    (Audience.SESSION, _("Checked in at one session")),
]
PAID_FILTER_CHOICES = [
    ("", _("Any payment")),
    ("paid", pgettext_lazy("payment status", "Paid")),
    ("due", _("Payment due")),
    ("free", _("Free")),
]


class RosterFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("Any status")), *Registration.Status.choices]
    )
    session = forms.ChoiceField(label=_("Came to"), required=False)
    paid = forms.ChoiceField(label=_("Payment"), required=False, choices=PAID_FILTER_CHOICES)

    def __init__(self, *args, sessions=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["session"].choices = [("", _("Any session")), *sessions]

    def filters(self) -> RosterFilters:
        """The filters asked for; what does not validate is ignored (a list is never an error page)."""
        data = self.cleaned_data if self.is_valid() else {}
        session = data.get("session")
        return RosterFilters(
            q=data.get("q", ""),
            status=data.get("status", ""),
            session_id=int(session) if session else None,
            paid=data.get("paid", ""),
        )


class AnnouncementForm(forms.Form):
    subject = TranslationsField(label=_("Subject"), max_length=200)
    body = TranslationsField(label=_("Message"), max_length=20_000, multiline=True, rows=8)
    audience = forms.ChoiceField(
        label=_("Recipients"), choices=AUDIENCE_CHOICES, initial=Audience.ACTIVE, widget=forms.RadioSelect
    )
    session = forms.ChoiceField(label=_("Session"), required=False)

    def __init__(self, *args, sessions=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["session"].choices = [("", "—"), *sessions]

    def clean(self):
        cleaned = super().clean()
        subject, body = cleaned.get("subject") or {}, cleaned.get("body") or {}
        if "subject" in cleaned and not subject:
            self.add_error("subject", _("Write a subject in at least one language."))
        elif subject and set(subject) != set(body):
            self.add_error("body", _("Give a subject and a body in the same languages."))
        if cleaned.get("audience") == Audience.SESSION and not cleaned.get("session"):
            self.add_error("session", _("Choose one of the sessions of this event."))
        return cleaned

    @property
    def session_id(self) -> int | None:
        session = self.cleaned_data.get("session")
        return int(session) if session and self.cleaned_data.get("audience") == Audience.SESSION else None

    @property
    def written(self) -> list[str]:
        return [code for code in self.cleaned_data.get("subject", {}) if self.cleaned_data.get("body", {}).get(code)]


class InviteForm(forms.Form):
    organization = forms.ChoiceField(label=_("Organization"))
    email = forms.EmailField(label=_("Email address"), max_length=254)
    language = forms.ChoiceField(label=_("Language of the invitation"), choices=language_choices)

    def __init__(self, *args, organizations=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.organizations = {str(org.pk): org for org in organizations}
        self.fields["organization"].choices = [
            (pk, org.t("name", active_language())) for pk, org in self.organizations.items()
        ]

    @property
    def chosen_organization(self):
        return self.organizations[self.cleaned_data["organization"]]


class TokenForm(forms.Form):
    holder = forms.ChoiceField(label=_("For"))
    name = forms.CharField(label=_("Device"), max_length=100, help_text=_("The device or use, e.g. door phone 2."))

    def __init__(self, *args, holders=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["holder"].choices = [(str(user.pk), user.get_username()) for user in holders]


class RefundForm(forms.Form):
    """The desk's refund: an amount up to what is refundable, and a note kept with it."""

    amount = forms.DecimalField(label=_("Amount to refund"), min_value=Decimal("0.01"), max_digits=10, decimal_places=2)
    note = forms.CharField(label=_("Note (kept with the refund)"), max_length=500, required=False)

    def __init__(self, *args, refundable: Decimal, **kwargs):
        super().__init__(*args, **kwargs)
        self.refundable = refundable
        self.fields["amount"].max_value = refundable
        self.fields["amount"].widget.attrs.update({"max": str(refundable), "step": "0.01", "inputmode": "decimal"})

    def clean_amount(self):
        amount = self.cleaned_data["amount"]
        if amount > self.refundable:
            raise forms.ValidationError(
                _("You can refund at most %(amount)s."), params={"amount": self.refundable}, code="max_value"
            )
        return amount
