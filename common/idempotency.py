"""Idempotency-Key support for POST endpoints: the same key replays the first response.

The key row is inserted in the same transaction as the work, so two requests racing with one
key serialise on the unique index: the second waits, then replays what the first stored.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from rest_framework.exceptions import APIException
from rest_framework.response import Response

from common.exceptions import DomainError, IdempotencyKeyReused, InvalidInput, exception_handler
from common.models import IdempotencyKey

MAX_KEY_LENGTH = 255


def _fingerprint(request) -> str:
    body = json.dumps(request.data, sort_keys=True, default=str) if hasattr(request, "data") else ""
    return hashlib.sha256(f"{request.method} {request.path}\n{body}".encode()).hexdigest()


def idempotent(request, *, scope: str, handler: Callable[[], Response], context: dict) -> Response:
    key = request.headers.get("Idempotency-Key")
    if key is None:
        return handler()
    key = key.strip()
    if not key or len(key) > MAX_KEY_LENGTH:
        message = _("Use a non-empty key of at most %(n)d characters.") % {"n": MAX_KEY_LENGTH}
        raise InvalidInput(fields={"Idempotency-Key": [message]})
    fingerprint = _fingerprint(request)
    with transaction.atomic():
        try:
            with transaction.atomic():
                row = IdempotencyKey.objects.create(
                    key=key, scope=scope, request_fingerprint=fingerprint, response_status=0, response_body={}
                )
        except IntegrityError:
            row = None
        if row is None:
            stored = IdempotencyKey.objects.get(key=key, scope=scope)
            if stored.request_fingerprint != fingerprint:
                raise IdempotencyKeyReused()
            response = Response(stored.response_body, status=stored.response_status)
            response["Idempotent-Replayed"] = "true"
            return response
        try:
            response = handler()
        except (DomainError, APIException) as exc:
            # Stored like a success: the retry of a refused request is refused the same way, and the
            # side effects queued on commit (e.g. re-sending a manage link) still happen once.
            response = exception_handler(exc, context)
        row.response_status = response.status_code
        row.response_body = response.data
        row.save(update_fields=["response_status", "response_body"])
    return response
