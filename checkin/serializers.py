"""Input checks and output shapes of the check-in API.

Inputs are strict about types (a number where a code belongs is a 400, not a code "123"),
because scanners are programs and a wrong type is a bug worth hearing about.
"""

from __future__ import annotations

import datetime as dt
import uuid

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from checkin import answers
from checkin.models import CheckIn
from checkin.services import MAX_BATCH
from common.i18n import active_language
from common.serializers import BoundedDateTimeField, TranslatedField
from registrations.tickets import MAX_CODE_LENGTH


class StrictCharField(serializers.CharField):
    """A CharField that refuses numbers, booleans and objects instead of turning them into text."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictIntegerField(serializers.IntegerField):
    """An IntegerField that refuses booleans, floats and numeric strings."""

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictUUIDField(serializers.UUIDField):
    """A UUIDField that wants the text form: DRF would also take an integer as UUID(int=...)."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid", value=data)
        return super().to_internal_value(data)


def _code_field(max_length: int = MAX_CODE_LENGTH, **kwargs) -> StrictCharField:
    return StrictCharField(
        max_length=max_length,
        trim_whitespace=False,  # the ticket parser strips a scanner's trailing newline itself
        help_text="The scanned ticket code (HG1.<id>.<signature>) or the ticket's 8-character short code "
        "(as printed, e.g. K7QM-2XPR; any case, hyphen optional).",
        **kwargs,
    )


def _device_field() -> StrictCharField:
    return StrictCharField(
        max_length=64, required=False, allow_blank=True, default="", help_text="A short name of the scanning device."
    )


# --- input ----------------------------------------------------------------------------------------


class ScanInputSerializer(serializers.Serializer):
    code = _code_field()
    session = StrictIntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        help_text="Session id; default: the ticket's event's session whose check-in window is open now.",
    )
    nonce = StrictUUIDField(help_text="A UUID the scanner makes once per scan; a retry sends the same one.")
    direction = serializers.ChoiceField(choices=CheckIn.Direction.choices, default=CheckIn.Direction.IN)
    device = _device_field()


_SCAN_KEYS = frozenset(ScanInputSerializer._declared_fields)
_DIRECTIONS = frozenset(CheckIn.Direction.values)
_MAX_ID = 2**31 - 1  # beyond a PostgreSQL integer the serializer decides (as it does for all else)


def _plain(text, max_length: int) -> bool:
    """Text the StrictCharField takes as it is: a str within the length, ASCII without NUL (so
    without the surrogates and null characters the field refuses)."""
    return isinstance(text, str) and len(text) <= max_length and text.isascii() and "\x00" not in text


def scan_input(data) -> dict | None:
    """``ScanInputSerializer``'s validated data for the common well-formed scan, without building
    the serializer (a tenth of a scan's time); None for anything else, which the serializer then
    checks and words the errors for. Accepts a subset of what the serializer accepts, with the
    same result (tests/checkin/test_scan_input.py compares the two)."""
    if type(data) is not dict or not data.keys() <= _SCAN_KEYS:  # JSON only: a form's QueryDict is not
        return None
    code, session, nonce = data.get("code"), data.get("session"), data.get("nonce")
    direction, device = data.get("direction", CheckIn.Direction.IN), data.get("device", "")
    if not (_plain(code, MAX_CODE_LENGTH) and code and _plain(device, 64) and isinstance(nonce, str)):
        return None
    if not isinstance(direction, str) or direction not in _DIRECTIONS:
        return None
    if session is not None and (type(session) is not int or not 1 <= session <= _MAX_ID):
        return None
    try:
        nonce = uuid.UUID(nonce)
    except ValueError:
        return None
    scan = {"code": code, "nonce": nonce, "direction": direction, "device": device}
    if "session" in data:
        scan["session"] = session
    return scan


class RegistrationCheckinInputSerializer(serializers.Serializer):
    session = StrictIntegerField(min_value=1)
    nonce = StrictUUIDField()
    tickets = serializers.ListField(
        child=StrictIntegerField(min_value=1),
        required=False,
        allow_empty=False,
        max_length=50,
        help_text="Ticket ids to check in; default: every ticket of the registration.",
    )
    direction = serializers.ChoiceField(choices=CheckIn.Direction.choices, default=CheckIn.Direction.IN)
    device = _device_field()


class BatchScanSerializer(serializers.Serializer):
    # Longer than a real code on purpose: a stray QR code (a URL on a poster) scanned offline
    # must come back as "invalid" for its scan, not block the whole upload with a 400.
    code = _code_field(max_length=1000, allow_blank=True)
    session = StrictIntegerField(required=False, allow_null=True, min_value=1)
    nonce = StrictUUIDField()
    scanned_at = serializers.DateTimeField(help_text="When the scanner saw the code (ISO 8601 with offset).")
    direction = serializers.ChoiceField(choices=CheckIn.Direction.choices, default=CheckIn.Direction.IN)
    device = _device_field()


class BatchInputSerializer(serializers.Serializer):
    scans = serializers.ListField(child=BatchScanSerializer(), max_length=MAX_BATCH, allow_empty=True)
    device = _device_field()


class SearchQuerySerializer(serializers.Serializer):
    session = serializers.IntegerField(min_value=1)
    q = serializers.CharField(
        min_length=2,
        max_length=100,
        help_text="Part of a name (the registrant's or a guest's), or a whole email address.",
    )


class TicketListQuerySerializer(serializers.Serializer):
    since = BoundedDateTimeField(required=False)


class SessionListQuerySerializer(serializers.Serializer):
    date = serializers.CharField(required=False, default="today", help_text="today (default) or YYYY-MM-DD")

    def validate_date(self, value):
        if value == "today":
            return None
        try:
            return serializers.DateField().to_internal_value(value)
        except serializers.ValidationError as exc:
            raise serializers.ValidationError(_("Use “today” or a date like 2026-05-01.")) from exc


# --- output: the scan answer (built in checkin/answers.py; these classes document it) ---------------


class AttendeeSerializer(serializers.Serializer):
    name = serializers.CharField()
    position = serializers.IntegerField(help_text="0 for the registrant, 1.. for their guests.")
    party_size = serializers.IntegerField()
    registration_status = serializers.CharField()
    ticket_type = serializers.CharField(allow_null=True, help_text="The seat's ticket type (Student…), if any.")
    door_note = serializers.CharField(
        allow_null=True, help_text="What to check at the door for this type, e.g. 'Bring your student card'."
    )


class ShownAnswerSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    value = serializers.CharField()


class PaymentDueSerializer(serializers.Serializer):
    amount = serializers.DecimalField(max_digits=10, decimal_places=2, coerce_to_string=True)
    currency = serializers.CharField()


class PartyMemberSerializer(serializers.Serializer):
    ticket_id = serializers.IntegerField()
    name = serializers.CharField()
    position = serializers.IntegerField()
    checked_in = serializers.BooleanField()
    inside = serializers.BooleanField()
    checkin_id = serializers.IntegerField(allow_null=True)


class ScanErrorSerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()
    fields = serializers.DictField()


class CheckinAnswerSerializer(serializers.Serializer):
    nonce = serializers.UUIDField(allow_null=True)
    status = serializers.ChoiceField(choices=answers.STATUSES)
    color = serializers.ChoiceField(choices=answers.COLORS)
    message = serializers.CharField(help_text="What to tell the volunteer, in the request's language.")
    checkin_id = serializers.IntegerField(allow_null=True, help_text="The recorded scan (for undo).")
    direction = serializers.ChoiceField(choices=CheckIn.Direction.choices)
    session = serializers.IntegerField(allow_null=True)
    ticket_id = serializers.IntegerField(allow_null=True)
    registration_id = serializers.IntegerField(allow_null=True)
    scanned_at = serializers.DateTimeField(allow_null=True)
    entry = serializers.IntegerField(allow_null=True, help_text="1 on arrival, 2 after one exit and re-entry…")
    attendee = AttendeeSerializer(allow_null=True)
    answers = ShownAnswerSerializer(many=True)
    payment_due = PaymentDueSerializer(allow_null=True)
    first_scanned_at = serializers.DateTimeField(allow_null=True)
    first_scanned_by = serializers.CharField(allow_null=True)
    first_checkin_id = serializers.IntegerField(allow_null=True)
    party = PartyMemberSerializer(many=True, allow_null=True)
    error = ScanErrorSerializer(allow_null=True, help_text="Batch only, with status “error”.")


class RegistrationCheckinOutputSerializer(serializers.Serializer):
    registration_id = serializers.IntegerField()
    session = serializers.IntegerField()
    results = CheckinAnswerSerializer(many=True)
    party = PartyMemberSerializer(many=True)


class BatchOutputSerializer(serializers.Serializer):
    results = CheckinAnswerSerializer(many=True)


# --- output: records and lists --------------------------------------------------------------------


@extend_schema_field({"type": "string", "nullable": True})
class DisplayNameField(serializers.Field):
    def __init__(self, **kwargs):
        kwargs["read_only"] = True
        super().__init__(**kwargs)

    def to_representation(self, user):
        return answers.display_name(user)


class CheckInSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="ticket.name")
    scanned_by = DisplayNameField()
    reverted_by = DisplayNameField()

    class Meta:
        model = CheckIn
        fields = [
            "id",
            "ticket",
            "registration",
            "session",
            "name",
            "direction",
            "entry",
            "status",
            "is_duplicate",
            "source",
            "device",
            "scanned_at",
            "recorded_at",
            "scanned_by",
            "reverted_at",
            "reverted_by",
        ]
        read_only_fields = fields


class DoorPaymentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    registration_id = serializers.IntegerField()
    amount = serializers.DecimalField(max_digits=10, decimal_places=2)
    currency = serializers.CharField()
    status = serializers.CharField()
    paid_at = serializers.DateTimeField()
    received_by = DisplayNameField()


class TicketStateSerializer(serializers.Serializer):
    ticket_id = serializers.IntegerField(source="pk")
    name = serializers.CharField()
    position = serializers.IntegerField()
    checked_in = serializers.SerializerMethodField()
    inside = serializers.SerializerMethodField()
    checkin_id = serializers.IntegerField(allow_null=True)

    def get_checked_in(self, ticket) -> bool:
        return ticket.checkin_id is not None

    def get_inside(self, ticket) -> bool:
        return ticket.checkin_id is not None and not ticket.checkin_left


class SearchResultSerializer(serializers.Serializer):
    """A registration as the door sees it: no email, no payment ids."""

    id = serializers.IntegerField()
    name = serializers.CharField()
    status = serializers.CharField()
    party_size = serializers.IntegerField()
    payment_due = serializers.SerializerMethodField()
    answers = serializers.SerializerMethodField()
    tickets = TicketStateSerializer(many=True)

    @extend_schema_field(PaymentDueSerializer(allow_null=True))
    def get_payment_due(self, registration) -> dict | None:
        return answers.payment_due(registration)

    @extend_schema_field(ShownAnswerSerializer(many=True))
    def get_answers(self, registration) -> list[dict]:
        return answers.shown_answers(registration, self.context.get("questions", []))


class SearchOutputSerializer(serializers.Serializer):
    session = serializers.IntegerField()
    results = SearchResultSerializer(many=True)


class OfflineTicketSerializer(serializers.Serializer):
    ticket_id = serializers.IntegerField()
    code_hash = serializers.CharField(help_text="sha256 hex of the full ticket code.")
    name = serializers.CharField()
    position = serializers.IntegerField()
    registration_id = serializers.IntegerField()
    party_size = serializers.IntegerField()
    status = serializers.CharField(help_text="The registration's status.")
    payment_due = PaymentDueSerializer(allow_null=True)
    checked_in = serializers.BooleanField()
    inside = serializers.BooleanField()


class OfflineEventSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    slug = serializers.CharField()
    title = serializers.CharField()
    timezone = serializers.CharField()
    checkin_opens_minutes = serializers.IntegerField()


class OfflineSessionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    status = serializers.CharField()


class OfflineListSerializer(serializers.Serializer):
    session = OfflineSessionSerializer()
    event = OfflineEventSerializer()
    public_key = serializers.CharField(help_text="Ed25519 public key, raw 32 bytes, base64url without padding.")
    generated_at = serializers.DateTimeField(help_text="Pass it back as ?since= to fetch only what changed.")
    since = serializers.DateTimeField(allow_null=True)
    tickets = OfflineTicketSerializer(many=True)


class CountsSerializer(serializers.Serializer):
    session = serializers.IntegerField()
    expected = serializers.IntegerField(help_text="Seats of confirmed registrations.")
    checked_in = serializers.IntegerField(help_text="Tickets with an effective check-in.")
    not_arrived = serializers.IntegerField()
    inside_now = serializers.IntegerField(help_text="Effective entries minus effective exits.")
    by_direction = serializers.DictField(child=serializers.IntegerField())
    duplicates = serializers.IntegerField()
    reverted = serializers.IntegerField()
    offline = serializers.IntegerField()
    payments_due = serializers.IntegerField(help_text="Confirmed pay-at-door registrations not paid yet.")


class CheckinEventSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    slug = serializers.CharField()
    kind = serializers.CharField()
    title = TranslatedField()
    timezone = serializers.CharField()


class CheckinSessionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    event = CheckinEventSerializer()
    title = TranslatedField()
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    status = serializers.CharField()
    venue = serializers.SerializerMethodField()
    checkin_opens_at = serializers.SerializerMethodField()
    checkin_open = serializers.SerializerMethodField()

    def get_venue(self, session) -> str | None:
        venue = session.venue if session.venue_id else session.event.venue
        return venue.t("name", active_language()) if venue is not None else None

    def _opens_at(self, session) -> dt.datetime:
        return session.starts_at - dt.timedelta(minutes=session.event.checkin_opens_minutes)

    def get_checkin_opens_at(self, session) -> str:
        return serializers.DateTimeField().to_representation(self._opens_at(session))

    def get_checkin_open(self, session) -> bool:
        now = self.context["now"]
        return not session.is_cancelled and self._opens_at(session) <= now <= session.ends_at
