from django.utils import translation

from common.i18n import normalize_language


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
