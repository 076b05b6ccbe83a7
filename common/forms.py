"""The translations form kit: one box per content language, side by side, for JSON translations.

Translated fields are JSON objects keyed by language code (see ``common.i18n``). An organizer
types each language into its own box, all boxes in one row, so a missing translation is visible
at a glance; the form turns the boxes back into one JSON object and validates it with
``clean_translations``, the same rule the API applies. Used by the admin and the desk alike.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping

from django import forms
from django.core.exceptions import ValidationError
from django.utils.html import format_html, format_html_join
from django.utils.translation import get_language_info
from django.utils.translation import gettext_lazy as _

from common.i18n import clean_translations, content_languages

# Languages people commonly speak at events besides the content languages (choices for
# Event.spoken_languages; content languages come first).
EXTRA_SPOKEN_LANGUAGES = ("ko", "fr", "de", "es", "ru")


def language_label(code: str) -> str:
    """The language's own name ("简体中文", "日本語"), so each box reads right to its translator."""
    try:
        return get_language_info(code)["name_local"]
    except KeyError:
        return code


def language_choices(codes: Iterable[str] | None = None) -> list[tuple[str, str]]:
    return [(code, f"{language_label(code)} ({code})") for code in (codes or content_languages())]


def as_translations(value: object) -> dict:
    """Best-effort dict from whatever a form holds: a dict, a JSON string or nothing."""
    if isinstance(value, str):
        try:
            value = json.loads(value) if value.strip() else {}
        except ValueError:
            return {}
    return dict(value) if isinstance(value, Mapping) else {}


def _normalized(value: object) -> dict[str, str]:
    return {
        code: text.strip() for code, text in as_translations(value).items() if isinstance(text, str) and text.strip()
    }


# --- translations ------------------------------------------------------------------------------


class TranslationsWidget(forms.Widget):
    """One labelled input (or textarea) per content language, side by side in one row.

    The sub-inputs are named ``<name>_<code>`` (``title_en``, ``title_zh-hans``). Rendered in
    Python rather than from a template: the default form renderer does not search the
    project's template directories.
    """

    def __init__(self, attrs=None, *, multiline: bool = False, rows: int = 3, languages: Iterable[str] | None = None):
        super().__init__(attrs)
        self.multiline = multiline
        self.rows = rows
        # Resolved at render time by default, so a changed CONTENT_LANGUAGES applies without a restart.
        self.languages = list(languages) if languages is not None else None

    class Media:
        css = {"all": ["huiguan/admin.css"]}  # layout in a file: the CSP allows no inline styles

    def get_languages(self) -> list[str]:
        return self.languages if self.languages is not None else content_languages()

    def use_required_attribute(self, initial) -> bool:
        # Which language is required depends on the event's default language, chosen in the same form.
        return False

    def value_from_datadict(self, data, files, name) -> dict[str, str]:
        return {code: data.get(f"{name}_{code}", "") for code in self.get_languages()}

    def value_omitted_from_data(self, data, files, name) -> bool:
        return not any(f"{name}_{code}" in data for code in self.get_languages())

    def id_for_label(self, id_):
        return f"{id_}_{self.get_languages()[0]}" if id_ else id_

    def format_value(self, value) -> dict:
        return as_translations(value)

    def render(self, name, value, attrs=None, renderer=None):
        values = self.format_value(value)
        final_attrs = self.build_attrs(self.attrs, attrs)
        base_id = final_attrs.pop("id", None)
        cells = []
        for code in self.get_languages():
            sub_attrs = {**final_attrs, "lang": code}
            if base_id:
                sub_attrs["id"] = f"{base_id}_{code}"
            if self.multiline:
                sub_widget = forms.Textarea(attrs={"rows": self.rows})
            else:
                sub_widget = forms.TextInput()
            html = sub_widget.render(f"{name}_{code}", values.get(code) or "", sub_attrs, renderer)
            cells.append((sub_attrs.get("id", ""), language_label(code), code, html))
        return format_html(
            '<div class="translations-widget">{}</div>',
            format_html_join(
                "",
                '<div class="translation"><label for="{}">{} <span class="language-code">{}</span></label>{}</div>',
                cells,
            ),
        )


class TranslationsField(forms.Field):
    """A ``{"en": ..., "zh-hans": ...}`` object, cleaned by ``common.i18n.clean_translations``.

    ``required`` means "some text in some language"; which language is mandatory usually depends
    on another field (the event's ``default_language``), so forms check that in ``clean()``.
    """

    widget = TranslationsWidget

    def __init__(
        self,
        *,
        required_language: str | None = None,
        max_length: int | None = None,
        multiline: bool = False,
        rows: int = 3,
        **kwargs,
    ):
        kwargs.setdefault("widget", TranslationsWidget(multiline=multiline, rows=rows))
        super().__init__(**kwargs)
        self.required_language = required_language
        self.max_length = max_length

    def to_python(self, value) -> dict:
        if isinstance(value, str) and value.strip():
            try:
                value = json.loads(value)
            except ValueError as exc:
                raise ValidationError(_("Enter valid JSON."), code="invalid") from exc
        return value if value not in self.empty_values else {}

    def clean(self, value) -> dict[str, str]:
        cleaned = clean_translations(
            self.to_python(value), required_language=self.required_language, max_length=self.max_length
        )
        if self.required and not cleaned:
            raise ValidationError(self.error_messages["required"], code="required")
        self.run_validators(cleaned)
        return cleaned

    def has_changed(self, initial, data) -> bool:
        if self.disabled:
            return False
        return _normalized(initial) != _normalized(data)


def require_translation(form: forms.BaseForm, field: str, language: str | None) -> None:
    """Add a form error unless ``field`` has text in ``language`` (skipped if the field already failed)."""
    value = form.cleaned_data.get(field)
    if value is None or not language:
        return
    if not value.get(language):
        form.add_error(
            field,
            ValidationError(
                _("A text in the default language (%(language)s) is required."),
                code="required_language",
                params={"language": f"{language_label(language)}, {language}"},
            ),
        )


class TranslationsFormMixin:
    """Keep texts in languages that are no longer content languages: the widget cannot show them,
    and saving an unrelated change must not silently delete them."""

    def clean(self):
        cleaned = super().clean()
        allowed = set(content_languages())
        for name, field in self.fields.items():
            if not isinstance(field, TranslationsField) or name not in cleaned:
                continue
            kept = {
                code: text
                for code, text in as_translations(self.get_initial_for_field(field, name)).items()
                if code not in allowed and text
            }
            if kept:
                cleaned[name] = {**cleaned[name], **kept}
        return cleaned


# --- other JSON fields -------------------------------------------------------------------------


class SpokenLanguagesField(forms.MultipleChoiceField):
    widget = forms.CheckboxSelectMultiple

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("choices", spoken_language_choices)
        kwargs.setdefault("help_text", _("Languages spoken at the event (not the languages of this text)."))
        super().__init__(**kwargs)


def spoken_language_choices(extra: Iterable[str] = ()) -> list[tuple[str, str]]:
    codes = list(dict.fromkeys([*content_languages(), *EXTRA_SPOKEN_LANGUAGES, *extra]))
    return language_choices(codes)
