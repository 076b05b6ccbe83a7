"""Text in PDFs (ReportLab) in any of our languages: the font setup certificates and receipts share.

Names and titles can be Chinese, Japanese or Latin (often mixed: "Anna 陈"). Latin text is set in
Helvetica; every other run of characters in one of ReportLab's built-in CID fonts (Adobe's
STSong-Light for Chinese, HeiseiMin-W3 for Japanese, HYSMyeongJo-Medium for Korean), so no font
file is shipped or downloaded and the PDF stays small (the viewer supplies the glyphs). The
text layer is real Unicode, so a PDF can be searched and copied (and tested by extracting its text).
"""

from __future__ import annotations

from reportlab.lib.colors import HexColor
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

LATIN, LATIN_BOLD = "Helvetica", "Helvetica-Bold"
CJK_FONTS = {"zh-hans": "STSong-Light", "ja": "HeiseiMin-W3", "ko": "HYSMyeongJo-Medium"}
for _font in CJK_FONTS.values():
    pdfmetrics.registerFont(UnicodeCIDFont(_font))

INK = HexColor("#1b1f24")
BRAND = HexColor("#0a5c57")
MUTED = HexColor("#505a66")


def cjk_font(text: str, language: str) -> str:
    if language in CJK_FONTS:
        return CJK_FONTS[language]
    if any("\u3040" <= ch <= "\u30ff" for ch in text):  # hiragana / katakana
        return CJK_FONTS["ja"]
    if any("\uac00" <= ch <= "\ud7af" for ch in text):  # hangul
        return CJK_FONTS["ko"]
    return CJK_FONTS["zh-hans"]


def is_cjk(ch: str) -> bool:
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
    other = cjk_font(text, language)
    latin = LATIN_BOLD if bold else LATIN
    has_cjk = any(is_cjk(ch) for ch in text)
    result: list[tuple[str, str]] = []
    for ch in text:
        if has_cjk and (ch.isascii() or is_cjk(ch)):
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


def text_width(parts: list[tuple[str, str]], size: float) -> float:
    return sum(pdfmetrics.stringWidth(text, font, size) for font, text in parts)


def draw_runs(pdf: canvas.Canvas, x: float, y: float, parts: list[tuple[str, str]], size: float) -> None:
    for font, part in parts:
        pdf.setFont(font, size)
        pdf.drawString(x, y, part)
        x += pdfmetrics.stringWidth(part, font, size)


def draw_text(
    pdf: canvas.Canvas,
    x: float,
    y: float,
    text: str,
    *,
    size: float,
    language: str,
    bold: bool = False,
    color=INK,
    align: str = "left",
    max_width: float | None = None,
) -> None:
    """Draw one line of mixed-script text at x (left edge, centre or right edge by ``align``);
    a line wider than ``max_width`` shrinks rather than overflows."""
    parts = runs(text, language=language, bold=bold)
    while max_width and text_width(parts, size) > max_width and size > 6:
        size -= 0.5
    width = text_width(parts, size)
    if align == "center":
        x -= width / 2
    elif align == "right":
        x -= width
    pdf.setFillColor(color)
    draw_runs(pdf, x, y, parts, size)


def draw_centered(
    pdf: canvas.Canvas, y: float, text: str, *, size: float, language: str, bold=False, color=INK, max_width=720
) -> None:
    draw_text(
        pdf,
        pdf._pagesize[0] / 2,
        y,
        text,
        size=size,
        language=language,
        bold=bold,
        color=color,
        align="center",
        max_width=max_width,
    )
