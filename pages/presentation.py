"""How the residents' pages word and link things in the reader's language.

Pure functions (no queries) that the page views call while building their view models: which
language a shown text is really in, the time zone's name, a map link that opens in the
reader's country, the date groups of the list, and the share tags of an event page.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Iterable, Sequence
from urllib.parse import quote, urlencode
from zoneinfo import ZoneInfo

from babel.dates import get_timezone_name
from django.conf import settings
from django.utils import formats
from django.utils.translation import gettext as _

from common.i18n import pick

BABEL_LOCALES = {"en": "en", "zh-hans": "zh_Hans_CN", "ja": "ja"}
OG_LOCALES = {"en": "en_US", "zh-hans": "zh_CN", "ja": "ja_JP"}


def text_language(values: dict | None, language: str, fallbacks: Iterable[str] = ()) -> str:
    """The language code of the text ``pick`` shows, or "" when it is the reader's own.

    A title with no Japanese version is shown in English inside a Japanese page; its element then
    needs ``lang="en"`` so screen readers pronounce it and browsers pick the right glyphs."""
    if not values or values.get(language):
        return ""
    shown = pick(values, language, fallbacks)
    return next((code for code, text in values.items() if text and text == shown), "")


def timezone_label(tzid: str, language: str) -> str:
    """ "China Time", "中国时间", "中国時間": the zone by its name in the reader's language."""
    try:
        return get_timezone_name(ZoneInfo(tzid), width="long", locale=BABEL_LOCALES.get(language, "en"))
    except (LookupError, ValueError):
        return tzid


def map_url(*, latitude, longitude, name: str, language: str) -> str:
    """A map link that opens where the reader is: Amap for Chinese readers (OpenStreetMap and
    Google Maps do not load reliably in mainland China), OpenStreetMap otherwise.

    Our coordinates are WGS-84; Amap converts them itself (``coordinate=wgs84``)."""
    if latitude is None or longitude is None:
        return ""
    if language == "zh-hans":
        query = {"position": f"{longitude},{latitude}", "name": name, "coordinate": "wgs84", "src": "huiguan"}
        return "https://uri.amap.com/marker?" + urlencode(query, quote_via=quote)
    return f"https://www.openstreetmap.org/?mlat={latitude}&mlon={longitude}#map=18/{latitude}/{longitude}"


def _stem(text: str) -> str:
    word = unicodedata.normalize("NFKC", text).casefold().strip()
    return word[:-1] if word.endswith("s") else word


def names_the_kind(category: str, kind_label: str) -> bool:
    """True when the category only repeats the kind ("Course" · "Courses", "课程" · "课程")."""
    return bool(category) and _stem(category) == _stem(kind_label)


def date_groups(cards: Sequence, *, now: dt.datetime) -> list[tuple[str, list]]:
    """The list's cards under "This week" (until Sunday, in each event's zone) and then month names.

    The cards keep their order (by start); a card without a start goes under the last heading."""
    groups: list[tuple[str, list]] = []
    for card in cards:
        label = _group_label(card, now=now) if card.starts_at else (groups[-1][0] if groups else "")
        if groups and groups[-1][0] == label:
            groups[-1][1].append(card)
        else:
            groups.append((label, [card]))
    return groups


def _group_label(card, *, now: dt.datetime) -> str:
    zone = ZoneInfo(card.timezone or settings.TIME_ZONE)
    start = card.starts_at.astimezone(zone)
    today = now.astimezone(zone).date()
    sunday = today + dt.timedelta(days=6 - today.weekday())
    if start.date() <= sunday:
        return _("This week")
    if start.year == today.year:
        return formats.date_format(start, "F")
    return formats.date_format(start, "YEAR_MONTH_FORMAT")


def share_tags(
    *, title: str, description: str, url: str, image_url: str, image_size: tuple, language: str, site_name: str
) -> list[tuple[str, str, str]]:
    """(attribute, name, content) of the Open Graph and Twitter tags: what WeChat, Telegram,
    Slack and the rest show for a pasted link, in the page's language."""
    tags = [
        ("property", "og:type", "website"),
        ("property", "og:site_name", site_name),
        ("property", "og:title", title),
        ("property", "og:description", description),
        ("property", "og:url", url),
        ("property", "og:locale", OG_LOCALES.get(language, "en_US")),
        ("name", "twitter:card", "summary_large_image" if image_url else "summary"),
        ("name", "twitter:title", title),
        ("name", "twitter:description", description),
    ]
    if image_url:
        tags += [("property", "og:image", image_url), ("name", "twitter:image", image_url)]
        width, height = image_size
        if width and height:
            tags += [("property", "og:image:width", str(width)), ("property", "og:image:height", str(height))]
    return tags


def short_description(text: str, *, limit: int = 200) -> str:
    """One line of at most ``limit`` characters for ``<meta name="description">`` and og:description."""
    line = " ".join((text or "").split())
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"
