import ast
from collections import Counter
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from django.core.exceptions import ValidationError

from common.i18n import clean_translations, normalize_language, pick


@pytest.mark.parametrize(
    ("tag", "expected"),
    [
        ("ja", "ja"),
        ("ja-JP", "ja"),
        ("zh-CN", "zh-hans"),
        ("zh_Hans", "zh-hans"),
        ("zh", "zh-hans"),
        ("EN-gb", "en"),
        ("ko", None),
        ("", None),
        (None, None),
    ],
)
def test_normalize_language(tag, expected):
    assert normalize_language(tag) == expected


def test_pick_prefers_requested_then_fallbacks_then_any():
    value = {"en": "Tea", "zh-hans": "茶"}
    assert pick(value, "zh-hans") == "茶"
    assert pick(value, "ja", ["zh-hans"]) == "茶"  # event default language before site default
    assert pick(value, "ja") == "Tea"  # site default
    assert pick({"ja": "お茶"}, "en", ["zh-hans"]) == "お茶"  # anything rather than nothing
    assert pick({}, "en") == ""
    assert pick({"en": "", "ja": "お茶"}, "en") == "お茶"  # empty strings don't count


def test_clean_translations_strips_and_drops_empty():
    assert clean_translations({"en": "  Tea ", "ja": "", "zh-hans": None}) == {"en": "Tea"}


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ({"xx": "?"}, "unknown_language"),
        ("Tea", "invalid"),
        ({"en": 5}, "invalid"),
        ({"ja": "お茶"}, "required_language"),
        ({"en": "x" * 11}, "max_length"),
    ],
)
def test_clean_translations_rejects(value, code):
    with pytest.raises(ValidationError) as excinfo:
        clean_translations(value, required_language="en", max_length=10)
    assert excinfo.value.code == code


CATALOGS = sorted(Path(__file__).resolve().parent.parent.glob("locale/*/LC_MESSAGES/*.po"))


def _entries(po: Path) -> list[tuple[str | None, str]]:
    """(msgctxt, msgid) of every live entry, read as text: Babel would silently merge duplicates."""
    entries, context = [], None
    lines = po.read_text(encoding="utf-8").splitlines()
    for number, line in enumerate(lines):
        if line.startswith("msgctxt "):
            context = ast.literal_eval(line[len("msgctxt ") :])
        elif line.startswith("msgid "):
            parts = [ast.literal_eval(line[len("msgid ") :])]
            for following in lines[number + 1 :]:
                if not following.startswith('"'):
                    break
                parts.append(ast.literal_eval(following))
            if "".join(parts):
                entries.append((context, "".join(parts)))
            context = None
    return entries


@pytest.mark.parametrize("po", CATALOGS, ids=lambda po: f"{po.parts[-3]}/{po.name}")
def test_catalog_has_each_message_once_and_translated(po):
    entries = _entries(po)
    duplicates = [entry for entry, count in Counter(entries).items() if count > 1]
    assert not duplicates, f"{po}: merged twice? {duplicates[:5]}"
    with po.open("rb") as source:
        catalog = read_po(source)
    untranslated = [message.id for message in catalog if message.id and not message.fuzzy and not message.string]
    assert not untranslated, f"{po}: untranslated {untranslated[:5]}"


def test_every_language_translates_the_same_messages():
    by_domain: dict[str, dict[str, set]] = {}
    for po in CATALOGS:
        by_domain.setdefault(po.name, {})[po.parts[-3]] = set(_entries(po))
    for domain, languages in by_domain.items():
        union = set().union(*languages.values())
        for language, entries in languages.items():
            missing = sorted(union - entries, key=str)
            assert not missing, f"{language}/{domain} lacks {missing[:5]}"


def test_clean_translations_refuses_nul_characters():
    with pytest.raises(ValidationError) as excinfo:
        clean_translations({"en": "Tea\x00"})
    assert excinfo.value.code == "null_characters_not_allowed"
