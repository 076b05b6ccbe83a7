from __future__ import annotations

import re
import zoneinfo

from django.conf import settings
from django.conf.locale import LANG_INFO
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from common.i18n import active_language, clean_translations, content_languages, pick
from common.serializers import (
    DATETIME_OUT_OF_RANGE,
    EARLIEST_DATETIME,
    LATEST_DATETIME,
    BoundedDateTimeField,
    TranslatedField,
    TranslationsField,
)
from events.limits import (
    CHOICE_VALUE_MAX_LENGTH,
    DESCRIPTION_MAX_LENGTH,
    MAX_CHOICES,
    MAX_QUESTIONS,
    NOTES_MAX_LENGTH,
    SUMMARY_MAX_LENGTH,
    TITLE_MAX_LENGTH,
)
from events.models import PAYMENT_METHODS, Event, Question, Session
from events.selectors import ticket_type_seats_left, ticket_types_offered
from organizations.models import Category, Organization, Venue

KNOWN_LANGUAGE_CODES = frozenset(LANG_INFO) | frozenset(content_languages())
CURRENCY_RE = re.compile(r"^[A-Z]{3}$")


# --- output ------------------------------------------------------------------------------------


class OrganizationBriefSerializer(serializers.ModelSerializer):
    name = TranslatedField()

    class Meta:
        model = Organization
        fields = ["slug", "name"]


class CategorySerializer(serializers.ModelSerializer):
    name = TranslatedField()
    name_i18n = TranslationsField(source="name", read_only=True)

    class Meta:
        model = Category
        fields = ["slug", "name", "name_i18n"]


class VenueSerializer(serializers.ModelSerializer):
    name = TranslatedField()
    address = TranslatedField()
    accessibility_notes = TranslatedField()
    name_i18n = TranslationsField(source="name", max_length=TITLE_MAX_LENGTH)
    address_i18n = TranslationsField(source="address", max_length=SUMMARY_MAX_LENGTH, required=False)
    accessibility_notes_i18n = TranslationsField(
        source="accessibility_notes", max_length=NOTES_MAX_LENGTH, required=False
    )
    organization = serializers.SlugRelatedField(slug_field="slug", queryset=Organization.objects.all())

    class Meta:
        model = Venue
        fields = [
            "id",
            "organization",
            "name",
            "address",
            "accessibility_notes",
            "name_i18n",
            "address_i18n",
            "accessibility_notes_i18n",
            "latitude",
            "longitude",
            "map_url",
        ]
        read_only_fields = ["map_url"]
        # The database's check constraints, said here so a wrong value is a 400 and not a 500.
        extra_kwargs = {
            "latitude": {"min_value": -90, "max_value": 90},
            "longitude": {"min_value": -180, "max_value": 180},
        }

    def validate_name_i18n(self, value):
        if not value:
            raise serializers.ValidationError(_("A name in at least one language is required."))
        return value


class QuestionSerializer(serializers.ModelSerializer):
    label = TranslatedField()
    label_i18n = TranslationsField(source="label", max_length=300)
    choices = serializers.SerializerMethodField()

    class Meta:
        model = Question
        fields = ["key", "kind", "label", "label_i18n", "required", "choices", "show_at_checkin", "position"]

    @extend_schema_field(
        {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"value": {"type": "string"}, "label": {"type": "string"}},
            },
        }
    )
    def get_choices(self, question: Question) -> list[dict]:
        language = active_language()
        fallbacks = [question.event.default_language] if question.event_id else []
        return [
            {"value": choice["value"], "label": pick(choice.get("label"), language, fallbacks)}
            for choice in question.choices or []
        ]


class SessionSerializer(serializers.ModelSerializer):
    title = TranslatedField()
    title_i18n = TranslationsField(source="title", read_only=True)
    venue = VenueSerializer(source="effective_venue", read_only=True, allow_null=True)

    class Meta:
        model = Session
        fields = ["id", "starts_at", "ends_at", "status", "sequence", "title", "title_i18n", "venue"]


class EventListSerializer(serializers.ModelSerializer):
    title = TranslatedField()
    summary = TranslatedField()
    title_i18n = TranslationsField(source="title", read_only=True)
    summary_i18n = TranslationsField(source="summary", read_only=True)
    organization = OrganizationBriefSerializer(read_only=True)
    category = CategorySerializer(read_only=True, allow_null=True)
    venue = VenueSerializer(read_only=True, allow_null=True)
    starts_at = serializers.DateTimeField(read_only=True, allow_null=True)
    ends_at = serializers.DateTimeField(read_only=True, allow_null=True)
    session_count = serializers.IntegerField(read_only=True)
    is_free = serializers.BooleanField(read_only=True)
    seats_left = serializers.IntegerField(read_only=True)
    url = serializers.SerializerMethodField()
    image_url = serializers.SerializerMethodField(help_text="Absolute URL of the event's image, or null.")

    class Meta:
        model = Event
        fields = [
            "slug",
            "kind",
            "status",
            "default_language",
            "title",
            "summary",
            "title_i18n",
            "summary_i18n",
            "spoken_languages",
            "organization",
            "category",
            "venue",
            "online_url",
            "timezone",
            "starts_at",
            "ends_at",
            "session_count",
            "capacity",
            "price",
            "currency",
            "is_free",
            "registration_opens_at",
            "registration_closes_at",
            "max_guests",
            "allow_pay_at_door",
            "refund_full_days",
            "refund_partial_percent",
            "refund_partial_days",
            "seats_left",
            "waitlist_count",
            "url",
            "image_url",
            "image_width",
            "image_height",
        ]

    def get_url(self, event: Event) -> str:
        path = reverse("api:event-detail", kwargs={"slug": event.slug})
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path

    def get_image_url(self, event: Event) -> str | None:
        if not event.image:
            return None
        request = self.context.get("request")
        return request.build_absolute_uri(event.image.url) if request else f"{settings.SITE_URL}{event.image.url}"


class TicketTypeSerializer(serializers.Serializer):
    """A ticket type as the public sees it (``context["event"]`` and ``context["now"]`` given)."""

    id = serializers.IntegerField()
    name = serializers.SerializerMethodField()
    name_i18n = TranslationsField(source="name", read_only=True)
    door_note = serializers.SerializerMethodField()
    price = serializers.DecimalField(max_digits=10, decimal_places=2)
    currency = serializers.SerializerMethodField()
    seats_left = serializers.SerializerMethodField()
    on_sale = serializers.SerializerMethodField()
    on_sale_from = serializers.DateTimeField(allow_null=True)
    on_sale_until = serializers.DateTimeField(allow_null=True)
    min_per_registration = serializers.IntegerField()
    max_per_registration = serializers.IntegerField(allow_null=True)
    hidden = serializers.BooleanField(help_text="Shown because the code given unlocks it.")

    def get_name(self, ticket_type) -> str:
        return ticket_type.t("name", active_language())

    def get_door_note(self, ticket_type) -> str:
        return ticket_type.t("door_note", active_language())

    def get_currency(self, ticket_type) -> str:
        return ticket_type.event.currency

    def get_seats_left(self, ticket_type) -> int:
        return ticket_type_seats_left(event=ticket_type.event, ticket_type=ticket_type)

    def get_on_sale(self, ticket_type) -> bool:
        return ticket_type.on_sale(self.context.get("now") or timezone.now())


class EventDetailSerializer(EventListSerializer):
    description = TranslatedField()
    description_i18n = TranslationsField(source="description", read_only=True)
    sessions = SessionSerializer(many=True, read_only=True)
    questions = QuestionSerializer(many=True, read_only=True)
    ticket_types = serializers.SerializerMethodField(
        help_text="What a seat costs; hidden types appear only with ?code= of a code that unlocks them."
    )

    class Meta(EventListSerializer.Meta):
        fields = [
            *EventListSerializer.Meta.fields,
            "description",
            "description_i18n",
            "sessions",
            "questions",
            "ticket_types",
        ]

    @extend_schema_field(TicketTypeSerializer(many=True))
    def get_ticket_types(self, event: Event) -> list[dict]:
        request = self.context.get("request")
        code = request.query_params.get("code") if request is not None and hasattr(request, "query_params") else None
        types = ticket_types_offered(event=event, code_text=(code or "")[:40])
        return TicketTypeSerializer(types, many=True, context={"now": timezone.now()}).data


# --- organizer input ---------------------------------------------------------------------------


class QuestionWriteSerializer(serializers.Serializer):
    key = serializers.SlugField(max_length=50)
    kind = serializers.ChoiceField(choices=Question.Kind.choices, default=Question.Kind.TEXT)
    label_i18n = TranslationsField(max_length=300)
    required = serializers.BooleanField(default=False)
    choices = serializers.ListField(child=serializers.DictField(), required=False, default=list, max_length=MAX_CHOICES)
    show_at_checkin = serializers.BooleanField(default=False)

    def validate_label_i18n(self, value):
        if not value:
            raise serializers.ValidationError(_("A label in at least one language is required."))
        return value

    def validate_choices(self, value):
        cleaned, seen = [], set()
        for choice in value:
            choice_value = choice.get("value")
            if not isinstance(choice_value, str) or not choice_value.strip():
                raise serializers.ValidationError(_("Each choice needs a non-empty string 'value'."))
            if len(choice_value.strip()) > CHOICE_VALUE_MAX_LENGTH:
                raise serializers.ValidationError(
                    _("Keep each choice value under %(max)d characters.") % {"max": CHOICE_VALUE_MAX_LENGTH}
                )
            if choice_value in seen:
                raise serializers.ValidationError(_("Choice values must be unique."))
            seen.add(choice_value)
            try:
                label = clean_translations(choice.get("label") or {}, max_length=TITLE_MAX_LENGTH)
            except Exception as exc:  # django ValidationError
                raise serializers.ValidationError(getattr(exc, "messages", [str(exc)])) from exc
            cleaned.append({"value": choice_value.strip(), "label": label or {"en": choice_value}})
        return cleaned

    def validate(self, attrs):
        if attrs.get("kind") == Question.Kind.CHOICE and not attrs.get("choices"):
            raise serializers.ValidationError({"choices": [_("A choice question needs at least one choice.")]})
        return attrs


class EventWriteSerializer(serializers.Serializer):
    organization = serializers.SlugRelatedField(slug_field="slug", queryset=Organization.objects.all())
    kind = serializers.ChoiceField(choices=Event.Kind.choices, default=Event.Kind.EVENT)
    slug = serializers.SlugField(max_length=80)
    default_language = serializers.ChoiceField(choices=content_languages(), default="en")
    title_i18n = TranslationsField(max_length=TITLE_MAX_LENGTH)
    summary_i18n = TranslationsField(max_length=SUMMARY_MAX_LENGTH, required=False, default=dict)
    description_i18n = TranslationsField(max_length=DESCRIPTION_MAX_LENGTH, required=False, default=dict)
    spoken_languages = serializers.ListField(
        child=serializers.CharField(max_length=16), required=False, default=list, max_length=20
    )
    category = serializers.SlugRelatedField(
        slug_field="slug", queryset=Category.objects.all(), required=False, allow_null=True
    )
    venue = serializers.PrimaryKeyRelatedField(queryset=Venue.objects.all(), required=False, allow_null=True)
    online_url = serializers.URLField(required=False, allow_blank=True, default="", max_length=200)
    timezone = serializers.CharField(max_length=64, required=False)
    capacity = serializers.IntegerField(min_value=0, max_value=1_000_000)
    registration_opens_at = BoundedDateTimeField(required=False, allow_null=True)
    registration_closes_at = BoundedDateTimeField(required=False, allow_null=True)
    price = serializers.DecimalField(max_digits=10, decimal_places=2, min_value=0, required=False)
    currency = serializers.CharField(max_length=3, required=False)
    max_guests = serializers.IntegerField(min_value=0, max_value=20, required=False)
    payment_methods = serializers.ListField(
        child=serializers.ChoiceField(choices=PAYMENT_METHODS), required=False, allow_empty=False, max_length=3
    )
    allow_pay_at_door = serializers.BooleanField(required=False)
    payment_hold_minutes = serializers.IntegerField(min_value=5, max_value=24 * 60, required=False)
    email_confirm_minutes = serializers.IntegerField(
        min_value=0,
        max_value=24 * 60,
        required=False,
        help_text="Confirm your email to keep the seat: minutes a new registration holds its seat "
        "until the emailed link is opened (0 = off).",
    )
    open_holds_per_domain = serializers.IntegerField(
        min_value=0,
        max_value=1_000_000,
        required=False,
        help_text="At most this many seats on hold (email confirmation or payment) per email domain (0 = no limit).",
    )
    checkin_opens_minutes = serializers.IntegerField(min_value=0, max_value=24 * 60, required=False)
    refund_full_days = serializers.IntegerField(
        min_value=0,
        max_value=365,
        required=False,
        allow_null=True,
        help_text="Refund policy: a full refund until this many days before the first session (null: until it starts).",
    )
    refund_partial_percent = serializers.IntegerField(
        min_value=0, max_value=100, required=False, help_text="Then this share is refunded (0: none)."
    )
    refund_partial_days = serializers.IntegerField(
        min_value=0, max_value=365, required=False, help_text="…until this many days before; after that, none."
    )
    reminder_hours = serializers.IntegerField(min_value=0, max_value=168, required=False)
    completion_threshold = serializers.IntegerField(
        min_value=1,
        max_value=100,
        required=False,
        help_text="Courses: per cent of held sessions a participant must attend to complete (default 75).",
    )
    questions = QuestionWriteSerializer(many=True, required=False, max_length=MAX_QUESTIONS)

    def validate_spoken_languages(self, value):
        unknown = [code for code in value if code.lower() not in KNOWN_LANGUAGE_CODES]
        if unknown:
            raise serializers.ValidationError(_("Unknown language code(s): %(codes)s.") % {"codes": ", ".join(unknown)})
        return list(dict.fromkeys(code.lower() for code in value))

    def validate_timezone(self, value):
        if value not in zoneinfo.available_timezones():
            raise serializers.ValidationError(_("Unknown time zone “%(tz)s”, e.g. Asia/Shanghai.") % {"tz": value})
        return value

    def validate_currency(self, value):
        value = value.upper()
        if not CURRENCY_RE.match(value):
            raise serializers.ValidationError(_("Use a three-letter ISO 4217 code, e.g. CNY."))
        return value

    def validate(self, attrs):
        instance = self.instance
        default_language = attrs.get("default_language", getattr(instance, "default_language", "en"))
        title = attrs.get("title_i18n", getattr(instance, "title", None)) or {}
        errors = {}
        if not title.get(default_language):
            errors["title_i18n"] = [
                _("A title in the default language (%(code)s) is required.") % {"code": default_language}
            ]
        opens = attrs.get("registration_opens_at", getattr(instance, "registration_opens_at", None))
        closes = attrs.get("registration_closes_at", getattr(instance, "registration_closes_at", None))
        if opens and closes and closes <= opens:
            errors["registration_closes_at"] = [_("Registration must close after it opens.")]
        keys = [question["key"] for question in attrs.get("questions", [])]
        if len(keys) != len(set(keys)):
            errors["questions"] = [_("Question keys must be unique within an event.")]
        if errors:
            raise serializers.ValidationError(errors)
        return attrs

    def to_service_fields(self) -> dict:
        """Map validated input onto the model field names the services take."""
        data = dict(self.validated_data)
        data.pop("organization", None)
        data.pop("questions", None)
        for name in ("title", "summary", "description"):
            if f"{name}_i18n" in data:
                data[name] = data.pop(f"{name}_i18n")
        return data


class OrganizerEventSerializer(EventDetailSerializer):
    class Meta(EventDetailSerializer.Meta):
        fields = [
            *EventDetailSerializer.Meta.fields,
            "payment_methods",
            "payment_hold_minutes",
            "email_confirm_minutes",
            "open_holds_per_domain",
            "checkin_opens_minutes",
            "reminder_hours",
            "completion_threshold",
            "seats_held",
            "recurrence_rule",
            "published_at",
            "cancelled_at",
        ]


class SessionWriteSerializer(serializers.Serializer):
    starts_at = BoundedDateTimeField()
    ends_at = BoundedDateTimeField()
    venue = serializers.PrimaryKeyRelatedField(queryset=Venue.objects.all(), required=False, allow_null=True)
    title_i18n = TranslationsField(max_length=200, required=False)
    allow_overlap = serializers.BooleanField(default=False, write_only=True)

    def validate(self, attrs):
        starts = attrs.get("starts_at", getattr(self.instance, "starts_at", None))
        ends = attrs.get("ends_at", getattr(self.instance, "ends_at", None))
        if starts and ends and ends <= starts:
            raise serializers.ValidationError({"ends_at": [_("The end must be after the start.")]})
        return attrs


@extend_schema_field({"type": "string", "format": "date-time", "example": "2026-12-01T19:00"})
class WallClockDateTimeField(serializers.Field):
    """A local time as written (``2026-12-01T19:00``), kept naive: the event's zone applies later."""

    default_error_messages = {
        "invalid": _("Use an ISO 8601 date and time, e.g. 2026-12-01T19:00."),
        "out_of_range": DATETIME_OUT_OF_RANGE,
    }

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        try:
            value = parse_datetime(data.strip())
        except ValueError:
            value = None
        if value is None:
            self.fail("invalid")
        if not EARLIEST_DATETIME.year <= value.year < LATEST_DATETIME.year:
            self.fail("out_of_range")
        return value

    def to_representation(self, value):
        return value.isoformat()


class SessionsGenerateSerializer(serializers.Serializer):
    rule = serializers.CharField(
        max_length=500, help_text="RFC 5545 RRULE, e.g. FREQ=WEEKLY;BYDAY=TU;COUNT=8 (COUNT or UNTIL required)."
    )
    first_start = WallClockDateTimeField(
        help_text="Wall-clock start of the first session in the event's time zone, e.g. 2026-12-01T19:00."
    )
    duration_minutes = serializers.IntegerField(min_value=1, max_value=24 * 60)
    venue = serializers.PrimaryKeyRelatedField(queryset=Venue.objects.all(), required=False, allow_null=True)
    replace_future = serializers.BooleanField(default=False)
    allow_overlap = serializers.BooleanField(default=False)


class EventImageSerializer(serializers.Serializer):
    image = serializers.FileField(help_text="A JPEG, PNG or WebP picture (checked by decoding it).")
