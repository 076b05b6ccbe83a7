import pytest
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
