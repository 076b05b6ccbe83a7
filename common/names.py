"""People's names as typed into a form or an API call: one rule for every way in.

A name is shown at the door, printed on certificates and exported to CSV, so what is stored must
be what a person sees:

- Unicode NFC, so "é" typed as e + combining accent equals the precomposed one (searches at the
  door and duplicate checks compare the same string);
- no format characters (category Cf): bidi overrides and isolates (U+202A–U+202E, U+2066–U+2069)
  would reverse the text shown after the name in a list or an export line, and zero-width
  characters (U+200B, U+2060, U+FEFF) make two names look equal while they are not. The zero-width
  joiner and non-joiner (U+200D, U+200C) are kept between two letters or marks, where Persian,
  Indic scripts and emoji sequences need them;
- no control characters; any run of spaces, tabs or line breaks becomes one space; trimmed;
- at least one visible character: a name of only zero-width spaces, Hangul fillers or blank
  Braille cells reads as empty, and is refused as empty.
"""

from __future__ import annotations

import unicodedata

_JOINERS = {"\u200c", "\u200d"}
# Letters and symbols that render as nothing: Hangul fillers and the blank Braille pattern.
_BLANK_GLYPHS = {"\u115f", "\u1160", "\u3164", "\uffa0", "\u2800"}


def _visible(char: str) -> bool:
    return char not in _BLANK_GLYPHS and unicodedata.category(char)[0] in "LNPS"


def _joinable(char: str) -> bool:
    return unicodedata.category(char)[0] in "LMNS" and char not in _BLANK_GLYPHS


def clean_name(value: str) -> str:
    """The name to store: NFC, format and control characters out, spaces collapsed, trimmed.

    Returns ``""`` when nothing visible is left, so callers refuse it the way they refuse an
    empty name.
    """
    text = unicodedata.normalize("NFC", value)
    kept: list[str] = []
    for index, char in enumerate(text):
        category = unicodedata.category(char)
        if char in _JOINERS:
            after = text[index + 1] if index + 1 < len(text) else ""
            if kept and _joinable(kept[-1]) and after and _joinable(after):
                kept.append(char)
            continue
        if category == "Cf":
            continue
        if category[0] == "Z" or char in "\t\n\r\f\v":
            kept.append(" ")
            continue
        if category in ("Cc", "Cs", "Co", "Cn"):
            continue
        kept.append(char)
    # NFC again: taking a format character out can bring a letter and its combining mark together.
    cleaned = unicodedata.normalize("NFC", " ".join("".join(kept).split()))
    if not any(_visible(char) for char in cleaned):
        return ""
    return cleaned
