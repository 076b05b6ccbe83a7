"""Certificates of completion as PDF (ReportLab), in the participant's language and English.

Names and titles can be Chinese, Japanese or Latin (often mixed: "Anna 陈"). Latin text is set in
Helvetica; every other run of characters in one of ReportLab's built-in CID fonts (Adobe's
STSong-Light for Chinese, HeiseiMin-W3 for Japanese, HYSMyeongJo-Medium for Korean), so no font
file is shipped or downloaded and the PDF stays small (the viewer supplies the glyphs). The
text layer is real Unicode, so the certificate can be searched and copied (and tested by
extracting its text).

The fixed phrases are kept here per language rather than in a .po catalogue: a certificate is
printed in two languages at once, whatever the organizer's UI language, and the project has no
catalogue yet (like the email templates in ``notifications/templates/notifications/<lang>/``).
"""

from __future__ import annotations

import io
import zoneinfo

from django.utils import formats, timezone, translation
from reportlab.lib.colors import HexColor
from reportlab.lib.pagesizes import A4, landscape
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

from checkin.completion import Completion
from events.models import Event

LATIN, LATIN_BOLD = "Helvetica", "Helvetica-Bold"
CJK_FONTS = {"zh-hans": "STSong-Light", "ja": "HeiseiMin-W3", "ko": "HYSMyeongJo-Medium"}
for _font in CJK_FONTS.values():
    pdfmetrics.registerFont(UnicodeCIDFont(_font))

INK = HexColor("#1b1f24")
BRAND = HexColor("#0a5c57")
MUTED = HexColor("#505a66")

TEXT = {
    "en": {
        "title": "Certificate of Completion",
        "certify": "This is to certify that",
        "completed": "has completed the course",
        "attended": "attending {attended} of {held} sessions",
        "issued": "Issued by {organization} on {date}",
        "range": "{start} – {end}",
        "separator": " · ",
    },
    "zh-hans": {
        "title": "结业证书",
        "certify": "兹证明",
        "completed": "已完成以下课程",
        "attended": "共 {held} 次课，出席 {attended} 次",
        "issued": "{organization}　{date} 颁发",
        "range": "{start}至{end}",
        "separator": "，",
    },
    "ja": {
        "title": "修了証書",
        "certify": "下記の者は",
        "completed": "次の講座を修了したことを証明します",
        "attended": "全{held}回中{attended}回出席",
        "issued": "{organization}　{date} 発行",
        "range": "{start}〜{end}",
        "separator": "　",
    },
}


def _cjk_font(text: str, language: str) -> str:
    if language in CJK_FONTS:
        return CJK_FONTS[language]
    if any("\u3040" <= ch <= "\u30ff" for ch in text):  # hiragana / katakana
        return CJK_FONTS["ja"]
    if any("\uac00" <= ch <= "\ud7af" for ch in text):  # hangul
        return CJK_FONTS["ko"]
    return CJK_FONTS["zh-hans"]


def _cjk(ch: str) -> bool:
    return (
        "\u2e80" <= ch <= "\u9fff"  # CJK radicals, punctuation, kana, ideographs
        or "\uac00" <= ch <= "\ud7af"  # hangul
        or "\uf900" <= ch <= "\ufaff"
        or "\uff00" <= ch <= "\uffef"  # full-width forms
    )


def _helvetica(ch: str) -> bool:
    try:
        ch.encode("cp1252")  # what the built-in Helvetica can show
    except UnicodeEncodeError:
        return False
    return True


def runs(text: str, *, language: str, bold: bool = False) -> list[tuple[str, str]]:
    """Split text into (font, text) runs. Text without CJK is Helvetica; in text with CJK, ASCII
    stays in the CID font too (it has those glyphs), so "2026年3月3日" is one run and reads back
    as one word; accented Latin (é, ü) and anything Helvetica cannot show is split off."""
    other = _cjk_font(text, language)
    latin = LATIN_BOLD if bold else LATIN
    has_cjk = any(_cjk(ch) for ch in text)
    result: list[tuple[str, str]] = []
    for ch in text:
        if has_cjk and (ch.isascii() or _cjk(ch)):
            font = other
        elif _helvetica(ch):
            font = latin
        else:
            font = other
        if result and result[-1][0] == font:
            result[-1] = (font, result[-1][1] + ch)
        else:
            result.append((font, ch))
    return result


def _width(parts: list[tuple[str, str]], size: float) -> float:
    return sum(pdfmetrics.stringWidth(text, font, size) for font, text in parts)


def draw_centered(
    pdf: canvas.Canvas, y: float, text: str, *, size: float, language: str, bold=False, color=INK, max_width=720
) -> None:
    parts = runs(text, language=language, bold=bold)
    while _width(parts, size) > max_width and size > 7:  # long titles shrink rather than overflow
        size -= 0.5
    x = (pdf._pagesize[0] - _width(parts, size)) / 2
    pdf.setFillColor(color)
    for font, part in parts:
        pdf.setFont(font, size)
        pdf.drawString(x, y, part)
        x += pdfmetrics.stringWidth(part, font, size)


def _date(value, language: str, tz) -> str:
    with translation.override(language):
        return formats.date_format(timezone.localtime(value, tz).date(), "DATE_FORMAT")


def certificate_pdf(*, completion: Completion, event: Event, now=None) -> bytes:
    """The certificate of one participant who completed (caller checked ``completion.completed``)."""
    language = completion.registration.language if completion.registration.language in TEXT else "en"
    languages = [language] if language == "en" else [language, "en"]
    tz = zoneinfo.ZoneInfo(event.timezone)
    organization = event.organization
    first, last = completion.held[0].starts_at, completion.held[-1].starts_at
    issued = timezone.now() if now is None else now

    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=landscape(A4), pageCompression=1)
    width, height = landscape(A4)
    pdf.setTitle(f"{TEXT['en']['title']} — {completion.ticket.name} — {event.t('title', 'en')}")
    pdf.setAuthor(organization.t("name", "en"))
    pdf.setSubject(event.t("title", language))
    pdf.setCreator("Huiguan")

    pdf.setStrokeColor(BRAND)
    pdf.setLineWidth(3)
    pdf.rect(28, 28, width - 56, height - 56)
    pdf.setLineWidth(0.8)
    pdf.rect(36, 36, width - 72, height - 72)

    main, english = TEXT[language], TEXT["en"]
    bilingual = len(languages) > 1
    draw_centered(pdf, 515, organization.t("name", language), size=13, language=language, color=MUTED)
    draw_centered(pdf, 470, main["title"], size=34, language=language, bold=True, color=BRAND)
    if bilingual:
        draw_centered(pdf, 444, english["title"], size=15, language="en", color=BRAND)

    draw_centered(pdf, 405, main["certify"], size=14, language=language)
    if bilingual:
        draw_centered(pdf, 389, english["certify"], size=10.5, language="en", color=MUTED)
    draw_centered(pdf, 345, completion.ticket.name, size=30, language=language, bold=True)
    pdf.setStrokeColor(MUTED)
    pdf.setLineWidth(0.5)
    pdf.line(width / 2 - 180, 334, width / 2 + 180, 334)

    draw_centered(pdf, 305, main["completed"], size=14, language=language)
    if bilingual:
        draw_centered(pdf, 289, english["completed"], size=10.5, language="en", color=MUTED)
    course_title = event.t("title", language)
    draw_centered(pdf, 252, course_title, size=22, language=language, bold=True, color=BRAND)
    english_title = event.t("title", "en")
    if bilingual and english_title != course_title:
        draw_centered(pdf, 232, english_title, size=13, language="en", color=BRAND)

    counts = {"attended": len(completion.attended), "held": len(completion.held)}
    for index, code in enumerate(languages):
        text = TEXT[code]
        period = text["range"].format(start=_date(first, code, tz), end=_date(last, code, tz))
        line = period + text["separator"] + text["attended"].format(**counts)
        draw_centered(pdf, 198 - 16 * index, line, size=12 if index == 0 else 10, language=code, color=INK)

    attended_dates = ", ".join(timezone.localtime(s.starts_at, tz).strftime("%Y-%m-%d") for s in completion.attended)
    draw_centered(pdf, 150, attended_dates, size=8.5, language="en", color=MUTED)

    for index, code in enumerate(languages):
        issued_line = TEXT[code]["issued"].format(
            organization=organization.t("name", code), date=_date(issued, code, tz)
        )
        draw_centered(pdf, 92 - 14 * index, issued_line, size=10, language=code, color=MUTED)
    reference = f"HG-{event.pk}-{completion.registration.pk}-{completion.ticket.position}"
    draw_centered(pdf, 52, reference, size=7.5, language="en", color=MUTED)

    pdf.showPage()
    pdf.save()
    return buffer.getvalue()
