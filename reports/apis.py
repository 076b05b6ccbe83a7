"""Report API for organizers (owners and managers; token or session auth).

An event or organization the user does not manage is 404, so slugs cannot be probed; volunteers
(who may scan, not read reports) get the same 404.
"""

from __future__ import annotations

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from common.exceptions import InvalidInput, NotFound
from common.pagination import PageNumberPagination
from organizations.permissions import IsOrganizer
from reports import exports, selectors
from reports.certificates import certificate_pdf
from reports.serializers import (
    AttendancePageSerializer,
    EventReportSerializer,
    OrganizationReportSerializer,
    VoicesReportSerializer,
)

LANG_PARAM = OpenApiParameter("lang", str, description="Language of the labels (en, zh-hans, ja).")
CSV_RESPONSE = {(200, "text/csv"): OpenApiTypes.BINARY}


class ReportApi(APIView):
    permission_classes = [IsOrganizer]


class EventReportApi(ReportApi):
    """Every figure of one event: registrations, check-ins and arrivals per session, languages,
    answers, door takings, feedback; and completion for a course."""

    @extend_schema(operation_id="reports_event", parameters=[LANG_PARAM], responses=EventReportSerializer)
    def get(self, request, slug: str):
        event = selectors.report_event(user=request.user, slug=slug)
        return Response(EventReportSerializer(selectors.event_report(event=event)).data)


class EventReportCsvApi(ReportApi):
    """One table of the event report as CSV (UTF-8 with BOM): sessions, arrivals, languages,
    answers, feedback, or attendance (one row per participant, one column per session)."""

    @extend_schema(
        operation_id="reports_event_csv",
        parameters=[OpenApiParameter("table", str, OpenApiParameter.PATH, enum=list(exports.EVENT_TABLES))],
        responses=CSV_RESPONSE,
    )
    def get(self, request, slug: str, table: str):
        event = selectors.report_event(user=request.user, slug=slug)
        if table not in exports.EVENT_TABLES:
            raise NotFound()
        return exports.event_csv(event=event, table=table, actor=request.user)


class AttendancePagination(PageNumberPagination):
    page_size = 50


class EventAttendanceApi(ReportApi):
    """The attendance matrix, a page of participants at a time: for each seat of a confirmed
    registration, when it checked in at each session, and (for courses) whether it completed."""

    @extend_schema(
        operation_id="reports_event_attendance",
        parameters=[OpenApiParameter("page", int), OpenApiParameter("page_size", int)],
        responses=AttendancePageSerializer,
    )
    def get(self, request, slug: str):
        event = selectors.report_event(user=request.user, slug=slug)
        table = selectors.attendance_table(event=event)
        paginator = AttendancePagination()
        page = paginator.paginate_queryset(table.rows, request, view=self)
        held = set(table.held_ids)
        results = [
            {
                "registration_id": ticket.registration_id,
                "seat": ticket.position,
                "name": ticket.name,
                "language": ticket.registration.language,
                "attended": ticket.attended,
                "completed": bool(held) and ticket.attended >= table.needed,
                "sessions": [
                    {"session": s.pk, "checked_in_at": getattr(ticket, table.column(s))} for s in table.sessions
                ],
            }
            for ticket in page
        ]
        body = {
            "count": paginator.page.paginator.count,
            "next": paginator.get_next_link(),
            "previous": paginator.get_previous_link(),
            "threshold": float(table.threshold),
            "held_sessions": len(table.held_ids),
            "sessions_needed": table.needed,
            "sessions": [{"id": s.pk, "starts_at": s.starts_at, "held": s.pk in held} for s in table.sessions],
            "results": results,
        }
        return Response(AttendancePageSerializer(body).data)


class CertificateApi(ReportApi):
    """A participant's certificate of completion (PDF) in their language and English. 404 unless
    the seat belongs to a confirmed registration of this course that reached the threshold."""

    @extend_schema(
        operation_id="reports_event_certificate",
        parameters=[OpenApiParameter("seat", int, description="Guest seat (0 = the registrant).")],
        responses={(200, "application/pdf"): OpenApiTypes.BINARY},
    )
    def get(self, request, slug: str, registration_id: int):
        event = selectors.report_event(user=request.user, slug=slug)
        try:
            seat = int(request.query_params.get("seat", 0))
        except ValueError as exc:
            raise InvalidInput(fields={"seat": ["Give the seat number, e.g. 0."]}) from exc
        completion = selectors.participant_completion(event=event, registration_id=registration_id, seat=seat)
        if not completion.completed:
            raise NotFound("This participant has not completed the course (yet).")
        response = HttpResponse(certificate_pdf(completion=completion, event=event), content_type="application/pdf")
        response["Content-Disposition"] = (
            f'attachment; filename="certificate-{event.slug}-{registration_id}-{seat}.pdf"'
        )
        response["Cache-Control"] = "private, no-store"
        return response


def _date_range(request, organization):
    return selectors.parse_date_range(
        date_from=request.query_params.get("from"), date_to=request.query_params.get("to"), organization=organization
    )


RANGE_PARAMS = [
    OpenApiParameter("from", OpenApiTypes.DATE, description="First day (YYYY-MM-DD); default 12 months ago."),
    OpenApiParameter("to", OpenApiTypes.DATE, description="Last day (YYYY-MM-DD, included); default today."),
]


class OrganizationReportApi(ReportApi):
    """An organization over a date range: events held, registrations, attendance rate, unique and
    returning participants, in total and by month, and per event. 400 for unreadable or reversed dates."""

    @extend_schema(
        operation_id="reports_organization",
        parameters=[*RANGE_PARAMS, LANG_PARAM],
        responses=OrganizationReportSerializer,
    )
    def get(self, request, slug: str):
        organization = selectors.report_organization(user=request.user, slug=slug)
        report = selectors.organization_report(organization=organization, date_range=_date_range(request, organization))
        return Response(OrganizationReportSerializer(report).data)


class OrganizationReportCsvApi(ReportApi):
    """The organization report's months or events as CSV (UTF-8 with BOM)."""

    @extend_schema(
        operation_id="reports_organization_csv",
        parameters=[
            *RANGE_PARAMS,
            OpenApiParameter("table", str, OpenApiParameter.PATH, enum=list(exports.ORGANIZATION_TABLES)),
        ],
        responses=CSV_RESPONSE,
    )
    def get(self, request, slug: str, table: str):
        organization = selectors.report_organization(user=request.user, slug=slug)
        if table not in exports.ORGANIZATION_TABLES:
            raise NotFound()
        report = selectors.organization_report(organization=organization, date_range=_date_range(request, organization))
        return exports.organization_csv(
            organization=organization,
            report=report,
            table=table,
            actor=request.user,
            query=request.GET.urlencode()[:200],
        )


class OrganizationVoicesApi(ReportApi):
    """Residents' comments and demands received in a date range: counts per topic (received,
    answered), how many are still open, and the median and mean hours to the first answer."""

    @extend_schema(
        operation_id="reports_organization_voices",
        parameters=[*RANGE_PARAMS, LANG_PARAM],
        responses=VoicesReportSerializer,
    )
    def get(self, request, slug: str):
        organization = selectors.report_organization(user=request.user, slug=slug)
        report = selectors.organization_voices(organization=organization, date_range=_date_range(request, organization))
        return Response(VoicesReportSerializer(report).data)
