"""Template helpers for the desk: a translated text of a row in the reader's language."""

from __future__ import annotations

from django import template

from common.i18n import active_language
from common.pages import language_name

register = template.Library()


@register.filter
def t(obj, field: str) -> str:
    """``{{ event|t:"title" }}``: the text in the page's language, else the row's fallback."""
    if not hasattr(obj, "t"):
        return ""
    return obj.t(field, active_language())


@register.filter
def language_label(code: str) -> str:
    """``{{ "ja"|language_label }}`` → 日本語."""
    return language_name(code)
