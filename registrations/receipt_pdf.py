"""A receipt as PDF (ReportLab), in the payer's language and the organization's.

What the receipt says was copied when it was issued (``services.receipts.receipt_issue``); only
the refunds made since are read live, so a later partial refund shows on a fresh download. The
fonts and mixed-script runs are ``common/pdf.py``'s (as for certificates). The fixed phrases are
kept here per language, as for certificates: one PDF carries two languages at once.
"""

from __future__ import annotations

import io
import zoneinfo
from decimal import Decimal

from django.http import HttpResponse
from django.utils import formats, timezone, translation
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from common.pdf import BRAND, INK, MUTED, draw_text
from registrations.models import Receipt, Refund

TEXT = {
    "en": {
        "title": "Receipt",
        "number": "Receipt no.",
        "date": "Date",
        "payer": "Received from",
        "event": "For",
        "description": "Description",
        "quantity": "Qty",
        "unit": "Unit price",
        "amount": "Amount",
        "total": "Total paid",
        "method": "Paid by",
        "stripe": "online payment",
        "door": "cash at the door",
        "refunded": "Refunded",
        "note": "This receipt is not a fapiao.",
    },
    "zh-hans": {
        "title": "收据",
        "number": "收据编号",
        "date": "日期",
        "payer": "付款人",
        "event": "项目",
        "description": "说明",
        "quantity": "数量",
        "unit": "单价",
        "amount": "金额",
        "total": "实收合计",
        "method": "付款方式",
        "stripe": "在线支付",
        "door": "现场现金",
        "refunded": "已退款",
        "note": "本收据不作为发票使用。",
    },
    "ja": {
        "title": "領収書",
        "number": "領収書番号",
        "date": "日付",
        "payer": "お支払者",
        "event": "但し",
        "description": "内容",
        "quantity": "数量",
        "unit": "単価",
        "amount": "金額",
        "total": "お支払合計",
        "method": "お支払方法",
        "stripe": "オンライン決済",
        "door": "当日現金",
        "refunded": "返金済",
        "note": "本書は発票（中国の税務領収書）ではありません。",
    },
}


def receipt_languages(receipt: Receipt) -> list[str]:
    """The payer's language first, then the organization's (once, if it differs)."""
    first = receipt.language if receipt.language in TEXT else "en"
    second = receipt.organization.default_language if receipt.organization.default_language in TEXT else "en"
    return [first] if second == first else [first, second]


def money(amount, currency: str) -> str:
    return f"{Decimal(amount):,.2f} {currency}"


def _label(key: str, languages: list[str]) -> str:
    return " / ".join(dict.fromkeys(TEXT[code][key] for code in languages))


def _pick(texts: dict, languages: list[str]) -> str:
    for code in [*languages, "en"]:
        if texts.get(code):
            return texts[code]
    return next(iter(texts.values()), "")


def receipt_pdf(*, receipt: Receipt) -> bytes:
    languages = receipt_languages(receipt)
    main = languages[0]
    organization = receipt.organization
    event = receipt.registration.event
    tz = zoneinfo.ZoneInfo(event.timezone)
    with translation.override(main):
        issued = formats.date_format(timezone.localtime(receipt.issued_at, tz), "DATE_FORMAT")
    refunded = [r for r in receipt.payment.refunds.all() if r.status == Refund.Status.SUCCEEDED]

    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4, pageCompression=1)
    width, height = A4
    left, right = 56, width - 56
    pdf.setTitle(f"{TEXT['en']['title']} {receipt.display_number}")
    pdf.setAuthor(organization.t("name", "en"))
    pdf.setCreator("Huiguan")

    y = height - 72
    for index, code in enumerate(languages):
        draw_text(
            pdf, left, y - 16 * index, organization.t("name", code), size=13 - index * 2, language=code, color=MUTED
        )
    draw_text(pdf, right, y, _label("title", languages), size=24, language=main, bold=True, color=BRAND, align="right")
    pdf.setStrokeColor(BRAND)
    pdf.setLineWidth(1.5)
    pdf.line(left, y - 40, right, y - 40)

    y -= 72
    rows = [
        (_label("number", languages), receipt.display_number),
        (_label("date", languages), issued),
        (
            _label("payer", languages),
            f"{receipt.payer_name} <{receipt.payer_email}>" if receipt.payer_email else receipt.payer_name,
        ),
        (_label("event", languages), _pick(event.title or {}, languages) or event.slug),
        (_label("method", languages), " / ".join(dict.fromkeys(TEXT[c][receipt.method] for c in languages))),
    ]
    for label, value in rows:
        draw_text(pdf, left, y, label, size=9.5, language=main, color=MUTED)
        draw_text(pdf, left + 150, y, value, size=11, language=main, max_width=right - left - 150)
        y -= 20

    y -= 16
    columns = (left, right - 200, right - 110, right)
    draw_text(pdf, columns[0], y, _label("description", languages), size=9, language=main, color=MUTED)
    draw_text(pdf, columns[1], y, _label("quantity", languages), size=9, language=main, color=MUTED, align="right")
    draw_text(pdf, columns[2], y, _label("unit", languages), size=9, language=main, color=MUTED, align="right")
    draw_text(pdf, columns[3], y, _label("amount", languages), size=9, language=main, color=MUTED, align="right")
    pdf.setStrokeColor(MUTED)
    pdf.setLineWidth(0.5)
    pdf.line(left, y - 6, right, y - 6)
    y -= 24
    for line in receipt.lines:
        description = _pick(line.get("description") or {}, languages)
        draw_text(pdf, columns[0], y, description, size=10.5, language=main, max_width=columns[1] - left - 60)
        draw_text(pdf, columns[1], y, str(line.get("quantity", "")), size=10.5, language="en", align="right")
        draw_text(
            pdf, columns[2], y, money(line["unit_price"], receipt.currency), size=10.5, language="en", align="right"
        )
        draw_text(pdf, columns[3], y, money(line["amount"], receipt.currency), size=10.5, language="en", align="right")
        y -= 20
    pdf.line(left, y + 8, right, y + 8)
    y -= 10
    draw_text(pdf, columns[2], y, _label("total", languages), size=11, language=main, bold=True, align="right")
    draw_text(
        pdf, columns[3], y, money(receipt.total, receipt.currency), size=12, language="en", bold=True, align="right"
    )
    for refund in refunded:
        y -= 18
        with translation.override(main):
            when = formats.date_format(timezone.localtime(refund.refunded_at or refund.requested_at, tz), "DATE_FORMAT")
        draw_text(
            pdf,
            columns[2],
            y,
            f"{_label('refunded', languages)} {when}",
            size=9.5,
            language=main,
            color=MUTED,
            align="right",
        )
        draw_text(
            pdf,
            columns[3],
            y,
            "- " + money(refund.amount, receipt.currency),
            size=10,
            language="en",
            color=MUTED,
            align="right",
        )

    for index, code in enumerate(languages):
        draw_text(pdf, left, 72 - 14 * index, TEXT[code]["note"], size=8.5, language=code, color=MUTED)
    draw_text(pdf, right, 72, receipt.display_number, size=7.5, language="en", color=INK, align="right")
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def receipt_response(receipt: Receipt) -> HttpResponse:
    """The PDF as a private download (the manage page, the desk, the data export link)."""
    response = HttpResponse(receipt_pdf(receipt=receipt), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="receipt-{receipt.display_number}.pdf"'
    response["Cache-Control"] = "private, no-store"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response
