"""HTTP layer for the door: scan, party check-in, undo, cash, search, offline list, counts.

Who: owners, managers and volunteers of an organization (token or session auth). Anybody else
is 403 for every endpoint here, anonymous callers 401. Within that, a session, registration or
check-in of another organization is "not found" (or ``wrong_event`` for a scanned ticket).
"""

from __future__ import annotations

import hashlib
import json

from django.utils import timezone
from django.utils.http import parse_etags
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import permissions, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from checkin import selectors, services
from checkin.models import CheckIn
from checkin.serializers import (
    BatchInputSerializer,
    BatchOutputSerializer,
    CheckinAnswerSerializer,
    CheckInSerializer,
    CheckinSessionSerializer,
    CountsSerializer,
    DoorPaymentSerializer,
    OfflineListSerializer,
    RegistrationCheckinInputSerializer,
    RegistrationCheckinOutputSerializer,
    ScanInputSerializer,
    SearchOutputSerializer,
    SearchQuerySerializer,
    SearchResultSerializer,
    SessionListQuerySerializer,
    TicketListQuerySerializer,
    scan_input,
)
from common.i18n import active_language
from common.schema import error_response
from common.throttling import CheckinPerUserThrottle, PrefetchingRateLimits
from organizations.auth import token_cache_key
from registrations.tickets import public_key_b64

LANG_PARAM = OpenApiParameter(
    "lang", str, description="Language of messages and titles (en, zh-hans, ja); default from Accept-Language."
)


class IsCheckinStaff(permissions.BasePermission):
    """Owner, manager or volunteer of at least one organization. Unauthenticated → 401."""

    message = _("Only an organization's volunteers, managers and owners can check people in.")

    def has_permission(self, request, view) -> bool:
        return selectors.is_checkin_staff(user=request.user)


class CheckinApi(APIView):
    permission_classes = [IsCheckinStaff]
    throttle_classes = [CheckinPerUserThrottle]


def _answer(result: services.CheckinResult) -> Response:
    response = Response(result.body)
    if result.replayed:
        response["Idempotent-Replayed"] = "true"
    return response


class ScanApi(PrefetchingRateLimits, CheckinApi):
    """Check a scanned ticket in (or out). Every outcome is a 200 with a ``status``; retries with
    the same ``nonce`` get the first answer again (header ``Idempotent-Replayed: true``).

    The door's busiest request: its rate limit, the token's cache entry (user and roles) and the
    scanned session's, in one round trip before DRF asks for them one by one.
    """

    def cache_read_keys(self, request) -> list[str | None]:
        session = request.data.get("session") if isinstance(request.data, dict) else None
        session_key = selectors.session_cache_key(session) if isinstance(session, int) else None
        return [token_cache_key(request), session_key]

    @extend_schema(request=ScanInputSerializer, responses={200: CheckinAnswerSerializer}, parameters=[LANG_PARAM])
    def post(self, request):
        data = scan_input(request.data)
        if data is None:  # not the common shape: the serializer checks it and words the errors
            serializer = ScanInputSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            data = serializer.validated_data
        result = services.checkin_perform(
            code=data["code"],
            session_id=data.get("session"),
            nonce=data["nonce"],
            direction=data["direction"],
            user=request.user,
            device=data["device"],
        )
        return _answer(result)


class RegistrationCheckinApi(CheckinApi):
    """Check in all or some tickets of one registration (after a name search)."""

    @extend_schema(
        request=RegistrationCheckinInputSerializer,
        responses={200: RegistrationCheckinOutputSerializer},
        parameters=[LANG_PARAM],
    )
    def post(self, request, pk: int):
        serializer = RegistrationCheckinInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        outcome = services.checkin_registration(
            registration_id=pk,
            session_id=data["session"],
            nonce=data["nonce"],
            ticket_ids=data.get("tickets"),
            direction=data["direction"],
            user=request.user,
            device=data["device"],
        )
        return Response(
            {
                "registration_id": outcome.registration.pk,
                "session": outcome.session.pk,
                "results": [result.body for result in outcome.results],
                "party": outcome.party,
            }
        )


class BatchApi(CheckinApi):
    """Upload scans made offline (at most 500). One answer per scan, in the order sent."""

    @extend_schema(request=BatchInputSerializer, responses={200: BatchOutputSerializer}, parameters=[LANG_PARAM])
    def post(self, request):
        serializer = BatchInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        results = services.checkin_batch(scans=data["scans"], user=request.user, device=data["device"])
        return Response({"results": [result.body for result in results]})


class RevertApi(CheckinApi):
    """Undo a mistaken scan; kept in the history with who undid it. Undoing twice is a no-op."""

    @extend_schema(request=None, responses={200: CheckInSerializer})
    def post(self, request, pk: int):
        checkin = services.checkin_revert(checkin_id=pk, user=request.user)
        checkin = CheckIn.objects.select_related("ticket", "scanned_by", "reverted_by").get(pk=checkin.pk)
        return Response(CheckInSerializer(checkin).data)


class DoorPaymentApi(CheckinApi):
    """Record cash taken at the door for a pay-at-door registration. Idempotent."""

    @extend_schema(request=None, responses={200: DoorPaymentSerializer})
    def post(self, request, pk: int):
        payment = services.checkin_door_payment(registration_id=pk, user=request.user)
        body = {
            "id": payment.pk,
            "registration_id": payment.registration_id,
            "amount": payment.amount,
            "currency": payment.currency,
            "status": payment.status,
            "paid_at": payment.paid_at,
            "received_by": payment.received_by,
        }
        return Response(DoorPaymentSerializer(body).data)


class SearchApi(CheckinApi):
    """Find attendees without their phone: name, guest name or email (emails are not shown)."""

    @extend_schema(
        parameters=[SearchQuerySerializer, LANG_PARAM],
        responses={200: SearchOutputSerializer, 404: error_response("No such session of your organizations.")},
    )
    def get(self, request):
        query = SearchQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        session = selectors.session_for_checkin_or_404(user=request.user, session_id=query.validated_data["session"])
        registrations = selectors.checkin_search(session=session, q=query.validated_data["q"])
        context = {"questions": selectors.checkin_questions(event_id=session.event_id)}
        results = SearchResultSerializer(registrations, many=True, context=context).data
        return Response({"session": session.pk, "results": results})


class SessionListApi(CheckinApi):
    """Sessions to pick from at the door: today's (in each event's timezone) and any open now."""

    @extend_schema(
        parameters=[SessionListQuerySerializer, LANG_PARAM], responses={200: CheckinSessionSerializer(many=True)}
    )
    def get(self, request):
        query = SessionListQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        now = timezone.now()
        sessions = selectors.checkin_sessions(user=request.user, day=query.validated_data["date"], now=now)
        return Response(CheckinSessionSerializer(sessions, many=True, context={"now": now}).data)


def _etag(body: dict) -> str:
    """A strong validator over the list's data. ``generated_at`` is left out: it is the cursor
    for the next ``?since=``, not data, so an unchanged list still answers 304."""
    data = {key: value for key, value in body.items() if key != "generated_at"}
    digest = hashlib.sha256(json.dumps(data, sort_keys=True, separators=(",", ":"), default=str).encode())
    return f'"{digest.hexdigest()}"'


def _etag_matches(request, etag: str) -> bool:
    header = request.headers.get("If-None-Match")
    if not header:
        return False
    tags = parse_etags(header)
    # If-None-Match compares weakly (RFC 9110 13.1.2): W/"x" matches "x".
    return "*" in tags or etag in {tag.removeprefix("W/") for tag in tags}


class OfflineTicketListApi(CheckinApi):
    """What a scanner needs to decide alone: hashed codes, names, statuses, the public key.

    Send ``If-None-Match`` with the last ``ETag`` (304 when nothing changed), or ``?since=`` with
    the last ``generated_at`` to get only the tickets that changed.
    """

    @extend_schema(
        parameters=[TicketListQuerySerializer, LANG_PARAM],
        responses={200: OfflineListSerializer, 304: OpenApiResponse(description="Not modified")},
    )
    def get(self, request, pk: int):
        query = TicketListQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        session = selectors.session_for_checkin_or_404(user=request.user, session_id=pk)
        since = query.validated_data.get("since")
        generated_at = timezone.now()
        event = session.event
        timestamp = serializers.DateTimeField().to_representation
        body = {
            "session": {
                "id": session.pk,
                "starts_at": timestamp(session.starts_at),
                "ends_at": timestamp(session.ends_at),
                "status": session.status,
            },
            "event": {
                "id": event.pk,
                "slug": event.slug,
                "title": event.t("title", active_language()),
                "timezone": event.timezone,
                "checkin_opens_minutes": event.checkin_opens_minutes,
            },
            "public_key": public_key_b64(),
            "generated_at": timestamp(generated_at),
            "since": timestamp(since) if since else None,
            # Plain dicts, not a nested serializer: this list can hold thousands of tickets.
            "tickets": selectors.session_offline_tickets(session=session, since=since),
        }
        etag = _etag(body)
        headers = {"ETag": etag, "Cache-Control": "private, no-cache", "Vary": "Accept-Language, Cookie, Authorization"}
        if _etag_matches(request, etag):
            return Response(status=status.HTTP_304_NOT_MODIFIED, headers=headers)
        return Response(body, headers=headers)


class CountsApi(CheckinApi):
    """Live numbers for the door's display."""

    @extend_schema(responses={200: CountsSerializer})
    def get(self, request, pk: int):
        session = selectors.session_for_checkin_or_404(user=request.user, session_id=pk)
        return Response(CountsSerializer(selectors.session_checkin_counts(session=session)).data)
