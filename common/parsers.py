"""The API's JSON parser: the stock one, with errors in the reader's language, plus two refusals
that would otherwise be 500s."""

from __future__ import annotations

import json

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


def _invalid_json_message(cause: BaseException | None) -> str:
    """The stock parser's message is English with Python's wording; this one is translated."""
    if isinstance(cause, json.JSONDecodeError):
        return _("The request body is not valid JSON (line %(line)d, column %(column)d).") % {
            "line": cause.lineno,
            "column": cause.colno,
        }
    if isinstance(cause, UnicodeDecodeError):
        return _("The request body is not valid UTF-8.")
    return _("The request body is not valid JSON.")


class JSONParser(parsers.JSONParser):
    """Refuses, as a 400: text holding the NUL character (PostgreSQL can store it neither in text
    nor in jsonb columns, so it failed on the database), and nesting too deep for Python's JSON
    decoder (a RecursionError, which the stock parser does not catch)."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError as exc:
            raise ParseError(_("The JSON is nested too deeply.")) from exc
        except ParseError as exc:
            raise ParseError(_invalid_json_message(exc.__context__)) from exc
        if _has_nul(data):
            raise ParseError(_("Text may not contain the NUL character (\\u0000)."))
        return data
