"""Notices (create, edit, publish, withdraw; one list message rendered per language with the
fallback line) and the Weekly Bulletin (built once per language, the beat idempotent and on
each organization's own clock)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from audit.models import AuditEntry
from common.exceptions import InvalidInput, InvalidTransition
from notifications import board, bulletins
from notifications.models import Bulletin, ListMessage, Notice
from tests.factories import EventFactory, OrganizationFactory, SessionFactory, UserFactory, VenueFactory
from tests.helpers import notice_in

pytestmark = pytest.mark.django_db

LANGUAGES = ("en", "zh-hans", "ja")


# --- notices ---------------------------------------------------------------------------------------


def test_a_notice_is_rendered_in_each_language_with_the_fallback_line_where_missing(
    django_capture_on_commit_callbacks,
):
    org = OrganizationFactory(default_language="zh-hans", name={"en": "Foreign Affairs Office", "zh-hans": "外事办"})
    user = UserFactory()
    notice = board.notice_create(
        user=user,
        organization=org,
        category=Notice.Category.WORKS,
        title={"zh-hans": "解放路施工", "en": "Works on Jiefang Road"},
        body={"zh-hans": "3月1日至15日夜间施工。", "en": "Night works from 1 to 15 March."},
        urgent=True,
    )
    with django_capture_on_commit_callbacks(execute=True):
        notice, message = board.notice_publish(user=user, notice=notice)

    message.refresh_from_db()
    assert message.notice_id == notice.pk and message.dedupe_key == f"notice:{notice.pk}"
    assert set(message.rendered) == set(LANGUAGES)
    en, zh, ja = (message.rendered[code] for code in LANGUAGES)
    assert en["subject"] == "Urgent: Works on Jiefang Road"
    assert "Night works from 1 to 15 March." in en["text"] and "not available" not in en["text"]
    assert zh["subject"].endswith("解放路施工") and "3月1日至15日夜间施工。" in zh["html"]
    # Japanese was not written: the default language's text, with one line in Japanese saying so.
    assert "解放路施工" in ja["subject"]
    assert "3月1日至15日夜间施工。" in ja["text"]
    assert ja["text"].count("このお知らせは") == 1 and "中国語" in ja["text"]
    assert "このお知らせは" in ja["html"]
    for part in message.rendered.values():
        assert "[[unsubscribe_url]]" in part["text"] and "[[unsubscribe_url]]" in part["html"]
        assert "[[preferences_url]]" in part["html"]
        assert f"/notices/{notice.pk}/" in part["text"]
    assert notice.status == Notice.Status.PUBLISHED and notice.published_at is not None
    actions = list(AuditEntry.objects.order_by("id").values_list("action", flat=True))
    assert actions == ["notice.create", "notice.publish"]


def test_publishing_twice_posts_one_message():
    notice = notice_in(OrganizationFactory(), status=Notice.Status.DRAFT)
    user = UserFactory()
    _notice, first = board.notice_publish(user=user, notice=notice)
    _notice, second = board.notice_publish(user=user, notice=notice)
    assert first.pk == second.pk
    assert ListMessage.objects.count() == 1


def test_withdraw_and_its_transitions():
    user = UserFactory()
    notice = notice_in(OrganizationFactory(), status=Notice.Status.DRAFT)
    with pytest.raises(InvalidTransition):
        board.notice_withdraw(user=user, notice=notice)
    board.notice_publish(user=user, notice=notice)
    notice = board.notice_withdraw(user=user, notice=notice)
    assert notice.status == Notice.Status.WITHDRAWN
    with pytest.raises(InvalidTransition):
        board.notice_publish(user=user, notice=notice)
    with pytest.raises(InvalidTransition):
        board.notice_update(user=user, notice=notice, urgent=True)
    assert ListMessage.objects.count() == 1


def test_edit_checks_fields_and_records_what_changed():
    org = OrganizationFactory(default_language="en")
    other_venue = VenueFactory()
    user = UserFactory()
    notice = notice_in(org, status=Notice.Status.DRAFT)
    with pytest.raises(InvalidInput) as caught:
        board.notice_update(
            user=user,
            notice=notice,
            title={"ja": "タイトル"},
            venue=other_venue,
            valid_from=dt.date(2027, 3, 10),
            valid_until=dt.date(2027, 3, 1),
        )
    assert set(caught.value.fields) == {"title", "venue", "valid_until"}
    board.notice_update(user=user, notice=notice, urgent=True, area={"en": "Gulou district"})
    notice.refresh_from_db()
    assert notice.urgent and notice.area == {"en": "Gulou district"}
    entry = AuditEntry.objects.get(action="notice.update")
    assert entry.details == {"changed": ["area", "urgent"]}


def test_the_board_shows_published_notices_current_first_urgent_on_top():
    org = OrganizationFactory()
    today = timezone.localdate()
    expired = notice_in(org, valid_until=today - dt.timedelta(days=1))
    current = notice_in(org)
    urgent = notice_in(org, urgent=True)
    later = notice_in(org, valid_from=today + dt.timedelta(days=3))
    notice_in(org, status=Notice.Status.DRAFT)
    notice_in(org, status=Notice.Status.WITHDRAWN)
    assert list(board.notice_board(today=today)) == [urgent, current, later, expired]


# --- the weekly bulletin ---------------------------------------------------------------------------------


def bulletin_org(**kwargs):
    defaults = {
        "timezone": "Asia/Tokyo",
        "bulletin_weekday": 4,
        "bulletin_hour": 9,
        "name": {"en": "Expat Hub", "zh-hans": "外籍人士中心", "ja": "外国人センター"},
    }
    return OrganizationFactory(**{**defaults, **kwargs})


def test_the_bulletin_is_built_once_per_language_with_events_that_have_seats_and_the_weeks_notices():
    org = bulletin_org()
    now = dt.datetime(2027, 3, 5, 0, 0, tzinfo=dt.UTC)  # Friday 09:00 in Tokyo
    open_event = EventFactory(organization=org, with_session=False, capacity=10, title={"en": "Tea", "ja": "お茶"})
    SessionFactory(event=open_event, starts_at=now + dt.timedelta(days=3))
    full = EventFactory(organization=org, with_session=False, capacity=0, title={"en": "Full house"})
    SessionFactory(event=full, starts_at=now + dt.timedelta(days=2))
    far = EventFactory(organization=org, with_session=False, title={"en": "Far away"})
    SessionFactory(event=far, starts_at=now + dt.timedelta(days=20))
    notice = notice_in(org, title={"en": "Library closed", "zh-hans": "图书馆闭馆"}, body={"en": "x", "zh-hans": "x"})
    Notice.objects.filter(pk=notice.pk).update(published_at=now - dt.timedelta(days=2))
    old = notice_in(org, title={"en": "Old news"})
    Notice.objects.filter(pk=old.pk).update(published_at=now - dt.timedelta(days=9))

    bulletin = bulletins.bulletin_send(organization=org, week_start=dt.date(2027, 3, 1), now=now)

    assert bulletin is not None and bulletin.status == Bulletin.Status.SENDING
    assert set(bulletin.contents) == set(LANGUAGES)
    message = ListMessage.objects.get(bulletin=bulletin)
    assert message.dedupe_key == f"bulletin:{bulletin.pk}" and set(message.rendered) == set(LANGUAGES)
    for code, part in bulletin.contents.items():
        assert set(part) == {"subject", "text", "html", "page"}
        assert message.rendered[code] == {key: part[key] for key in ("subject", "text", "html")}
        assert "Full house" not in part["html"] and "Far away" not in part["html"] and "Old news" not in part["text"]
        assert "[[unsubscribe_url]]" in part["html"] and "[[unsubscribe_url]]" not in part["page"]
    assert "お茶" in bulletin.contents["ja"]["text"] and "Tea" in bulletin.contents["en"]["text"]
    assert "10 seats left" in bulletin.contents["en"]["text"]
    assert "图书馆闭馆" in bulletin.contents["zh-hans"]["page"]
    assert "外国人センター" in bulletin.contents["ja"]["subject"]


def test_the_beat_sends_on_the_organizations_own_clock_and_only_once_a_week(django_capture_on_commit_callbacks):
    tokyo = bulletin_org(timezone="Asia/Tokyo")  # Friday 09:00 JST = Friday 00:00 UTC
    new_york = bulletin_org(timezone="America/New_York", slug="ny")  # Friday 09:00 EST = Friday 14:00 UTC
    for org in (tokyo, new_york):
        event = EventFactory(organization=org, with_session=False)
        SessionFactory(event=event, starts_at=dt.datetime(2027, 3, 8, 10, tzinfo=dt.UTC))

    thursday_late = dt.datetime(2027, 3, 4, 23, 45, tzinfo=dt.UTC)  # Thursday 23:45 UTC = Friday 08:45 JST
    assert bulletins.bulletins_send_due(now=thursday_late) == []
    friday_utc_midnight = dt.datetime(2027, 3, 5, 0, 0, tzinfo=dt.UTC)
    sent = bulletins.bulletins_send_due(now=friday_utc_midnight)
    assert [b.organization for b in sent] == [tokyo]
    assert sent[0].week_start == dt.date(2027, 3, 1)
    # Every 15 minutes after that: nothing more for Tokyo; New York's turn at 14:00 UTC.
    assert bulletins.bulletins_send_due(now=friday_utc_midnight + dt.timedelta(minutes=15)) == []
    assert bulletins.bulletins_send_due(now=dt.datetime(2027, 3, 5, 13, 45, tzinfo=dt.UTC)) == []
    later = bulletins.bulletins_send_due(now=dt.datetime(2027, 3, 5, 14, 0, tzinfo=dt.UTC))
    assert [b.organization for b in later] == [new_york]
    assert bulletins.bulletins_send_due(now=dt.datetime(2027, 3, 6, 14, 0, tzinfo=dt.UTC)) == []
    assert Bulletin.objects.count() == 2 and ListMessage.objects.filter(bulletin__isnull=False).count() == 2


def test_a_second_build_of_the_same_week_is_refused_by_the_constraint():
    org = bulletin_org()
    now = dt.datetime(2027, 3, 5, 1, tzinfo=dt.UTC)
    notice_in(org, published_at=now - dt.timedelta(days=1))
    week = dt.date(2027, 3, 1)
    first = bulletins.bulletin_send(organization=org, week_start=week, now=now)
    assert first is not None
    assert bulletins.bulletin_send(organization=org, week_start=week, now=now) is None
    assert Bulletin.objects.count() == 1 and ListMessage.objects.count() == 1


def test_an_empty_week_sends_nothing_and_a_disabled_organization_never():
    quiet = bulletin_org()
    off = bulletin_org(slug="off", bulletin_enabled=False)
    notice_in(off)
    now = dt.datetime(2027, 3, 5, 1, tzinfo=dt.UTC)
    assert bulletins.bulletins_send_due(now=now) == []
    assert not Bulletin.objects.filter(organization__in=[quiet, off]).exists()


def test_the_next_issue_and_its_time():
    org = bulletin_org(timezone="Europe/Berlin", bulletin_weekday=0, bulletin_hour=8)
    now = dt.datetime(2027, 3, 3, 12, tzinfo=dt.UTC)  # Wednesday: this week's Monday issue is past, not sent
    week, when = bulletins.next_issue(organization=org, now=now)
    assert week == dt.date(2027, 3, 1) and when == dt.datetime(2027, 3, 1, 7, tzinfo=dt.UTC)
    Bulletin.objects.create(organization=org, week_start=week, contents={})
    week, when = bulletins.next_issue(organization=org, now=now)
    assert week == dt.date(2027, 3, 8) and when == dt.datetime(2027, 3, 8, 7, tzinfo=dt.UTC)  # 08:00 CET


def test_the_schedule_follows_daylight_saving_time():
    """09:00 on Fridays in New York is 14:00 UTC in winter and 13:00 UTC in summer."""
    org = bulletin_org(timezone="America/New_York")
    winter = bulletins.scheduled_at(organization=org, week_start=dt.date(2027, 3, 8))
    summer = bulletins.scheduled_at(organization=org, week_start=dt.date(2027, 3, 15))  # DST began on 14 March
    assert winter == dt.datetime(2027, 3, 12, 14, tzinfo=dt.UTC)
    assert summer == dt.datetime(2027, 3, 19, 13, tzinfo=dt.UTC)
    event = EventFactory(organization=org, with_session=False)
    SessionFactory(event=event, starts_at=dt.datetime(2027, 3, 22, 10, tzinfo=dt.UTC))
    assert bulletins.bulletins_send_due(now=dt.datetime(2027, 3, 19, 12, 45, tzinfo=dt.UTC)) == []
    assert len(bulletins.bulletins_send_due(now=dt.datetime(2027, 3, 19, 13, 0, tzinfo=dt.UTC))) == 1


def test_the_week_boundary_is_the_organizations_monday():
    """Sunday 23:30 UTC is already Monday in Tokyo: that moment belongs to Tokyo's next week."""
    org = bulletin_org(timezone="Asia/Tokyo")
    moment = dt.datetime(2027, 3, 7, 23, 30, tzinfo=dt.UTC)
    assert bulletins.week_start_of(organization=org, moment=moment) == dt.date(2027, 3, 8)
    utc = bulletin_org(timezone="UTC", slug="utc")
    assert bulletins.week_start_of(organization=utc, moment=moment) == dt.date(2027, 3, 1)


def test_the_bulletin_carries_the_weeks_answered_public_comments_and_nothing_personal():
    from tests.voices.helpers import make_comment
    from voices.models import Comment

    org = bulletin_org()
    now = dt.datetime(2027, 3, 5, 0, 0, tzinfo=dt.UTC)
    published = make_comment(
        org,
        text="公交站牌能加上英文吗？",
        language="zh-hans",
        email="resident@example.org",
        publish_consent=True,
        status=Comment.Status.ANSWERED,
        reply="可以，下个月开始更换。",
        reply_language="zh-hans",
        published=True,
        published_at=now - dt.timedelta(days=1),
    )
    make_comment(org, text="Not published, answered.", status=Comment.Status.ANSWERED, reply="Yes.")
    make_comment(
        org,
        text="Published last month.",
        publish_consent=True,
        status=Comment.Status.ANSWERED,
        reply="Done.",
        published=True,
        published_at=now - dt.timedelta(days=30),
    )

    bulletin = bulletins.bulletin_send(organization=org, week_start=dt.date(2027, 3, 1), now=now)

    for code, part in bulletin.contents.items():
        assert "公交站牌能加上英文吗？" in part["html"] and "下个月开始更换" in part["text"], code
        assert f"/voices/?lang={code}#voice-{published.pk}" in part["html"]
        assert "resident@example.org" not in part["html"] + part["text"] + part["page"]
        assert "Not published" not in part["text"] and "Published last month" not in part["text"]
