"""HTTP layer for registration, tickets, calendars and Stripe webhooks."""

from __future__ import annotations

import hashlib
from contextlib import nullcontext

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.utils.cache import get_conditional_response
from django.utils.http import http_date, quote_etag
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
from common.schema import error_response
from common.throttling import RegistrationPerEmailThrottle, RegistrationPerIPThrottle
from events import selectors as event_selectors
from events.filters import EventFilter
from events.models import Event
from organizations.permissions import IsOrganizer
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


def manage_token_from(request) -> str | None:
    return request.headers.get("X-Manage-Token") or request.query_params.get("token")


def registration_from_request(request, pk: int, *, organizers: bool = True) -> Registration:
    """The registration ``pk`` if the caller holds its manage token, owns it, or (``organizers``) manages it."""
    return selectors.registration_for_request(
        pk=pk, token=manage_token_from(request), user=request.user, organizers=organizers
    )


def _access(request, pk: int) -> tuple[Registration, bool]:
    """The registration and whether the caller is its attendee (else one of its organizers)."""
    return selectors.registration_access(pk=pk, token=manage_token_from(request), user=request.user)


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
            ),
            OpenApiExample(
                "Two ticket types and a code",
                request_only=True,
                value={
                    "name": "Wang Mei",
                    "email": "mei@example.org",
                    "consents": {"privacy": True},
                    "ticket_type": 12,
                    "guests": [{"name": "Li Na", "ticket_type": 13}],
                    "code": "DEMO10",
                },
            ),
        ],
    )
    def post(self, request, slug: str):
        def handler() -> Response:
            serializer = RegistrationInputSerializer(data=request.data, context={"user": request.user})
            serializer.is_valid(raise_exception=True)
            data = serializer.validated_data
            # With a fapiao request, one transaction: refused (a free seat), nothing is registered.
            with transaction.atomic() if data.get("fapiao") else nullcontext():
                registration = services.registration_create(
                    event_slug=slug,
                    name=data["name"],
                    email=data["email"],
                    language=data.get("language") or active_language(),
                    answers=data["answers"],
                    consents=data["consents"],
                    consent_version=data.get("consent_version") or None,
                    guests=data["guests"],
                    ticket_type=data.get("ticket_type"),
                    code=data.get("code") or None,
                    pay_at_door=data["pay_at_door"],
                    user=request.user,
                )
                if data.get("fapiao"):
                    services.fapiao_request_save(registration_id=registration.pk, **data["fapiao"])
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


class RegistrationCheckoutApi(APIView):
    """Start (or resume) Stripe Checkout. POST answers JSON; GET redirects the browser there."""

    permission_classes = [permissions.AllowAny]

    @extend_schema(
        parameters=[TOKEN_PARAM],
        request=None,
        responses={200: OpenApiTypes.OBJECT, 409: error_response("Not waiting for payment."), 503: PAYMENT_UNAVAILABLE},
    )
    def post(self, request, pk: int):
        payment = services.checkout_start(registration_id=registration_from_request(request, pk).pk)
        return Response({"checkout_url": payment.checkout_url, "checkout_session_id": payment.checkout_session_id})

    @extend_schema(
        parameters=[TOKEN_PARAM],
        responses={302: None, 409: error_response("Not waiting for payment."), 503: PAYMENT_UNAVAILABLE},
    )
    def get(self, request, pk: int):
        payment = services.checkout_start(registration_id=registration_from_request(request, pk).pk)
        return HttpResponseRedirect(payment.checkout_url)


@extend_schema(
    parameters=[TOKEN_PARAM, OpenApiParameter("seat", int)],
    responses={(200, "image/png"): bytes, (200, "image/svg+xml"): bytes},
)
@api_view(["GET"])
@permission_classes([permissions.AllowAny])
def registration_ticket(request, pk: int, fmt: str):
    registration = registration_from_request(request, pk)
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
    registration = registration_from_request(request, pk)
    if registration.status not in (Registration.Status.CONFIRMED, Registration.Status.CANCELLED):
        raise NotFound("The calendar invite comes once the registration is confirmed.")
    # A download is not an invitation to reply to (REQUEST is for the one in the email): PUBLISH.
    method = "CANCEL" if registration.status == Registration.Status.CANCELLED else "PUBLISH"
    return _ics(
        calendars.registration_invite(registration=registration, method=method), f"{registration.event.slug}.ics"
    )


FEED_CACHE_SECONDS = 24 * 3600  # keyed by the feed's version: a change makes a new key, not a stale hit


def feed_response(
    request, *, key: str, version: selectors.FeedVersion, render, cache_control: str, filename: str | None = None
) -> HttpResponse:
    """A calendar feed with validators: ``304 Not Modified`` when the poller's ``If-None-Match``
    (or ``If-Modified-Since``) still holds, else the rendered feed, reused from the cache until
    something in it changes (the version is part of the cache key, so nothing needs invalidating)."""
    language = active_language()
    digest = hashlib.sha256(f"{key}|{language}|{settings.SITE_URL}|{version.token}".encode()).hexdigest()[:32]
    etag = quote_etag(digest)
    last_modified = version.last_modified.timestamp() if version.last_modified else None
    response = get_conditional_response(request, etag=etag, last_modified=last_modified)
    if response is None:
        cache_key = f"ics:{digest}"
        body = cache.get(cache_key)
        if body is None:
            body = render()
            cache.set(cache_key, body, FEED_CACHE_SECONDS)
        response = HttpResponse(body, content_type=ICS)
        if filename:
            response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["ETag"] = etag
    if last_modified is not None:
        response["Last-Modified"] = http_date(last_modified)
    response["Cache-Control"] = cache_control
    response["Vary"] = "Accept-Language, Cookie"
    return response


@extend_schema(responses={(200, "text/calendar"): bytes, 304: None})
@api_view(["GET"])
@permission_classes([permissions.AllowAny])
def event_calendar(request, slug: str):
    events = event_selectors.event_detail_queryset().filter(slug=slug)
    event = get_object_or_404(events)
    return feed_response(
        request,
        key=f"event:{event.pk}",
        version=selectors.events_feed_version(events=Event.objects.filter(pk=event.pk)),
        render=lambda: calendars.event_calendar(event=event, language=active_language()),
        cache_control="public, max-age=300",
        filename=f"{slug}.ics",
    )


class PublicCalendarFeedApi(generics.GenericAPIView):
    """All published upcoming events as one iCal feed; takes the events list's filters."""

    filterset_class = EventFilter
    permission_classes = [permissions.AllowAny]

    def get_queryset(self):
        return event_selectors.event_list(include_past=True).prefetch_related("sessions__venue__organization")

    @extend_schema(responses={(200, "text/calendar"): bytes, 304: None})
    def get(self, request):
        events = self.filter_queryset(self.get_queryset())[:500]
        query = sorted((name, value) for name, value in request.query_params.lists() if name != "lang")
        return feed_response(
            request,
            key=f"public:{query}",
            version=selectors.events_feed_version(events=events),
            render=lambda: calendars.events_feed(events=events, language=active_language(), name="Huiguan"),
            cache_control="public, max-age=300",
        )


@extend_schema(responses={(200, "text/calendar"): bytes, 304: None})
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
    return feed_response(
        request,
        key=f"personal:{feed.pk}:{feed.token}",
        version=selectors.personal_feed_version(registrations=registrations),
        render=lambda: calendars.personal_feed(registrations=registrations),
        cache_control="private, max-age=900",
    )


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
        registration = registration_from_request(request, pk, organizers=False)
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
