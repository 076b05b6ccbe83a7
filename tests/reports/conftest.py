"""Fixtures with counts worked out by hand (each figure's expectation is spelled out in the tests).

Times are local to Asia/Shanghai (UTC+8, no DST) and fixed in the past, so every session is
"held" and bucket labels are stable; the course has one future and one cancelled session too.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from decimal import Decimal
from types import SimpleNamespace

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from checkin.models import CheckIn
from events.models import Event, Question, Session
from notifications.models import Feedback
from organizations.models import Membership
from registrations.models import Payment
from tests.factories import (
    CheckInFactory,
    EventFactory,
    MembershipFactory,
    OrganizationFactory,
    QuestionFactory,
    RegistrationFactory,
    SessionFactory,
    UserFactory,
)

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


def local(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=SHANGHAI)


def token_client(user) -> APIClient:
    client = APIClient()
    token, _ = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def ticket(registration, position: int = 0):
    return registration.tickets.get(position=position)


def check_in(registration, session, at: dt.datetime, *, position: int = 0, **fields) -> CheckIn:
    return CheckInFactory(
        ticket=ticket(registration, position), registration=registration, session=session, scanned_at=at, **fields
    )


def session_of(event, starts_at: dt.datetime, *, hours: int = 2, **fields) -> Session:
    return SessionFactory(event=event, starts_at=starts_at, ends_at=starts_at + dt.timedelta(hours=hours), **fields)


@pytest.fixture
def org(db):
    return OrganizationFactory(slug="neighbours", name={"en": "Neighbours", "zh-hans": "邻里"})


@pytest.fixture
def owner(org):
    user = UserFactory(username="owner")
    MembershipFactory(user=user, organization=org, role=Membership.Role.OWNER)
    return user


@pytest.fixture
def owner_client(owner):
    return token_client(owner)


@pytest.fixture
def tea(org):
    """A one-off evening (session 2026-03-14 19:00 Shanghai) with every kind of row.

    Registrations (status, seats):            confirmed 5 / 8 seats
      R1 Anna   en       confirmed  1  de  photos yes   door: none, stripe 50 paid (not door)
      R2 Mei    zh-hans  confirmed  3  cn  photos no
      R3 Haruto ja       confirmed  2  jp  photos yes   door 160 paid
      R4 Ben    en       confirmed  1  de  (photos missing = no)
      R9 Gita   en       confirmed  1  xx (a choice since removed: unanswered), door 80 paid
      R5 Chloe  en       waitlisted 1      R6 Dmitri en cancelled 2
      R7 Emi    ja       expired    1      R8 Fang zh-hans pending_payment 1 (door 80 pending)
    Check-ins at the session (effective in, entry 1 unless said):
      R1#0 18:30:00  R2#0 18:55:00  R2#1 18:55:30  R3#0 19:00:00 (+ a duplicate 19:01)
      R3#1 18:00:00  R9#0 18:50:00, out 19:30, in again 19:40 (entry 2)
      R4#0 18:40 reverted            R6#0 20:30:00 (cancelled registration, after the window)
    Feedback: R1 5 "Wonderful tea", R2 4 "很好", R3 3 "", R9 4 "=1+2" (a formula).
    """
    event = EventFactory(
        organization=org,
        slug="tea-evening",
        title={"en": "Tea evening", "zh-hans": "茶艺之夜", "ja": "お茶の夕べ"},
        capacity=20,
        currency="CNY",
        timezone="Asia/Shanghai",
        with_session=False,
    )
    session = session_of(event, local(2026, 3, 14, 19, 0))
    QuestionFactory(
        event=event,
        key="nationality",
        kind=Question.Kind.CHOICE,
        position=1,
        label={"en": "Where are you from?", "zh-hans": "您来自哪里？"},
        choices=[
            {"value": "jp", "label": {"en": "Japan", "zh-hans": "日本"}},
            {"value": "de", "label": {"en": "Germany", "zh-hans": "德国"}},
            {"value": "cn", "label": {"en": "China", "zh-hans": "中国"}},
        ],
    )
    QuestionFactory(
        event=event,
        key="photos",
        kind=Question.Kind.CHECKBOX,
        position=2,
        label={"en": "Photos OK", "zh-hans": "可拍照"},
    )
    QuestionFactory(event=event, key="diet", position=3, label={"en": "Diet"})  # text: not in the report

    def reg(name, language, status, party, answers, **extra):
        return RegistrationFactory(
            event=event,
            name=name,
            email=f"{name.split()[0].lower()}@example.org",
            language=language,
            status=status,
            party_size=party,
            answers=answers,
            **extra,
        )

    r1 = reg("Anna Schmidt", "en", "confirmed", 1, {"nationality": "de", "photos": True, "diet": "none"})
    r2 = reg("Mei 陈美玲", "zh-hans", "confirmed", 3, {"nationality": "cn", "photos": False})
    r3 = reg("Haruto 山田", "ja", "confirmed", 2, {"nationality": "jp", "photos": True}, payment_method="door")
    r4 = reg("Ben Okafor", "en", "confirmed", 1, {"nationality": "de"})
    r9 = reg("Gita Rao", "en", "confirmed", 1, {"nationality": "xx"}, payment_method="door")
    r5 = reg("Chloe Martin", "en", "waitlisted", 1, {"nationality": "jp"})
    r6 = reg("Dmitri Ivanov", "en", "cancelled", 2, {"nationality": "de"})
    r7 = reg("Emi Sato", "ja", "expired", 1, {})
    r8 = reg("Fang Li", "zh-hans", "pending_payment", 1, {"nationality": "cn"}, payment_method="door")

    Payment.objects.create(registration=r1, provider="stripe", status="paid", amount=Decimal("50"), currency="CNY")
    Payment.objects.create(registration=r3, provider="door", status="paid", amount=Decimal("160"), currency="CNY")
    Payment.objects.create(registration=r9, provider="door", status="paid", amount=Decimal("80"), currency="CNY")
    Payment.objects.create(registration=r8, provider="door", status="pending", amount=Decimal("80"), currency="CNY")

    check_in(r1, session, local(2026, 3, 14, 18, 30, 0))
    check_in(r2, session, local(2026, 3, 14, 18, 55, 0))
    check_in(r2, session, local(2026, 3, 14, 18, 55, 30), position=1)
    check_in(r3, session, local(2026, 3, 14, 19, 0, 0))
    check_in(r3, session, local(2026, 3, 14, 19, 1), is_duplicate=True, status=CheckIn.Status.ALREADY_CHECKED_IN)
    check_in(r3, session, local(2026, 3, 14, 18, 0, 0), position=1)
    check_in(r9, session, local(2026, 3, 14, 18, 50, 0))
    check_in(r9, session, local(2026, 3, 14, 19, 30), direction="out")
    check_in(r9, session, local(2026, 3, 14, 19, 40), entry=2)
    check_in(r4, session, local(2026, 3, 14, 18, 40), reverted_at=local(2026, 3, 14, 18, 41))
    check_in(r6, session, local(2026, 3, 14, 20, 30, 0))
    check_in(r6, session, local(2026, 3, 14, 17, 59, 59), position=1)

    Feedback.objects.create(registration=r1, rating=5, comment="Wonderful tea", language="en")
    Feedback.objects.create(registration=r2, rating=4, comment="很好", language="zh-hans")
    Feedback.objects.create(registration=r3, rating=3, comment="", language="ja")
    Feedback.objects.create(registration=r9, rating=4, comment="=1+2", language="en")
    return SimpleNamespace(event=event, session=session, r1=r1, r2=r2, r3=r3, r4=r4, r5=r5, r6=r6, r7=r7, r8=r8, r9=r9)


@pytest.fixture
def course(org):
    """A course of six sessions: S1–S4 held (March 2026), S5 cancelled, S6 a week from now.
    Held = 4, threshold 0.75 → 3 sessions needed.

      P1 Anna    en       S1 S2 S3 S4 (+ S5, cancelled: ignored)   4 → completed
      P2 陈美玲  zh-hans  S1 S2 S3                                 3 → completed (exactly 75 %)
      P3 山田花子 ja, party 2: seat 0 S1 S2 (S3 reverted) → 2, not completed;
                               seat 1 "山田太郎" S1 S2 S3 → 3, completed
      P4 Ben     en       none                                      0
      P5 Zoe     en       cancelled registration, checked in at S1  (not a participant)
    """
    from django.utils import timezone

    event = EventFactory(
        organization=org,
        kind=Event.Kind.COURSE,
        slug="chinese-beginners",
        title={"en": "Chinese for beginners", "zh-hans": "汉语入门", "ja": "中国語入門"},
        capacity=10,
        timezone="Asia/Shanghai",
        with_session=False,
    )
    starts = [local(2026, 3, day, 19, 0) for day in (3, 10, 17, 24)]
    s1, s2, s3, s4 = (session_of(event, start) for start in starts)
    s5 = session_of(event, local(2026, 3, 31, 19, 0), status=Session.Status.CANCELLED)
    s6 = session_of(event, timezone.now().replace(microsecond=0) + dt.timedelta(days=7))

    def reg(name, email, language, **extra):
        return RegistrationFactory(event=event, name=name, email=email, language=language, **extra)

    p1 = reg("Anna Schmidt", "anna@example.org", "en")
    p2 = reg("陈美玲", "mei@example.org", "zh-hans")
    p3 = reg("山田花子", "hanako@example.org", "ja", party_size=2)
    p3.tickets.filter(position=1).update(name="山田太郎")
    p4 = reg("Ben Okafor", "ben@example.org", "en")
    p5 = reg("Zoe Park", "zoe@example.org", "en", status="cancelled")

    def at(session, minutes=-5):
        return session.starts_at + dt.timedelta(minutes=minutes)

    for session in (s1, s2, s3, s4, s5):
        check_in(p1, session, at(session))
    for session in (s1, s2, s3):
        check_in(p2, session, at(session))
    for session in (s1, s2):
        check_in(p3, session, at(session))
    check_in(p3, s3, at(s3), reverted_at=at(s3, 1))
    for session in (s1, s2, s3):
        check_in(p3, session, at(session, -4), position=1)
    check_in(p5, s1, at(s1))
    return SimpleNamespace(event=event, sessions=[s1, s2, s3, s4, s5, s6], p1=p1, p2=p2, p3=p3, p4=p4, p5=p5)


@pytest.fixture
def year(org):
    """Events of one organization around the range 2026-01-01 … 2026-03-31 (Shanghai days).

    In range (held):
      jan    2026-01-10   a(1) b(2) confirmed, c cancelled; check-ins a, b#0       → 3 regs, 3 seats, 2 of 3
      feb    2026-02-14   a(1) d(1) confirmed, e waitlisted; check-in a            → 3 regs, 2 seats, 1 of 2
      course 02-20, 02-27, 03-06 (+ 04-03 outside the range)                        → a February event
             a b f confirmed; b at all three (+ April, not counted), f at the first → 3 regs, 3 seats, 4 of 9
      late   2026-03-31 23:30 Shanghai (15:30 UTC): g a confirmed; check-in g      → 2 regs, 2 seats, 1 of 2
    Not in range: dec (2025-12-20, a), april (2026-04-01 00:10 Shanghai = 03-31 16:10 UTC, a),
      a March event whose only session was cancelled, a March draft, and a March event of
      another organization (a, h).

    Totals: 4 events, 11 registrations, 10 seats, 8 of 16 expected check-ins (0.5);
      participants a b d f g = 5, returning a (4 events) and b (2) = 2.
    Months: Jan 1 event, 3 regs, 3 seats, 2/3, people a b (2), returning 0;
            Feb 2 events, 6 regs, 5 seats, 5/11, people a b d f (4), returning a (1);
            Mar 1 event, 2 regs, 2 seats, 1/2, people g a (2), returning 0.
    """

    def event(slug, starts, *, organization=org, status=Event.Status.PUBLISHED, session_status=None, kind="event"):
        e = EventFactory(organization=organization, slug=slug, kind=kind, status=status, with_session=False)
        sessions = [session_of(e, start, **({"status": session_status} if session_status else {})) for start in starts]
        return e, sessions

    def reg(e, who, status="confirmed", party=1):
        return RegistrationFactory(
            event=e, name=who.upper(), email=f"{who}@example.org", status=status, party_size=party
        )

    jan, (jan_s,) = event("jan", [local(2026, 1, 10, 19)])
    a, b = reg(jan, "a"), reg(jan, "b", party=2)
    reg(jan, "c", "cancelled")
    check_in(a, jan_s, local(2026, 1, 10, 18, 50))
    check_in(b, jan_s, local(2026, 1, 10, 18, 51))

    feb, (feb_s,) = event("feb", [local(2026, 2, 14, 19)])
    a2 = reg(feb, "a")
    reg(feb, "d")
    reg(feb, "e", "waitlisted")
    check_in(a2, feb_s, local(2026, 2, 14, 18, 55))

    course, course_sessions = event(
        "course",
        [local(2026, 2, 20, 19), local(2026, 2, 27, 19), local(2026, 3, 6, 19), local(2026, 4, 3, 19)],
        kind=Event.Kind.COURSE,
    )
    reg(course, "a")
    b3, f3 = reg(course, "b"), reg(course, "f")
    for session in course_sessions:
        check_in(b3, session, session.starts_at)
    check_in(f3, course_sessions[0], course_sessions[0].starts_at)

    late, (late_s,) = event("late", [local(2026, 3, 31, 23, 30)])
    g4 = reg(late, "g")
    reg(late, "a")
    check_in(g4, late_s, local(2026, 3, 31, 23, 20))

    dec, (dec_s,) = event("dec", [local(2025, 12, 20, 19)])
    check_in(reg(dec, "a"), dec_s, local(2025, 12, 20, 19))
    april, (april_s,) = event("april", [local(2026, 4, 1, 0, 10)])
    check_in(reg(april, "a"), april_s, local(2026, 4, 1, 0, 5))
    called_off, _ = event("called-off", [local(2026, 3, 10, 19)], session_status=Session.Status.CANCELLED)
    reg(called_off, "a")
    draft, _ = event("draft", [local(2026, 3, 12, 19)], status=Event.Status.DRAFT)
    reg(draft, "a")
    other_org = OrganizationFactory(slug="elsewhere")
    other, (other_s,) = event("other", [local(2026, 3, 15, 19)], organization=other_org)
    check_in(reg(other, "a"), other_s, local(2026, 3, 15, 19))
    reg(other, "h")
    return SimpleNamespace(jan=jan, feb=feb, course=course, late=late, other_org=other_org)
