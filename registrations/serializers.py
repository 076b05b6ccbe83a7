from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from common.exceptions import InvalidInput
from common.i18n import content_languages
from common.serializers import PersonNameField, StrictBooleanField
from registrations import selectors
from registrations.fapiao import fapiao_clean
from registrations.models import Registration
from registrations.shortcodes import format_short_code
from registrations.tickets import ticket_code


class FapiaoInputSerializer(serializers.Serializer):
    company_name = serializers.CharField(max_length=200)
    taxpayer_id = serializers.CharField(max_length=30, help_text="The 18-character unified social credit code.")

    def validate(self, attrs):
        try:
            company_name, taxpayer_id = fapiao_clean(**attrs)
        except InvalidInput as exc:
            raise serializers.ValidationError(exc.fields) from exc
        return {"company_name": company_name, "taxpayer_id": taxpayer_id}


class RegistrationInputSerializer(serializers.Serializer):
    name = PersonNameField(max_length=200, required=False, allow_blank=True)
    email = serializers.EmailField(max_length=254, required=False)
    language = serializers.ChoiceField(choices=content_languages(), required=False)
    answers = serializers.DictField(required=False, default=dict, allow_empty=True)
    consents = serializers.DictField(
        child=StrictBooleanField(),
        required=False,
        default=dict,
        help_text='Required: {"privacy": true} once the person agreed to the text of GET /api/v1/privacy/consent/.',
    )
    consent_version = serializers.CharField(
        max_length=20,
        required=False,
        allow_blank=True,
        help_text="The version of the consent text you showed; an outdated one is refused (400).",
    )
    guests = serializers.ListField(
        child=PersonNameField(max_length=200),
        required=False,
        default=list,
        max_length=20,
        help_text="Names of the people you bring (the event's max_guests applies).",
    )
    pay_at_door = serializers.BooleanField(default=False)
    fapiao = FapiaoInputSerializer(
        required=False, help_text="Optional: ask the organizer for a fapiao (发票) for this payment."
    )

    def validate_answers(self, value):
        if len(value) > 100:
            raise serializers.ValidationError(_("Too many answers."))
        return value

    def validate_consents(self, value):
        if len(value) > 20 or any(len(str(key)) > 50 for key in value):
            raise serializers.ValidationError(_("Too many or too long consent keys."))
        return value

    def validate(self, attrs):
        user = self.context.get("user")
        signed_in = user is not None and user.is_authenticated
        if signed_in:
            attrs.setdefault("email", user.email)
            if not attrs.get("name"):
                attrs["name"] = user.get_full_name() or user.get_username()
        errors = {}
        if not (attrs.get("name") or "").strip():
            errors["name"] = [_("Please give your name.")]
        if not attrs.get("email"):
            errors["email"] = [_("Please give your email address.")]
        if errors:
            raise serializers.ValidationError(errors)
        return attrs


class TicketSerializer(serializers.Serializer):
    position = serializers.IntegerField()
    name = serializers.CharField()
    code = serializers.SerializerMethodField()
    short_code = serializers.SerializerMethodField(
        help_text="The ticket card's 8-character code (K7QM-2XPR), typed at the door when the QR will not scan."
    )
    png_url = serializers.SerializerMethodField()
    svg_url = serializers.SerializerMethodField()

    def get_code(self, ticket) -> str:
        return ticket_code(ticket_id=ticket.pk)

    def get_short_code(self, ticket) -> str:
        return format_short_code(ticket.short_code)

    def get_png_url(self, ticket) -> str | None:
        if not self.context.get("private_links", True):
            return None
        return selectors.ticket_image_url(
            registration=self.context["registration"], position=ticket.position, fmt="png"
        )

    def get_svg_url(self, ticket) -> str | None:
        if not self.context.get("private_links", True):
            return None
        return selectors.ticket_image_url(
            registration=self.context["registration"], position=ticket.position, fmt="svg"
        )


class RegistrationSerializer(serializers.ModelSerializer):
    """One registration as its attendee sees it. The links carry the manage token, the key to what
    is the attendee's alone (download, erasure, feedback, the feed email): with the context's
    ``private_links`` False (an organizer reading it) they are null."""

    event = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    manage_url = serializers.SerializerMethodField()
    ticket_url = serializers.SerializerMethodField()
    calendar_url = serializers.SerializerMethodField()
    payment_url = serializers.SerializerMethodField()
    waitlist_position = serializers.SerializerMethodField()
    tickets = serializers.SerializerMethodField()
    paid = serializers.SerializerMethodField()

    class Meta:
        model = Registration
        fields = [
            "id",
            "event",
            "status",
            "name",
            "email",
            "language",
            "party_size",
            "answers",
            "consents",
            "payment_method",
            "amount_due",
            "currency",
            "paid",
            "hold_expires_at",
            "waitlist_position",
            "created_at",
            "confirmed_at",
            "cancelled_at",
            "manage_url",
            "ticket_url",
            "calendar_url",
            "payment_url",
            "tickets",
        ]

    def _links(self, registration) -> dict:
        if not self.context.get("private_links", True):
            return {"manage_url": None, "ticket_url": None, "calendar_url": None}
        cache = self.context.setdefault("_links", {})
        if registration.pk not in cache:
            cache[registration.pk] = selectors.registration_links(registration=registration)
        return cache[registration.pk]

    def get_manage_url(self, registration) -> str | None:
        return self._links(registration)["manage_url"]

    def get_ticket_url(self, registration) -> str | None:
        return self._links(registration)["ticket_url"]

    def get_calendar_url(self, registration) -> str | None:
        return self._links(registration)["calendar_url"]

    def get_payment_url(self, registration) -> str | None:
        if registration.status != Registration.Status.PENDING_PAYMENT or not self.context.get("private_links", True):
            return None
        return selectors.payment_url(registration=registration)

    def get_waitlist_position(self, registration) -> int | None:
        return selectors.waitlist_position(registration=registration)

    def get_paid(self, registration) -> bool:
        return registration.paid_at is not None

    def get_tickets(self, registration) -> list[dict]:
        if registration.status != Registration.Status.CONFIRMED:
            return []
        context = {**self.context, "registration": registration}
        return TicketSerializer(registration.tickets.all(), many=True, context=context).data


class OrganizerRegistrationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Registration
        fields = [
            "id",
            "status",
            "name",
            "email",
            "language",
            "party_size",
            "answers",
            "consents",
            "payment_method",
            "amount_due",
            "currency",
            "paid_at",
            "created_at",
            "confirmed_at",
            "waitlisted_at",
            "cancelled_at",
        ]


class ConsentTranslationSerializer(serializers.Serializer):
    label = serializers.CharField()
    details = serializers.CharField()


class PrivacyConsentSerializer(serializers.Serializer):
    key = serializers.CharField(help_text='The key to send in "consents".')
    version = serializers.CharField(help_text='Send it back as "consent_version".')
    language = serializers.CharField()
    label = serializers.CharField()
    details = serializers.CharField()
    translations = serializers.DictField(child=ConsentTranslationSerializer())


class CalendarFeedRequestSerializer(serializers.Serializer):
    rotate = serializers.BooleanField(default=False, help_text="Make a new link; the old one stops working.")
