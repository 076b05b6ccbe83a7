"""Certificates of completion as PDF (ReportLab), in the participant's language and English.

Names and titles can be Chinese, Japanese or Latin (often mixed: "Anna 陈"): the fonts and the
mixed-script runs are set up in ``common/pdf.py``, shared with the receipts.

The fixed phrases are kept here per language rather than in a .po catalogue: a certificate is
printed in two languages at once, whatever the organizer's UI language, and the project has no
catalogue yet (like the email templates in ``notifications/templates/notifications/<lang>/``).
"""

from __future__ import annotations

import io
import zoneinfo

from django.utils import formats, timezone, translation
from reportlab.lib.pagesizes import A4, landscape
from reportlab.pdfgen import canvas

from checkin.completion import Completion
from common.pdf import BRAND, INK, MUTED, draw_centered
from events.models import Event

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
