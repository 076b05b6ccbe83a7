"""OpenAPI generation: every operation documents the errors it can answer, in our error shape.

drf-spectacular documents the success responses a view declares. The error answers come from
one exception handler (common.exceptions), so which ones an operation can give follows from how
the view is built: a body or query → 400 (and 413/415 for bodies), authentication → 401,
permissions or CSRF on writes → 403, a path parameter or a page number → 404, a write → 409 (a rule about the
current state said no), a throttle → 429. A view declares anything else (a 404 from a query
parameter, 503) itself: ``extend_schema(responses={503: error_response("...")})``.
"""

from __future__ import annotations

from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.utils import OpenApiResponse
from rest_framework import permissions

from common.i18n import content_languages
from common.serializers import ErrorSerializer

UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}

DESCRIPTIONS = {
    "400": "Invalid input: `error.fields` has a message per field.",
    "401": "Missing or invalid credentials (an unknown or revoked token).",
    "403": "Not allowed for this user (or a session request without its CSRF token).",
    "404": "Not found, or not yours (ids and slugs of others cannot be probed), or a page past the end.",
    "409": "Conflicts with the current state (already registered, closed, not in a state that allows this).",
    "413": "The request body is larger than the server accepts (DATA_UPLOAD_MAX_MEMORY_SIZE).",
    "415": "Unsupported Content-Type for the body.",
    "429": "Too many requests: wait for the seconds in Retry-After.",
}


def error_response(description: str) -> OpenApiResponse:
    """An error answer in our shape, for ``extend_schema(responses=...)``."""
    return OpenApiResponse(ErrorSerializer, description=description)


class AutoSchema(SpectacularAutoSchema):
    def get_operation(self, path, path_regex, path_prefix, method, registry):
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        responses = operation.setdefault("responses", {})
        for code in self._error_codes(operation):
            if code not in responses:
                responses[code] = self._error_response(code)
        operation["responses"] = dict(sorted(responses.items()))
        return operation

    def _error_codes(self, operation: dict) -> list[str]:
        parameters = operation.get("parameters", [])
        has_body = "requestBody" in operation
        codes = []
        if has_body or any(parameter["in"] == "query" for parameter in parameters):
            codes.append("400")
        if self.view.get_authenticators():
            codes.append("401")
        requires_permission = any(
            not isinstance(permission, permissions.AllowAny) for permission in self.view.get_permissions()
        )
        if requires_permission or self.method in UNSAFE_METHODS:
            codes.append("403")
        paginated = any(parameter["in"] == "query" and parameter["name"] == "page" for parameter in parameters)
        if paginated or any(parameter["in"] == "path" for parameter in parameters):
            codes.append("404")
        if self.method in UNSAFE_METHODS:
            codes.append("409")
        if has_body:
            codes += ["413", "415"]
        if getattr(self.view, "throttle_classes", None):
            codes.append("429")
        return codes

    def _error_response(self, code: str) -> dict:
        response = {
            "description": DESCRIPTIONS[code],
            "content": {"application/json": {"schema": self.resolve_serializer(ErrorSerializer, "response").ref}},
        }
        if code == "429":
            response["headers"] = {"Retry-After": {"schema": {"type": "integer"}, "description": "Seconds to wait."}}
        return response


class TranslationsFieldExtension(OpenApiSerializerFieldExtension):
    """``{"en": "…", "zh-hans": "…"}``: input takes only content languages and says the max length."""

    target_class = "common.serializers.TranslationsField"

    def map_serializer_field(self, auto_schema, direction):
        text: dict = {"type": "string"}
        if self.target.max_length:
            text["maxLength"] = self.target.max_length
        schema: dict = {"type": "object", "example": {"en": "Tea", "zh-hans": "茶"}}
        if direction == "request":
            schema["properties"] = {code: text for code in content_languages()}
            schema["additionalProperties"] = False
        else:
            schema["additionalProperties"] = text
        return schema
