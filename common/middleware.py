from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpResponse
from django.template.defaultfilters import filesizeformat
from django.utils import translation
from django.utils.translation import gettext as _

from common.i18n import normalize_language
from common.views import api_error_response, is_api_request


class QueryLanguageMiddleware:
    """Let ``?lang=ja`` override Accept-Language for one request (runs after LocaleMiddleware)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        language = normalize_language(request.GET.get("lang"))
        if language:
            translation.activate(language)
            request.LANGUAGE_CODE = translation.get_language()
        return self.get_response(request)


def _too_large(request, *, limit: int) -> HttpResponse:
    message = _("The request is too large: at most %(size)s.") % {"size": filesizeformat(limit)}
    if is_api_request(request):
        return api_error_response(status=413, code="too_large", message=message)
    return HttpResponse(message, status=413, content_type="text/plain; charset=utf-8")


def request_body_limit(request) -> int:
    """Bytes a request body may have: uploads (multipart) get room for one image, the rest is JSON or a form."""
    if request.content_type == "multipart/form-data":
        return settings.DATA_UPLOAD_MAX_MEMORY_SIZE + settings.EVENT_IMAGE_MAX_BYTES
    return settings.DATA_UPLOAD_MAX_MEMORY_SIZE


class RequestSizeLimitMiddleware:
    """Refuse an oversized body with 413 before anything reads it (runs after the language is set).

    Django itself only notices when a view reads the body, and then answers an opaque 400
    (RequestDataTooBig): that happens for the form fields of a multipart body (the check up front
    leaves room for an image, not for megabytes of text) and is turned into the same 413 here.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        limit = request_body_limit(request)
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > limit:
            return _too_large(request, limit=limit)
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, RequestDataTooBig):
            return _too_large(request, limit=settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
        return None
