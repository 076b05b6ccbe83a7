"""HTTP layer for registration, tickets, calendars and Stripe webhooks."""

from __future__ import annotations

from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import generics, permissions, status
from rest_framework.decorators import api_view, authentication_classes, permission_classes
from rest_framework.response import Response
from rest_framework.views import APIView

from common.exceptions import InvalidInput, NotFound
from common.i18n import active_language, content_languages
from common.idempotency import idempotent
from common.permissions import IsOrganizer
from common.schema import error_response
from common.throttling import RegistrationPerEmailThrottle, RegistrationPerIPThrottle
from events import selectors as event_selectors
from events.filters import EventFilter
from events.models import Event
from registrations import calendars, consent, exports, selectors, services, tickets
from registrations.filters import RegistrationFilter
from registrations.models import CalendarFeed, Registration
from registrations.serializers import (
    CalendarFeedRequestSerializer,
    OrganizerRegistrationSerializer,
    PrivacyConsentSerializer,
    RegistrationInputSerializer,
    RegistrationSerializer,
)

TOKEN_PARAM = OpenApiParameter("token", str, description="The private manage token from the registration links.")
PAYMENT_UNAVAILABLE = error_response("Online payment is not configured or Stripe cannot be reached.")
ICS = "text/calendar; charset=utf-8"


def _token(request) -> str | None:
    return request.headers.get("X-Manage-Token") or request.query_params.get("token")


def _registration(request, pk: int, *, organizers: bool = True) -> Registration:
    return selectors.registration_for_request(pk=pk, token=_token(request), user=request.user, organizers=organizers)


def _access(request, pk: int) -> tuple[Registration, bool]:
    """The registration and whether the caller is its attendee (else one of its organizers)."""
    return selectors.registration_access(pk=pk, token=_token(request), user=request.user)


class RegistrationCreateApi(APIView):
    """Register for an event (anonymous allowed). Send Idempotency-Key to make retries safe."""

    permission_classes = [permissions.AllowAny]
    throttle_classes = [RegistrationPerIPThrottle, RegistrationPerEmailThrottle]

    @extend_schema(
        request=RegistrationInputSerializer,
        responses={201: RegistrationSerializer, 503: PAYMENT_UNAVAILABLE},
        parameters=[OpenApiParameter("Idempotency-Key", str, location=OpenApiParameter.HEADER)],
        examples=[
            OpenApiExample(
                "With a guest",
                request_only=True,
                value={
                    "name": "Wang Mei",
                    "email": "mei@example.org",
                    "language": "zh-hans",
                    "answers": {"diet": "vegetarian"},
                    "guests": ["Li Na"],
                },
            )
        ],
    )
    def post(self, request, slug: str):
        def handler() -> Response:
            serializer = RegistrationInputSerializer(data=request.data, context={"user": request.user})
            serializer.is_valid(raise_exception=True)
            data = serializer.validated_data
            registration = services.registration_create(
                event_slug=slug,
                name=data["name"],
                email=data["email"],
                language=data.get("language") or active_language(),
                answers=data["answers"],
                consents=data["consents"],
                consent_version=data.get("consent_version") or None,
                guests=data["guests"],
                pay_at_door=data["pay_at_door"],
                user=request.user,
            )
            return Response(RegistrationSerializer(registration).data, status=status.HTTP_201_CREATED)

        return idempotent(
            request, scope=f"register:{slug}", handler=handler, context={"request": request, "view": self}
        )


class RegistrationDetailApi(APIView):
    """See or cancel one registration: with its manage token, as its owner, or as the organizer."""

    permission_classes = [permissions.AllowAny]

    @extend_schema(parameters=[TOKEN_PARAM], responses=RegistrationSerializer)
    def get(self, request, pk: int):
        registration, attendee = _access(request, pk)
        return Response(RegistrationSerializer(registration, context={"private_links": attendee}).data)

    @extend_schema(parameters=[TOKEN_PARAM], responses={200: RegistrationSerializer})
    def delete(self, request, pk: int):
        registration, attendee = _access(request, pk)
        # An organizer cancelling on the attendee's behalf is recorded in the audit log.
        services.registration_cancel(registration_id=registration.pk, actor=None if attendee else request.user)
        registration, attendee = _access(request, pk)
        return Response(RegistrationSerializer(registration, context={"private_links": attendee}).data)


class PrivacyConsentApi(APIView):
    """The privacy consent text to show before registering (``?lang=`` or Accept-Language picks the
    language), with its version: send ``consents: {"privacy": true}`` and ``consent_version``."""

    permission_classes = [permissions.AllowAny]

    @extend_schema(responses=PrivacyConsentSerializer)
    def get(self, request):
        shown = consent.privacy_consent_text(language=active_language())
        translations = {}
        for code in content_languages():
            text = consent.privacy_consent_text(language=code)
            translations[code] = {"label": text["label"], "details": text["details"]}
        body = {**shown, "translations": translations}
        response = Response(PrivacyConsentSerializer(body).data)
        response["Cache-Control"] = "public, max-age=300"
        return response


class RegistrationDataApi(APIView):
    """Your personal data in this registration: GET downloads it as JSON, DELETE erases it
    (an active registration of an event still to come is cancelled first). With the manage token
    or as the signed-in owner; organizers have their own views and the anonymisation action."""

    permission_classes = [permissions.AllowAny]

    @extend_schema(parameters=[TOKEN_PARAM], responses={200: OpenApiTypes.OBJECT})
    def get(self, request, pk: int):
        registration = _registration(request, pk, organizers=False)
        response = Response(services.registration_export(registration_id=registration.pk))
        response["Cache-Control"] = "private, no-store"
        response["Content-Disposition"] = f'attachment; filename="{services.export_filename(registration.pk)}"'
        return response

    @extend_schema(parameters=[TOKEN_PARAM], responses={200: RegistrationSerializer})
    def delete(self, request, pk: int):
        registration = _registration(request, pk, organizers=False)
        services.registration_erase(registration_id=registration.pk)
        erased = Registration.objects.select_related("event").prefetch_related("tickets").get(pk=registration.pk)
        return Response(RegistrationSerializer(erased).data)


class RegistrationCheckoutApi(APIView):
    """Start (or resume) Stripe Checkout. POST answers JSON; GET redirects the browser there."""

    permission_classes = [permissions.AllowAny]

    @extend_schema(
        parameters=[TOKEN_PARAM],
        request=None,
        responses={200: OpenApiTypes.OBJECT, 409: error_response("Not waiting for payment."), 503: PAYMENT_UNAVAILABLE},
    )
    def post(self, request, pk: int):
        payment = services.checkout_start(registration_id=_registration(request, pk).pk)
        return Response({"checkout_url": payment.checkout_url, "checkout_session_id": payment.checkout_session_id})

    @extend_schema(
        parameters=[TOKEN_PARAM],
        responses={302: None, 409: error_response("Not waiting for payment."), 503: PAYMENT_UNAVAILABLE},
    )
    def get(self, request, pk: int):
        payment = services.checkout_start(registration_id=_registration(request, pk).pk)
        return HttpResponseRedirect(payment.checkout_url)


@extend_schema(
    parameters=[TOKEN_PARAM, OpenApiParameter("seat", int)],
    responses={(200, "image/png"): bytes, (200, "image/svg+xml"): bytes},
)
@api_view(["GET"])
@permission_classes([permissions.AllowAny])
def registration_ticket(request, pk: int, fmt: str):
    registration = _registration(request, pk)
    if registration.status != Registration.Status.CONFIRMED:
        raise NotFound("This registration has no ticket (it is not confirmed).")
    try:
        seat = int(request.query_params.get("seat", 0))
    except ValueError as exc:
        raise InvalidInput(fields={"seat": ["Give the seat number, e.g. 0."]}) from exc
    ticket = next((t for t in registration.tickets.all() if t.position == seat), None)
    if ticket is None:
        raise NotFound("No such seat in this registration.")
    code = tickets.ticket_code(ticket_id=ticket.pk)
    if fmt == "svg":
        body, content_type = tickets.qr_svg(code=code), "image/svg+xml"
    else:
        body, content_type = tickets.qr_png(code=code), "image/png"
    response = HttpResponse(body, content_type=content_type)
    response["Cache-Control"] = "private, max-age=300"
    response["Content-Disposition"] = f'inline; filename="ticket-{registration.pk}-{seat}.{fmt}"'
    return response


def _ics(body: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(body, content_type=ICS)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@extend_schema(parameters=[TOKEN_PARAM], responses={(200, "text/calendar"): bytes})
@api_view(["GET"])
@permission_classes([permissions.AllowAny])
def registration_calendar(request, pk: int):
    registration = _registration(request, pk)
    if registration.status not in (Registration.Status.CONFIRMED, Registration.Status.CANCELLED):
        raise NotFound("The calendar invite comes once the registration is confirmed.")
    method = "CANCEL" if registration.status == Registration.Status.CANCELLED else "REQUEST"
    return _ics(
        calendars.registration_invite(registration=registration, method=method), f"{registration.event.slug}.ics"
    )


@extend_schema(responses={(200, "text/calendar"): bytes})
@api_view(["GET"])
@permission_classes([permissions.AllowAny])
def event_calendar(request, slug: str):
    event = get_object_or_404(event_selectors.event_detail_queryset(), slug=slug)
    return _ics(calendars.event_calendar(event=event, language=active_language()), f"{slug}.ics")


class PublicCalendarFeedApi(generics.GenericAPIView):
    """All published upcoming events as one iCal feed; takes the events list's filters."""

    filterset_class = EventFilter
    permission_classes = [permissions.AllowAny]

    def get_queryset(self):
        return event_selectors.event_list(include_past=True).prefetch_related("sessions__venue__organization")

    @extend_schema(responses={(200, "text/calendar"): bytes})
    def get(self, request):
        events = self.filter_queryset(self.get_queryset())[:500]
        body = calendars.events_feed(events=events, language=active_language(), name="Huiguan")
        response = HttpResponse(body, content_type=ICS)
        response["Cache-Control"] = "public, max-age=300"
        return response


@extend_schema(responses={(200, "text/calendar"): bytes})
@api_view(["GET"])
@permission_classes([permissions.AllowAny])
def personal_calendar_feed(request, token: str):
    feed = CalendarFeed.objects.filter(token=token).first()
    if feed is None:
        raise NotFound()
    registrations = (
        Registration.objects.filter(email=feed.email)
        .exclude(status__in=[Registration.Status.WAITLISTED, *Registration.ON_HOLD])
        .exclude(status=Registration.Status.EXPIRED)
        .select_related("event", "event__organization", "event__venue")
        .prefetch_related("event__sessions__venue__organization")
    )
    response = HttpResponse(calendars.personal_feed(registrations=registrations), content_type=ICS)
    response["Cache-Control"] = "private, max-age=900"
    return response


class RegistrationCalendarFeedApi(APIView):
    """Email the registration's address its private feed of all its events (webcal://).

    The link is never returned here: the feed covers every registration of the address, and a
    manage token proves nothing about the mailbox. Asked again within ten minutes, nothing more
    is sent or rotated.
    """

    permission_classes = [permissions.AllowAny]

    @extend_schema(
        parameters=[TOKEN_PARAM],
        request=CalendarFeedRequestSerializer,
        responses={202: OpenApiTypes.OBJECT},
    )
    def post(self, request, pk: int):
        registration = _registration(request, pk, organizers=False)
        if registration.anonymised_at is not None:
            raise NotFound()
        data = CalendarFeedRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.calendar_feed_send(registration_id=registration.pk, rotate=data.validated_data["rotate"])
        return Response({"detail": _("We have emailed the link to your address.")}, status=status.HTTP_202_ACCEPTED)


class OrganizerRegistrationListApi(generics.ListAPIView):
    """Registrations of one of your events; filters status, language, q."""

    permission_classes = [IsOrganizer]
    serializer_class = OrganizerRegistrationSerializer
    filterset_class = RegistrationFilter

    def get_event(self) -> Event:
        if getattr(self, "swagger_fake_view", False):
            return Event()
        if not hasattr(self, "_event"):
            self._event = get_object_or_404(Event.objects.for_organizer(self.request.user), slug=self.kwargs["slug"])
        return self._event

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Registration.objects.none()
        return selectors.event_registrations(event=self.get_event())


class OrganizerRegistrationCsvApi(OrganizerRegistrationListApi):
    """The same list as a streaming CSV file (UTF-8 with BOM, one column per question)."""

    @extend_schema(responses={(200, "text/csv"): bytes})
    def get(self, request, *args, **kwargs):
        event = self.get_event()
        registrations = self.filter_queryset(selectors.event_registrations(event=event))
        return exports.event_registrations_csv(event=event, registrations=registrations, actor=request.user)


@extend_schema(
    request=OpenApiTypes.OBJECT,
    responses={200: OpenApiTypes.OBJECT, 503: error_response("Stripe webhooks are not configured.")},
)
@api_view(["POST"])
@authentication_classes([])
@permission_classes([permissions.AllowAny])
@csrf_exempt
def stripe_webhook(request):
    """Stripe calls this. The signature is checked; every event id is processed once."""
    event = services.webhook_parse(payload=request.body, signature=request.headers.get("Stripe-Signature"))
    stored = services.stripe_event_process(event=event)
    return Response({"received": True, "duplicate": stored is None})
