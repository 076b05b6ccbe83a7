from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from common.exceptions import InvalidInput
from common.i18n import active_language, content_languages
from common.serializers import PersonNameField, PreparedModelSerializer, PreparedSerializer, StrictBooleanField
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


@extend_schema_field(
    {
        "oneOf": [
            {"type": "string", "description": "A name: the event's default ticket type."},
            {
                "type": "object",
                "properties": {"name": {"type": "string"}, "ticket_type": {"type": "integer", "nullable": True}},
                "required": ["name"],
            },
        ]
    }
)
class GuestField(serializers.Field):
    """A guest: a name (older clients, the event's default ticket type) or ``{"name", "ticket_type"}``."""

    default_error_messages = {
        "shape": _('A guest is a name or {"name": …, "ticket_type": …}.'),
        "ticket_type": _("A ticket type is its id (a whole number)."),
    }

    def to_internal_value(self, data):
        if isinstance(data, str):
            data = {"name": data}
        if not isinstance(data, dict) or set(data) - {"name", "ticket_type"}:
            # Raised directly: self.fail() would .format() the braces of the example.
            raise serializers.ValidationError(str(self.error_messages["shape"]), code="shape")
        name = PersonNameField(max_length=200).run_validation(data.get("name", ""))
        ticket_type = data.get("ticket_type")
        if ticket_type is not None and (isinstance(ticket_type, bool) or not isinstance(ticket_type, int)):
            if isinstance(ticket_type, str) and ticket_type.isdigit() and len(ticket_type) < 10:
                ticket_type = int(ticket_type)
            else:
                self.fail("ticket_type")
        return {"name": name, "ticket_type": ticket_type}

    def to_representation(self, value):
        return value


class RegistrationInputSerializer(PreparedSerializer):
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
        child=GuestField(),
        required=False,
        default=list,
        max_length=20,
        help_text='The people you bring (the event\'s max_guests applies): {"name": …, "ticket_type": id}, '
        "or just a name for the event's default ticket type.",
    )
    ticket_type = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        help_text="The registrant's ticket type (default: the first on sale).",
    )
    code = serializers.CharField(
        max_length=40, required=False, allow_blank=True, help_text="A discount code, or one that unlocks hidden types."
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


class TicketSerializer(PreparedSerializer):
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


class RegistrationLineSerializer(PreparedSerializer):
    position = serializers.IntegerField()
    name = serializers.CharField()
    ticket_type = serializers.IntegerField(source="ticket_type_id", allow_null=True)
    ticket_type_name = serializers.SerializerMethodField()
    unit_price = serializers.DecimalField(max_digits=10, decimal_places=2)
    discount = serializers.DecimalField(max_digits=10, decimal_places=2)
    amount = serializers.DecimalField(max_digits=10, decimal_places=2)

    def get_ticket_type_name(self, line) -> str | None:
        return line.ticket_type.t("name", active_language()) if line.ticket_type_id else None


class RegistrationSerializer(PreparedModelSerializer):
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
    lines = serializers.SerializerMethodField(help_text="One per seat: ticket type, name, price, discount, amount.")
    code = serializers.SerializerMethodField()

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
            "lines",
            "code",
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

    @extend_schema_field(RegistrationLineSerializer(many=True))
    def get_lines(self, registration) -> list[dict]:
        lines = sorted(registration.lines.all(), key=lambda line: line.position)
        return RegistrationLineSerializer(lines, many=True).data

    def get_code(self, registration) -> str | None:
        return registration.promo_code.code if registration.promo_code_id else None

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
