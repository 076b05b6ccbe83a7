"""The desk's forms for an event's ticket types and codes (the Tickets tab).

They only clean input; ``events.ticketing`` saves (the event row lock, the rules, the audit entry).
Names and door notes are entered per language side by side; times in the event's own time zone
(the views activate it while a form is bound and rendered).
"""

from __future__ import annotations

from collections.abc import Mapping

from django import forms
from django.utils.translation import gettext_lazy as _

from common.forms import TranslationsField, TranslationsFormMixin
from events.limits import SUMMARY_MAX_LENGTH, TITLE_MAX_LENGTH
from events.models import Event, PromoCode, TicketType
from organizer.desk_forms import DateTimeLocalInput


class ServiceErrorsMixin:
    def add_service_errors(self, fields: Mapping[str, list]) -> None:
        for name, errors in fields.items():
            messages = errors if isinstance(errors, list | tuple) else [errors]
            self.add_error(name if name in self.fields else None, [str(error) for error in messages])


class DeskTicketTypeForm(ServiceErrorsMixin, TranslationsFormMixin, forms.Form):
    name = TranslationsField(max_length=TITLE_MAX_LENGTH, label=_("Name"), help_text=_("e.g. Standard, Student."))
    price = forms.DecimalField(label=_("Price"), min_value=0, max_digits=10, decimal_places=2, initial=0)
    quota = forms.IntegerField(
        label=_("Quota"), min_value=0, required=False, help_text=_("Empty: only the event's capacity limits it.")
    )
    on_sale_from = forms.DateTimeField(label=_("On sale from"), required=False, widget=DateTimeLocalInput())
    on_sale_until = forms.DateTimeField(
        label=_("On sale until"),
        required=False,
        widget=DateTimeLocalInput(),
        help_text=_("e.g. the early-bird deadline."),
    )
    min_per_registration = forms.IntegerField(label=_("At least per registration"), min_value=0, initial=0)
    max_per_registration = forms.IntegerField(label=_("At most per registration"), min_value=1, required=False)
    door_note = TranslationsField(
        required=False,
        max_length=SUMMARY_MAX_LENGTH,
        label=_("Note at the door"),
        help_text=_("Volunteers see it when they scan the ticket, e.g. “Bring your student card”."),
    )
    hidden = forms.BooleanField(
        label=_("Hidden"), required=False, help_text=_("Offered only with a code that unlocks it.")
    )
    position = forms.IntegerField(label=_("Order"), min_value=0, initial=0)

    FIELDS = (
        "name",
        "price",
        "quota",
        "on_sale_from",
        "on_sale_until",
        "min_per_registration",
        "max_per_registration",
        "door_note",
        "hidden",
        "position",
    )

    def __init__(self, *args, event: Event, **kwargs):
        super().__init__(*args, **kwargs)
        self.event = event
        self.fields["price"].help_text = _("In %(currency)s, per seat.") % {"currency": event.currency}
        self.fields["quota"].max_value = event.capacity

    @classmethod
    def initial_for(cls, ticket_type: TicketType) -> dict:
        return {name: getattr(ticket_type, name) for name in cls.FIELDS}

    def service_fields(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.FIELDS}


class DeskPromoCodeForm(ServiceErrorsMixin, forms.Form):
    code = forms.CharField(label=_("Code"), max_length=40, help_text=_("What people type, e.g. DEMO10."))
    all_events = forms.BooleanField(
        label=_("For every event of the organization"), required=False, help_text=_("Otherwise for this event only.")
    )
    discount = forms.ChoiceField(label=_("Discount"), choices=PromoCode.Discount.choices, initial="percent")
    value = forms.DecimalField(
        label=_("Percent or amount"), min_value=0, max_digits=10, decimal_places=2, initial=10, required=False
    )
    unlocks = forms.ModelMultipleChoiceField(
        label=_("Unlocks hidden ticket types"),
        queryset=TicketType.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    valid_from = forms.DateTimeField(label=_("Valid from"), required=False, widget=DateTimeLocalInput())
    valid_until = forms.DateTimeField(label=_("Valid until"), required=False, widget=DateTimeLocalInput())
    max_uses = forms.IntegerField(label=_("Uses at most"), min_value=1, required=False, help_text=_("Empty: no limit."))
    active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args, event: Event, **kwargs):
        super().__init__(*args, **kwargs)
        self.event = event
        self.fields["unlocks"].queryset = TicketType.objects.filter(event=event, hidden=True)
        self.fields["unlocks"].label_from_instance = lambda ticket_type: ticket_type.t("name")

    @staticmethod
    def initial_for(code: PromoCode) -> dict:
        return {
            "code": code.code,
            "all_events": code.event_id is None,
            "discount": code.discount,
            "value": code.value,
            "unlocks": list(code.unlocks.all()),
            "valid_from": code.valid_from,
            "valid_until": code.valid_until,
            "max_uses": code.max_uses,
            "active": code.active,
        }

    def service_fields(self) -> dict:
        data = self.cleaned_data
        return {
            "code": data["code"],
            "event": None if data["all_events"] else self.event,
            "discount": data["discount"],
            "value": data.get("value") or 0,
            "valid_from": data.get("valid_from"),
            "valid_until": data.get("valid_until"),
            "max_uses": data.get("max_uses"),
            "active": data["active"],
        }
