"""The demo's notice board and Weekly Bulletin: three confirmed subscribers (one per language),
two notices written in English, Chinese and Japanese and published through the same use case
the desk calls, and last week's bulletin issue, built by the same renderer the beat uses."""

from __future__ import annotations

import datetime as dt
import secrets

from notifications import board, bulletins
from notifications.models import Bulletin, Notice, Subscription
from organizations.models import Organization, Venue

SUBSCRIBERS = (
    ("emma.subscriber@example.org", "en"),
    ("li.dingyue@example.org", "zh-hans"),
    ("sato.koudoku@example.org", "ja"),
)

NOTICES = (
    {
        "category": Notice.Category.SERVICE,
        "title": {
            "en": "Residence permit help desk: new Saturday hours",
            "zh-hans": "居留许可咨询台：新增周六服务时间",
            "ja": "在留許可の相談窓口：土曜日の受付を開始",
        },
        "body": {
            "en": "From next week the help desk also opens on Saturdays, 9:00–12:00. Bring your passport "
            "and your registration form of temporary residence.",
            "zh-hans": "自下周起，咨询台周六9:00至12:00也开放。请携带护照和临时住宿登记表。",
            "ja": "来週から土曜日の9:00〜12:00も相談窓口を開きます。パスポートと臨時宿泊登記表をお持ちください。",
        },
        "urgent": False,
        "venue": "hall",
        "days": (0, 60),
    },
    {
        "category": Notice.Category.WORKS,
        "title": {
            "en": "Water cut on Sanlitun Road on Thursday night",
            "zh-hans": "周四夜间三里屯路停水",
            "ja": "木曜日の夜、三里屯路で断水",
        },
        "body": {
            "en": "Pipe works: no water from 23:00 on Thursday to 5:00 on Friday in buildings 1 to 12. "
            "Please store some water in advance.",
            "zh-hans": "管道施工：周四23:00至周五5:00，1至12号楼停水。请提前储水。",
            "ja": "配管工事のため、木曜23:00から金曜5:00まで1〜12号棟で断水します。事前に水をためておいてください。",
        },
        "urgent": True,
        "area": {"en": "Sanlitun Road, buildings 1–12", "zh-hans": "三里屯路1至12号楼", "ja": "三里屯路 1〜12号棟"},
        "days": (0, 7),
    },
)


def load_board(*, organization: Organization, owner, venues: dict[str, Venue], now: dt.datetime) -> None:
    """Runs inside the demo's transaction, once (the organization's first load)."""
    for email, language in SUBSCRIBERS:
        subscription, _new = Subscription.objects.get_or_create(
            email=email,
            defaults={
                "language": language,
                "all_organizations": True,
                "bulletin": True,
                "notice_categories": list(Notice.Category.values),
                "token": secrets.token_urlsafe(32),
                "consent": {"source": "demo data", "at": now.isoformat()},
                "confirmed_at": now,
            },
        )
    today = now.date()
    for spec in NOTICES:
        start, end = spec["days"]
        notice = board.notice_create(
            user=owner,
            organization=organization,
            category=spec["category"],
            title=spec["title"],
            body=spec["body"],
            venue=venues.get(spec.get("venue", "")),
            area=spec.get("area"),
            valid_from=today + dt.timedelta(days=start),
            valid_until=today + dt.timedelta(days=end),
            urgent=spec["urgent"],
        )
        board.notice_publish(user=owner, notice=notice)
    # Last week's issue, as the beat would have built it then (its contents per language), in the archive.
    last_week = now - dt.timedelta(days=7)
    week = bulletins.week_start_of(organization=organization, moment=last_week)
    Bulletin.objects.create(
        organization=organization,
        week_start=week,
        contents=bulletins.bulletin_render(organization=organization, week_start=week, now=last_week),
        status=Bulletin.Status.SENT,
        sent_at=bulletins.scheduled_at(organization=organization, week_start=week),
    )
