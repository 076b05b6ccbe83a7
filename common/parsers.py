"""The API's JSON parser: the stock one, plus two refusals that would otherwise be 500s."""

from __future__ import annotations

from django.utils.translation import gettext as _
from rest_framework import parsers
from rest_framework.exceptions import ParseError


def _has_nul(data) -> bool:
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


class JSONParser(parsers.JSONParser):
    """Refuses, as a 400: text holding the NUL character (PostgreSQL can store it neither in text
    nor in jsonb columns, so it failed on the database), and nesting too deep for Python's JSON
    decoder (a RecursionError, which the stock parser does not catch)."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError as exc:
            raise ParseError(_("The JSON is nested too deeply.")) from exc
        if _has_nul(data):
            raise ParseError(_("Text may not contain the NUL character (\\u0000)."))
        return data
