"""What the demo data set needs so that every screen has something to show on first run.

``demo_data`` loads the catalogue (events one to six weeks away); this module adds history and
the present, made through the same services a real day would use:

- an event happening **today** with check-in open now: a dozen registrations, some already
  checked in by the volunteer, a party of three, the rest still to pay at the door — so the
  scanner has a session to scan and the report a live count;
- the past language café gets its registrations, arrivals over time and feedback;
- a finished six-week course with attendance that makes some participants complete (so the
  course report and the certificates have rows) and some not;
- a cover image on every event, drawn here with Pillow (no binary files in the repository);
- the demo residents' emails counted instead of printed (``quiet_demo_mail``).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import io
import logging
import math
import uuid
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.mail.backends.base import BaseEmailBackend
from django.test.utils import override_settings
from django.utils import timezone
from PIL import Image, ImageDraw

from checkin.services import checkin_door_payment, checkin_perform
from events.models import Event
from events.recurrence import localize
from events.services import event_create, event_publish, event_set_image, session_create, sessions_generate
from notifications.services import feedback_submit
from organizations.models import Organization
from registrations.models import Registration
from registrations.services import registration_create
from registrations.tickets import ticket_code

# --- mail ---------------------------------------------------------------------------------------


class DemoMailbox:
    count = 0


class CountingEmailBackend(BaseEmailBackend):
    """Sends nothing: counts the messages (the demo residents' addresses are made up)."""

    def send_messages(self, email_messages):
        DemoMailbox.count += len(email_messages)
        return len(email_messages)


@contextlib.contextmanager
def quiet_demo_mail():
    """Mail goes to the counter, and the eager tasks' one-line-per-task INFO log is held back.

    With a real broker the worker sends the mail; then this changes nothing but the log here."""
    DemoMailbox.count = 0
    trace = logging.getLogger("celery.app.trace")
    level = trace.level
    trace.setLevel(logging.WARNING)
    try:
        with override_settings(EMAIL_BACKEND="demo.showcase.CountingEmailBackend"):
            yield DemoMailbox
    finally:
        trace.setLevel(level)


# --- the closing block of demo_data -------------------------------------------------------------


def demo_urls(*, organization: Organization) -> list[tuple[str, str]]:
    """Where to look first, on the host and port ``make run`` serves (SITE_URL)."""

    base = settings.SITE_URL
    urls = [
        ("events", f"{base}/"),
        ("my registrations", f"{base}/my/"),
        ("notice board", f"{base}/notices/"),  # board
        ("weekly bulletin", f"{base}/bulletin/"),
        ("scanner (volunteer)", f"{base}/scan/"),
        ("reports (organizer)", f"{base}/organizer/reports/"),
        ("admin (organizer)", f"{base}/admin/"),
        ("API docs", f"{base}/api/docs/"),
    ]
    today = Event.objects.filter(organization=organization, slug=TODAY_SLUG).first()
    if today is not None:
        urls.insert(1, ("happening today", f"{base}/events/{today.slug}/"))
        ticket = (
            Registration.objects.filter(event=today, status=Registration.Status.CONFIRMED, party_size=1)
            .order_by("-id")
            .first()
        )
        if ticket is not None:
            urls.insert(2, ("a ticket for today", f"{base}/manage/{ticket.manage_token}/"))
        urls.insert(3, ("poster to print", f"{base}/events/{today.slug}/poster/"))
    return urls


# --- cover images -------------------------------------------------------------------------------

# Per category: background top, background bottom, and two colours for the motif.
PALETTES = {
    "culture": ((15, 118, 110), (6, 78, 59), (253, 230, 138), (167, 243, 208)),
    "course": ((30, 58, 138), (23, 37, 84), (254, 243, 199), (147, 197, 253)),
    "language": ((124, 58, 237), (76, 29, 149), (253, 224, 71), (221, 214, 254)),
    "festival": ((185, 28, 28), (127, 29, 29), (252, 211, 77), (254, 202, 202)),
    "public-service": ((3, 105, 161), (12, 74, 110), (224, 242, 254), (125, 211, 252)),
}
COVER_SIZE = (1200, 630)  # the size Open Graph and Twitter cards show best


def cover_image(*, seed: str, palette: str) -> bytes:
    """A calm abstract JPEG (gradient, circles like lanterns or tea cups, a wave), the same for the same seed."""
    top, bottom, accent, soft = PALETTES.get(palette, PALETTES["culture"])
    width, height = COVER_SIZE
    image = Image.new("RGB", COVER_SIZE, top)
    draw = ImageDraw.Draw(image)
    for y in range(height):
        t = y / (height - 1)
        draw.line([(0, y), (width, y)], fill=tuple(round(a + (b - a) * t) for a, b in zip(top, bottom, strict=True)))
    digest = hashlib.sha256(seed.encode()).digest()
    overlay = Image.new("RGBA", COVER_SIZE, (0, 0, 0, 0))
    shapes = ImageDraw.Draw(overlay)
    for index in range(7):
        x = 120 + digest[index] * 4 % (width - 240)
        y = 90 + digest[index + 8] * 3 % (height - 200)
        radius = 40 + digest[index + 16] % 110
        colour = accent if index % 2 == 0 else soft
        shapes.ellipse([x - radius, y - radius, x + radius, y + radius], fill=(*colour, 70 + digest[index + 24] % 90))
    wave = [(x, height - 150 + 40 * math.sin(x / 95 + digest[31] / 40)) for x in range(0, width + 10, 10)]
    shapes.polygon([*wave, (width, height), (0, height)], fill=(*soft, 60))
    image = Image.alpha_composite(image.convert("RGBA"), overlay).convert("RGB")
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=82, optimize=True)
    return buffer.getvalue()


def add_cover_images(*, organization: Organization, owner) -> None:

    for event in Event.objects.filter(organization=organization).select_related("category"):
        if event.image:
            continue
        palette = event.category.slug if event.category else "culture"
        upload = SimpleUploadedFile(
            f"{event.slug}.jpg", cover_image(seed=event.slug, palette=palette), content_type="image/jpeg"
        )
        event_set_image(user=owner, event=event, upload=upload)


# --- today, the past café, the finished course ------------------------------------------------

TODAY_SLUG = "chaoyang-newcomers-welcome-afternoon"
COURSE_SLUG = "chaoyang-paper-cutting-course"
CAFE_SLUG = "chaoyang-language-exchange-cafe"

TODAY_EVENT = {
    "title": {
        "en": "Welcome Afternoon for Newcomers",
        "zh-hans": "新居民欢迎下午茶",
        "ja": "新しく来た方の歓迎会",
    },
    "summary": {
        "en": "Meet your neighbours, the community center's team and the volunteers over tea and snacks.",
        "zh-hans": "喝茶吃点心，认识邻居、社区中心的工作人员和志愿者。",
        "ja": "お茶とお菓子を囲んで、ご近所の方やセンターのスタッフ、ボランティアと知り合いましょう。",
    },
    "description": {
        "en": "Just arrived in Chaoyang? Come any time during the afternoon. The team explains what the center "
        "offers (courses, help with paperwork, the weekly bulletin), volunteers help you set up the apps people "
        "here use every day, and you can ask anything about life in the district. The fee of 20 yuan, paid at the "
        "door, covers tea, fruit and snacks. Bring a friend: you can register up to two guests.",
        "zh-hans": "刚搬到朝阳？下午任何时候都可以来。工作人员会介绍中心提供的服务（课程、办事协助、每周简报），"
        "志愿者会帮你安装本地人每天都用的手机应用，关于社区生活的问题都可以问。费用20元，现场支付，"
        "包含茶水、水果和点心。欢迎带朋友来：报名时最多可以带两位同伴。",
        "ja": "朝陽区に来たばかりの方、午後のお好きな時間にお越しください。スタッフがセンターのサービス"
        "（講座、手続きのお手伝い、週刊お知らせ）をご紹介し、ボランティアが地元で毎日使うアプリの設定をお手伝いします。"
        "地域での暮らしについて何でもご質問ください。参加費20元（当日会場でお支払い）にはお茶、果物、"
        "お菓子が含まれます。お友だちもどうぞ。同伴者は2名まで登録できます。",
    },
}

COURSE_EVENT = {
    "title": {
        "en": "Chinese Paper-Cutting (6 weeks)",
        "zh-hans": "中国剪纸入门（6周）",
        "ja": "中国の切り絵入門（全6回）",
    },
    "summary": {
        "en": "Six Thursday evenings of jianzhi: from a simple fold to a window flower for the Spring Festival.",
        "zh-hans": "六个周四晚上学剪纸：从简单的折剪到春节的窗花。",
        "ja": "6回の木曜の夜に剪紙を学びます。簡単な折り切りから春節の窓飾りまで。",
    },
    "description": {
        "en": "Master Liu has cut paper since she was a child in Shaanxi. Each week adds one technique: symmetrical "
        "folds, the saw-tooth line, the crescent, and finally a round window flower with the character for "
        "spring. Scissors, knives and red paper are provided. Participants who attend five of the six evenings "
        "receive a certificate.",
        "zh-hans": "刘老师从小在陕西学习剪纸。每周学习一种技法：对称折剪、锯齿纹、月牙纹，"
        "最后剪出一幅带“春”字的团花窗花。"
        "剪刀、刻刀和红纸由我们提供。六次课中出席五次即可获得结业证书。",
        "ja": "劉先生は陝西省で子どもの頃から切り絵をしてきました。毎回一つずつ技法を学びます。対称の折り切り、"
        "のこぎり模様、三日月模様、そして最後に「春」の字の入った丸い窓飾りを仕上げます。はさみ、カッター、"
        "赤い紙はこちらでご用意します。6回のうち5回出席された方には修了証をお渡しします。",
    },
}

# (rating, comment, language) for the café and the course: what the report's feedback shows.
CAFE_FEEDBACK = (
    (5, "Lovely afternoon, I finally spoke Chinese with someone other than my teacher!", "en"),
    (4, "とても楽しかったです。次回はもう少し長いと嬉しいです。", "ja"),
    (5, "", "en"),
    (4, "Great mix of people. The conversation cards helped a lot.", "en"),
    (3, "A bit noisy at the English table.", "en"),
    (5, "认识了很多新朋友，谢谢志愿者！", "zh-hans"),
    (4, "", "ja"),
)
COURSE_FEEDBACK = (
    (5, "Master Liu is so patient. My window flower is on the fridge now.", "en"),
    (5, "先生の説明がわかりやすかったです。", "ja"),
    (4, "", "en"),
    (4, "Would love an advanced course.", "en"),
)


@dataclass
class Showcase:
    organization: Organization
    owner: object
    volunteer: object
    venues: dict
    categories: dict
    residents: tuple
    now: dt.datetime


def load_showcase(showcase: Showcase) -> None:
    """Add today's event, the finished course and the café's history, then a cover on every event."""
    _today_event(showcase)
    _finished_course(showcase)
    cafe = Event.objects.filter(organization=showcase.organization, slug=CAFE_SLUG).first()
    if cafe is not None:
        _history(showcase, event=cafe, people=14, arrived=11, feedback=CAFE_FEEDBACK)
    add_cover_images(organization=showcase.organization, owner=showcase.owner)


def _today_event(showcase: Showcase) -> Event:
    """Started an hour ago (rounded to the quarter), five hours long: check-in is open now."""

    now = showcase.now
    starts_at = (now - dt.timedelta(hours=1)).replace(second=0, microsecond=0)
    starts_at -= dt.timedelta(minutes=starts_at.minute % 15)
    ends_at = starts_at + dt.timedelta(hours=5)
    opens_at = starts_at - dt.timedelta(days=10)
    event = event_create(
        user=showcase.owner,
        organization=showcase.organization,
        kind=Event.Kind.EVENT,
        slug=TODAY_SLUG,
        default_language="en",
        spoken_languages=["zh-hans", "en", "ja"],
        category=showcase.categories["culture"],
        venue=showcase.venues["hall"],
        timezone=showcase.organization.timezone,
        capacity=40,
        registration_opens_at=opens_at,
        registration_closes_at=ends_at,
        price=Decimal("20"),
        currency="CNY",
        allow_pay_at_door=True,
        max_guests=2,
        **TODAY_EVENT,
    )
    session = session_create(user=showcase.owner, event=event, starts_at=starts_at, ends_at=ends_at, allow_overlap=True)
    event_publish(user=showcase.owner, event=event)
    registrations = _register(
        showcase,
        event=event,
        people=12,
        at=opens_at + dt.timedelta(days=1),
        pay_at_door=True,
        party={0: ["Mia Schulz", "Leo Schulz"]},
    )
    # The first five came in during the last hour (Emma with her party of three); they paid at the door.
    for index, registration in enumerate(registrations[:5]):
        scanned_at = max(starts_at - dt.timedelta(minutes=10), now - dt.timedelta(minutes=55)) + dt.timedelta(
            minutes=9 * index
        )
        for ticket in registration.tickets.all():
            checkin_perform(
                code=ticket_code(ticket_id=ticket.pk),
                session_id=session.pk,
                nonce=uuid.uuid4(),
                user=showcase.volunteer,
                device="demo",
                scanned_at=min(scanned_at, now),
            )
        checkin_door_payment(registration_id=registration.pk, user=showcase.volunteer)
    return event


def _finished_course(showcase: Showcase) -> Event:
    """Six Thursdays that ended last week; attendance varies so some participants complete."""

    zone = showcase.organization.timezone
    local_today = timezone.localdate(timezone=timezone.get_default_timezone())
    this_monday = local_today - dt.timedelta(days=local_today.weekday())
    first_start = dt.datetime.combine(this_monday - dt.timedelta(weeks=6) + dt.timedelta(days=3), dt.time(19))
    starts_at = localize(first_start, zone)
    event = event_create(
        user=showcase.owner,
        organization=showcase.organization,
        kind=Event.Kind.COURSE,
        slug=COURSE_SLUG,
        default_language="en",
        spoken_languages=["zh-hans", "en"],
        category=showcase.categories["course"],
        venue=showcase.venues["hall"],
        timezone=zone,
        capacity=12,
        registration_opens_at=starts_at - dt.timedelta(weeks=3),
        registration_closes_at=starts_at,
        price=Decimal("0"),
        currency="CNY",
        **COURSE_EVENT,
    )
    sessions_generate(
        user=showcase.owner,
        event=event,
        rule="FREQ=WEEKLY;BYDAY=TH;COUNT=6",
        first_start=first_start,
        duration=dt.timedelta(hours=2),
        allow_overlap=True,
    )
    event_publish(user=showcase.owner, event=event)
    _history(showcase, event=event, people=10, arrived=10, feedback=COURSE_FEEDBACK)
    return event


def _history(showcase: Showcase, *, event: Event, people: int, arrived: int, feedback: tuple) -> None:
    """Registrations made before the event, check-ins at each session as they would have
    happened (arrivals spread around the start), and feedback afterwards."""

    sessions = list(event.sessions.order_by("starts_at"))
    opens_at = event.registration_opens_at or sessions[0].starts_at - dt.timedelta(weeks=3)
    registrations = _register(showcase, event=event, people=people, at=opens_at + dt.timedelta(days=2))
    course = len(sessions) > 1
    for number, session in enumerate(sessions):
        for index, registration in enumerate(registrations[:arrived]):
            # In a course, everyone misses a session now and then; the last two miss more (not complete).
            if course and (index + number) % 7 == 0 or course and index >= arrived - 2 and number % 2:
                continue
            minutes = (index * 37 + number * 11) % 45 - 20  # from 20 minutes early to 25 late
            checkin_perform(
                code=ticket_code(ticket_id=registration.tickets.all()[0].pk),
                session_id=session.pk,
                nonce=uuid.uuid4(),
                user=showcase.volunteer,
                device="demo",
                scanned_at=session.starts_at + dt.timedelta(minutes=minutes),
            )
    for registration, (rating, comment, language) in zip(registrations, feedback, strict=False):
        feedback_submit(registration=registration, rating=rating, comment=comment, language=language)


def _register(
    showcase: Showcase,
    *,
    event: Event,
    people: int,
    at: dt.datetime,
    pay_at_door: bool = False,
    party: dict | None = None,
) -> list:
    """Demo residents register as the site would, at ``at`` (so past events had them in time)."""

    event.refresh_from_db()
    answers_for = {question.key: question for question in event.questions.all()}
    made = []
    for index, (name, email, language, country, level) in enumerate(showcase.residents[:people]):
        answers = {}
        if "nationality" in answers_for:
            answers["nationality"] = country
        if "mandarin_level" in answers_for:
            answers["mandarin_level"] = level
        made.append(
            registration_create(
                event_id=event.pk,
                name=name,
                email=email,
                language=language,
                answers=answers,
                consents={"privacy": True},
                guests=(party or {}).get(index, []),
                pay_at_door=pay_at_door,
                now=at + dt.timedelta(minutes=17 * index),
            )
        )
    return made
