"""Domain errors and the one place that turns errors into HTTP responses.

Every error body has the same shape::

    {"error": {"code": "registration_closed", "message": "...", "fields": {"email": ["..."]}}}
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions as drf_exceptions
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


class DomainError(Exception):
    """A business rule said no. Subclasses set the HTTP status and a stable code."""

    status_code = status.HTTP_400_BAD_REQUEST
    code = "invalid"
    default_message = _("The request could not be completed.")

    def __init__(self, message: str | None = None, *, fields: dict | None = None, code: str | None = None, **extra):
        self.message = message or str(self.default_message)
        self.fields = fields or {}
        if code:
            self.code = code
        self.extra = extra
        super().__init__(self.message)


class Conflict(DomainError):
    status_code = status.HTTP_409_CONFLICT
    code = "conflict"
    default_message = _("This conflicts with the current state.")


class NotFound(DomainError):
    status_code = status.HTTP_404_NOT_FOUND
    code = "not_found"
    default_message = _("Not found.")


class Forbidden(DomainError):
    status_code = status.HTTP_403_FORBIDDEN
    code = "forbidden"
    default_message = _("You do not have permission to do this.")


class InvalidInput(DomainError):
    code = "invalid"
    default_message = _("Some fields are not valid.")


class SessionOverlap(Conflict):
    code = "session_overlap"
    default_message = _("This session overlaps another session in the same venue.")


class InvalidTransition(Conflict):
    code = "invalid_transition"
    default_message = _("This action is not possible in the current state.")


def _flatten(detail) -> dict | list | str:
    if isinstance(detail, dict):
        return {key: _flatten(value) for key, value in detail.items()}
    if isinstance(detail, list):
        return [_flatten(item) for item in detail]
    return str(detail)


def _error_response(*, status_code: int, code: str, message: str, fields=None, headers=None, **extra) -> Response:
    body = {"code": code, "message": message}
    if fields:
        body["fields"] = fields
    body.update(extra)
    return Response({"error": body}, status=status_code, headers=headers)


def exception_handler(exc, context):
    if isinstance(exc, DomainError):
        return _error_response(
            status_code=exc.status_code, code=exc.code, message=exc.message, fields=exc.fields, **exc.extra
        )
    if isinstance(exc, DjangoValidationError):
        fields = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        exc = drf_exceptions.ValidationError(fields)
    elif isinstance(exc, Http404):
        exc = drf_exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = drf_exceptions.PermissionDenied()

    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, drf_exceptions.ValidationError):
        detail = _flatten(exc.detail)
        if not isinstance(detail, dict):
            detail = {"non_field_errors": detail if isinstance(detail, list) else [detail]}
        return _error_response(
            status_code=response.status_code,
            code="invalid",
            message=str(_("Some fields are not valid.")),
            fields=detail,
            headers=response.headers,
        )
    detail = exc.detail if isinstance(exc, drf_exceptions.APIException) else str(exc)
    codes = exc.get_codes() if isinstance(exc, drf_exceptions.APIException) else "error"
    return _error_response(
        status_code=response.status_code,
        code=codes if isinstance(codes, str) else "error",
        message=str(detail) if not isinstance(detail, (dict, list)) else str(_("Request failed.")),
        headers={k: v for k, v in response.items() if k in ("Retry-After", "WWW-Authenticate", "Allow")},
    )


class RegistrationClosed(Conflict):
    code = "registration_closed"
    default_message = _("Registration for this event is closed.")


class AlreadyRegistered(Conflict):
    code = "already_registered"
    default_message = _(
        "This email address is already registered for this event. We have sent the link to your registration again."
    )


class PaymentUnavailable(DomainError):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    code = "payment_unavailable"
    default_message = _("Online payment is not available at the moment, so this paid event cannot be booked online.")


class IdempotencyKeyReused(Conflict):
    code = "idempotency_key_reused"
    default_message = _("This Idempotency-Key was already used for a different request.")


class CheckinNonceReused(Conflict):
    code = "nonce_reused"
    default_message = _("This scan id (nonce) was already used for another ticket, session or direction.")


class CheckinNotLatest(Conflict):
    code = "checkin_not_latest"
    default_message = _("Undo the later scans of this ticket first.")
