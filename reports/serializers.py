"""The JSON shape of the reports (output only). The selectors build plain dicts; these document and
render them (datetimes as ISO 8601, money as decimal strings)."""

from __future__ import annotations

from rest_framework import serializers

from events.models import Event, Session


class CountSerializer(serializers.Serializer):
    registrations = serializers.IntegerField()
    seats = serializers.IntegerField()


class RegistrationCountsSerializer(serializers.Serializer):
    total = CountSerializer(help_text="Every registration, whatever its status.")
    confirmed = CountSerializer()
    pending_payment = CountSerializer()
    pending_email = CountSerializer()
    waitlisted = CountSerializer()
    cancelled = CountSerializer()
    expired = CountSerializer()


class ArrivalBucketSerializer(serializers.Serializer):
    offset_minutes = serializers.IntegerField(help_text="Minutes from the session's start to the bucket's start.")
    starts_at = serializers.DateTimeField()
    label = serializers.CharField(help_text="The bucket's start as HH:MM in the event's time zone.")
    arrivals = serializers.IntegerField()


class ArrivalsSerializer(serializers.Serializer):
    bucket_minutes = serializers.IntegerField()
    from_minutes = serializers.IntegerField()
    to_minutes = serializers.IntegerField()
    timezone = serializers.CharField()
    earlier = serializers.IntegerField(help_text="Arrivals before the first bucket.")
    later = serializers.IntegerField(help_text="Arrivals after the last bucket.")
    total = serializers.IntegerField()
    buckets = ArrivalBucketSerializer(many=True)


class SessionFiguresSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    status = serializers.ChoiceField(choices=Session.Status.choices)
    held = serializers.BooleanField(help_text="Not cancelled and already started.")
    confirmed_seats = serializers.IntegerField()
    checked_in = serializers.IntegerField(help_text="Distinct tickets with an effective check-in.")
    checked_in_confirmed = serializers.IntegerField()
    attendance_rate = serializers.FloatField(allow_null=True)
    no_show_rate = serializers.FloatField(
        allow_null=True, help_text="Confirmed seats not checked in / confirmed seats; null before the session."
    )
    arrivals = ArrivalsSerializer()


class LanguageFiguresSerializer(serializers.Serializer):
    code = serializers.CharField()
    label = serializers.CharField()
    registrations = serializers.IntegerField(help_text="Confirmed registrations.")
    seats = serializers.IntegerField(help_text="Confirmed seats.")
    checked_in = serializers.IntegerField()


class AnswerFiguresSerializer(serializers.Serializer):
    value = serializers.JSONField()
    label = serializers.CharField()
    registrations = serializers.IntegerField()
    seats = serializers.IntegerField()


class QuestionFiguresSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    kind = serializers.CharField()
    answers = AnswerFiguresSerializer(many=True)
    unanswered = CountSerializer()


class DoorTakingsSerializer(serializers.Serializer):
    currency = serializers.CharField()
    amount = serializers.DecimalField(max_digits=12, decimal_places=2)
    payments = serializers.IntegerField()


class RatingCountSerializer(serializers.Serializer):
    rating = serializers.IntegerField()
    count = serializers.IntegerField()


class CommentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    rating = serializers.IntegerField()
    comment = serializers.CharField()
    language = serializers.CharField()
    created_at = serializers.DateTimeField()


class FeedbackFiguresSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    average = serializers.FloatField(allow_null=True)
    ratings = RatingCountSerializer(many=True)
    comments_total = serializers.IntegerField()
    comments = CommentSerializer(many=True, help_text="The latest 100 comments; all of them in feedback.csv.")


class DistributionSerializer(serializers.Serializer):
    sessions_attended = serializers.IntegerField()
    participants = serializers.IntegerField()


class CourseFiguresSerializer(serializers.Serializer):
    threshold = serializers.FloatField()
    held_sessions = serializers.IntegerField()
    sessions_needed = serializers.IntegerField()
    participants = serializers.IntegerField(help_text="Seats of confirmed registrations.")
    completed = serializers.IntegerField()
    completion_rate = serializers.FloatField(allow_null=True)
    distribution = DistributionSerializer(many=True)


class ReportEventSerializer(serializers.Serializer):
    slug = serializers.SlugField()
    title = serializers.SerializerMethodField()
    kind = serializers.ChoiceField(choices=Event.Kind.choices)
    timezone = serializers.CharField()
    capacity = serializers.IntegerField()
    currency = serializers.CharField()

    def get_title(self, event) -> str:
        return event.t("title", self.context.get("language"))


class EventReportSerializer(serializers.Serializer):
    event = serializers.SerializerMethodField()
    generated_at = serializers.DateTimeField()
    language = serializers.CharField()
    registrations = RegistrationCountsSerializer()
    checked_in = serializers.IntegerField(help_text="Distinct tickets checked in at any session.")
    checked_in_confirmed = serializers.IntegerField()
    attendance_rate = serializers.FloatField(allow_null=True)
    no_show_rate = serializers.FloatField(allow_null=True)
    sessions = SessionFiguresSerializer(many=True)
    languages = LanguageFiguresSerializer(many=True)
    questions = QuestionFiguresSerializer(many=True)
    door_takings = DoorTakingsSerializer(many=True)
    feedback = FeedbackFiguresSerializer()
    course = CourseFiguresSerializer(allow_null=True)

    def get_event(self, report) -> ReportEventSerializer:
        return ReportEventSerializer(report["event"], context={"language": report["language"]}).data


class AttendanceSessionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    starts_at = serializers.DateTimeField()
    held = serializers.BooleanField()


class AttendanceCellSerializer(serializers.Serializer):
    session = serializers.IntegerField()
    checked_in_at = serializers.DateTimeField(allow_null=True)


class AttendanceRowSerializer(serializers.Serializer):
    registration_id = serializers.IntegerField()
    seat = serializers.IntegerField()
    name = serializers.CharField()
    language = serializers.CharField()
    attended = serializers.IntegerField(help_text="Held sessions attended.")
    completed = serializers.BooleanField()
    sessions = AttendanceCellSerializer(many=True)


class AttendancePageSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    threshold = serializers.FloatField()
    held_sessions = serializers.IntegerField()
    sessions_needed = serializers.IntegerField()
    sessions = AttendanceSessionSerializer(many=True)
    results = AttendanceRowSerializer(many=True)


class OrganizationFiguresSerializer(serializers.Serializer):
    events_held = serializers.IntegerField()
    registrations = serializers.IntegerField()
    confirmed_seats = serializers.IntegerField()
    expected_attendances = serializers.IntegerField(help_text="Confirmed seats × sessions held in the range.")
    attendances = serializers.IntegerField(help_text="Distinct (confirmed ticket, held session) check-ins.")
    attendance_rate = serializers.FloatField(allow_null=True)
    unique_participants = serializers.IntegerField(help_text="Distinct emails of confirmed registrations.")
    returning_participants = serializers.IntegerField(help_text="Emails confirmed at two or more events.")


class MonthFiguresSerializer(OrganizationFiguresSerializer):
    month = serializers.CharField(help_text="YYYY-MM")
    label = serializers.CharField()


class OrganizationEventFiguresSerializer(serializers.Serializer):
    slug = serializers.SlugField()
    title = serializers.CharField()
    kind = serializers.ChoiceField(choices=Event.Kind.choices)
    month = serializers.CharField()
    first_held_at = serializers.DateTimeField()
    held_sessions = serializers.IntegerField()
    registrations = serializers.IntegerField()
    confirmed_seats = serializers.IntegerField()
    expected_attendances = serializers.IntegerField()
    attendances = serializers.IntegerField()
    attendance_rate = serializers.FloatField(allow_null=True)


class ReportOrganizationSerializer(serializers.Serializer):
    slug = serializers.SlugField()
    name = serializers.SerializerMethodField()

    def get_name(self, organization) -> str:
        return organization.t("name", self.context.get("language"))


class OrganizationReportSerializer(serializers.Serializer):
    organization = serializers.SerializerMethodField()
    timezone = serializers.CharField()
    generated_at = serializers.DateTimeField()
    language = serializers.CharField()
    totals = OrganizationFiguresSerializer()
    months = MonthFiguresSerializer(many=True)
    events = OrganizationEventFiguresSerializer(many=True)

    def get_organization(self, report) -> ReportOrganizationSerializer:
        return ReportOrganizationSerializer(report["organization"], context={"language": report["language"]}).data

    def get_fields(self):
        # "from" and "to" are Python keywords, so they cannot be declared as class attributes.
        fields = super().get_fields()
        ordered = {"organization": fields.pop("organization")}
        ordered["from"] = serializers.DateField(help_text="First day of the range (included).")
        ordered["to"] = serializers.DateField(help_text="Last day of the range (included).")
        return {**ordered, **fields}


class VoiceTopicSerializer(serializers.Serializer):
    topic = serializers.CharField()
    label = serializers.CharField()
    received = serializers.IntegerField()
    answered = serializers.IntegerField()


class VoicesReportSerializer(serializers.Serializer):
    """Residents' comments received in the range: per topic, and the hours to the first answer."""

    organization = serializers.CharField()
    received = serializers.IntegerField()
    answered = serializers.IntegerField()
    open = serializers.IntegerField(help_text="New or in progress (received in the range).")
    topics = VoiceTopicSerializer(many=True)
    median_hours_to_answer = serializers.FloatField(allow_null=True)
    mean_hours_to_answer = serializers.FloatField(allow_null=True)

    def get_fields(self):
        fields = super().get_fields()
        ordered = {"organization": fields.pop("organization")}
        ordered["from"] = serializers.DateField(help_text="First day of the range (included).")
        ordered["to"] = serializers.DateField(help_text="Last day of the range (included).")
        return {**ordered, **fields}
