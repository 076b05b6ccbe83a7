"""Every message kind in every language, produced by the real use cases and read back like a mail client.

Subjects are decoded from the RFC 2047 header, invites parsed with icalendar and vobject, QR
tickets decoded with zxing-cpp.
"""

import datetime as dt
import uuid
import zoneinfo
from decimal import Decimal

import pytest
from django.utils import timezone

from events.models import Event
from notifications import notices, services
from notifications.models import Notification
from organizer import services as organizer_services
from registrations import services as registration_services
from registrations.calendars import session_uid
from registrations.models import Registration
from registrations.tickets import ticket_code
from tests.factories import (
    EventFactory,
    MembershipFactory,
    OrganizationFactory,
    RegistrationFactory,
    SessionFactory,
    UserFactory,
    VenueFactory,
)
from tests.notifications.conftest import LANGUAGES, inbox, parse_ics
from tests.qr import decode_qr

pytestmark = pytest.mark.django_db

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
# A Tuesday, 19:00–21:00 in Shanghai.
START = dt.datetime(2030, 3, 5, 19, 0, tzinfo=SHANGHAI)
WHEN = {
    "en": "Tuesday 5 March 2030, 19:00–21:00 (Asia/Shanghai)",
    "zh-hans": "2030年3月5日 星期二 19:00–21:00（Asia/Shanghai）",
    "ja": "2030年3月5日(火) 19:00〜21:00（Asia/Shanghai）",
}
TITLE = {"en": "Dumpling night", "zh-hans": "包饺子之夜", "ja": "餃子の夜"}


@pytest.fixture(autouse=True)
def site(settings):
    settings.SITE_URL = "https://huiguan.example"
    settings.DEFAULT_FROM_EMAIL = "Huiguan <noreply@huiguan.example>"


@pytest.fixture
def manager(db):
    return UserFactory()


@pytest.fixture
def event(manager):
    organization = OrganizationFactory(
        name={"en": "Riverside Centre", "zh-hans": "河畔中心", "ja": "リバーサイドセンター"}, default_language="zh-hans"
    )
    MembershipFactory(user=manager, organization=organization)
    event = EventFactory(
        organization=organization,
        title=TITLE,
        summary={"en": "Bring an apron.", "zh-hans": "请带围裙。", "ja": "エプロンをご持参ください。"},
        capacity=2,
        max_guests=1,
        with_session=False,
    )
    SessionFactory(event=event, starts_at=START, ends_at=START + dt.timedelta(hours=2))
    return event


def register(event, email, language, **kwargs):
    return registration_services.registration_create(
        event_id=event.pk,
        name=kwargs.pop("name", "Lin"),
        email=email,
        language=language,
        consents={"privacy": True},
        **kwargs,
    )


def only_mail(address):
    messages = inbox(address)
    assert len(messages) == 1, [m.subject for m in inbox()]
    return messages[0]


def assert_encoded_subject(mail, *fragments):
    """The subject header is RFC 2047 encoded on the wire and decodes to the expected text."""
    for fragment in fragments:
        assert fragment in mail.subject, mail.subject
    if not mail.subject.isascii():
        assert "=?utf-8?" in mail.raw_subject.lower()
    assert mail.message["Content-Language"] in LANGUAGES


# --- confirmation ---------------------------------------------------------------------------------


CONFIRMED_SUBJECT = {"en": "You're registered", "zh-hans": "报名成功", "ja": "お申し込み完了"}


@pytest.mark.parametrize("language", LANGUAGES)
def test_confirmation_has_qr_per_ticket_invite_and_manage_link(event, language, send_on_commit):
    with send_on_commit():
        registration = register(event, "lin@example.org", language, guests=["Mei"])
    mail = only_mail("lin@example.org")
    assert_encoded_subject(mail, CONFIRMED_SUBJECT[language], TITLE[language])
    assert mail.message["Content-Language"] == language
    assert mail.message["Reply-To"] == "hello@example.org"
    assert WHEN[language] in mail.text and WHEN[language] in mail.html
    assert registration.manage_token in mail.text and registration.manage_token in mail.html
    assert "openstreetmap.org" in mail.text

    tickets = list(registration.tickets.all())
    codes = {ticket_code(ticket_id=ticket.pk) for ticket in tickets}
    attached = mail.attachments("image/png")
    assert len(attached) == 2
    assert {decode_qr(part.get_content())[0] for part in attached} == codes
    inline = mail.inline_images()
    assert len(inline) == 2 and {decode_qr(part.get_content())[0] for part in inline} == codes
    for part in inline:  # each inline image is referenced from the HTML by its Content-ID
        assert f"cid:{part['Content-ID'].strip('<>')}" in mail.html

    invite = mail.calendar()
    assert invite.get_param("method") == "REQUEST" and invite.get_content_disposition() == "attachment"
    ical, vcal = parse_ics(invite.get_content().encode("utf-8"))
    assert str(ical["METHOD"]) == "REQUEST" and vcal.method.value == "REQUEST"
    session = event.sessions.get()
    assert vcal.vevent.uid.value == session_uid(session)
    assert vcal.vevent.dtstart.value == START
    assert vcal.vevent.attendee.value == "mailto:lin@example.org"
    assert TITLE[language] in vcal.vevent.summary.value


def test_pay_at_door_confirmation_says_what_to_bring(event, send_on_commit):
    Event.objects.filter(pk=event.pk).update(price=Decimal("30"), allow_pay_at_door=True)
    with send_on_commit():
        register(event, "door@example.org", "en", pay_at_door=True)
    mail = only_mail("door@example.org")
    assert "Please bring 30.00 CNY to pay at the door." in mail.text


# --- payment due, waiting list, promotion, expiry -----------------------------------------------------


@pytest.fixture
def paid_event(event, settings):
    settings.STRIPE_SECRET_KEY = "sk_test_notifications"
    Event.objects.filter(pk=event.pk).update(price=Decimal("50"), currency="CNY", payment_hold_minutes=30)
    event.refresh_from_db()
    return event


PAYMENT_SUBJECT = {"en": "Complete your payment", "zh-hans": "请完成付款", "ja": "お支払いのお願い"}


@pytest.mark.parametrize("language", LANGUAGES)
def test_payment_due_links_to_checkout(paid_event, language, send_on_commit):
    with send_on_commit():
        registration = register(paid_event, "pay@example.org", language)
    mail = only_mail("pay@example.org")
    assert_encoded_subject(mail, PAYMENT_SUBJECT[language])
    assert f"/api/v1/registrations/{registration.pk}/pay/?token={registration.manage_token}" in mail.text
    assert "50.00 CNY" in mail.text
    assert not mail.attachments("image/png") and mail.calendar() is None  # no ticket before payment


WAITLIST_SUBJECT = {"en": "waiting list", "zh-hans": "候补名单", "ja": "キャンセル待ち"}
WAITLIST_POSITION = {"en": "(number 1)", "zh-hans": "（第 1 位）", "ja": "（1番目）"}


@pytest.mark.parametrize("language", LANGUAGES)
def test_waitlisted_says_the_position(event, language, send_on_commit):
    register(event, "a@example.org", "en", guests=["A2"])  # fills both seats
    with send_on_commit():
        register(event, "wait@example.org", language)
    mail = only_mail("wait@example.org")
    assert_encoded_subject(mail, WAITLIST_SUBJECT[language], TITLE[language])
    assert WAITLIST_POSITION[language] in mail.text
    assert not mail.attachments("image/png")


PROMOTED_SUBJECT = {"en": "A seat opened up", "zh-hans": "有空位了", "ja": "空きが出ました"}


@pytest.mark.parametrize("language", LANGUAGES)
def test_promoted_gets_ticket_and_invite(event, language, send_on_commit):
    first = register(event, "a@example.org", "en", guests=["A2"])
    waiting = register(event, "lucky@example.org", language)
    with send_on_commit():
        registration_services.registration_cancel(registration_id=first.pk)
    mail = only_mail("lucky@example.org")
    assert_encoded_subject(mail, PROMOTED_SUBJECT[language])
    ticket = waiting.tickets.all()[0]
    assert decode_qr(mail.attachments("image/png")[0].get_content()) == [ticket_code(ticket_id=ticket.pk)]
    assert mail.calendar().get_param("method") == "REQUEST"
    # The cancelled registrant is told too, with the invite withdrawn.
    cancelled = only_mail("a@example.org")
    assert cancelled.calendar().get_param("method") == "CANCEL"


def test_promoted_on_a_paid_event_gets_the_payment_link(paid_event, send_on_commit):
    first = register(paid_event, "a@example.org", "en", guests=["A2"])
    waiting = register(paid_event, "lucky@example.org", "en")
    with send_on_commit():
        registration_services.registration_cancel(registration_id=first.pk)
    mail = only_mail("lucky@example.org")
    assert "please pay" in mail.subject
    assert f"/pay/?token={waiting.manage_token}" in mail.text
    assert not mail.attachments("image/png")


EXPIRED_SUBJECT = {"en": "Your seat was released", "zh-hans": "名额已释放", "ja": "確保期限が切れました"}


@pytest.mark.parametrize("language", LANGUAGES)
def test_hold_expired_tells_what_to_do(paid_event, language, send_on_commit):
    registration = register(paid_event, "late@example.org", language)
    with send_on_commit():
        expired = registration_services.registration_expire_hold(
            registration_id=registration.pk, now=registration.hold_expires_at + dt.timedelta(minutes=1)
        )
    assert expired
    mail = only_mail("late@example.org")
    assert_encoded_subject(mail, EXPIRED_SUBJECT[language])
    assert f"https://huiguan.example/events/{paid_event.slug}/" in mail.text


# --- reminders --------------------------------------------------------------------------------------


REMINDER_SUBJECT = {"en": "Reminder", "zh-hans": "提醒", "ja": "リマインダー"}
BRING = {"en": "What to bring", "zh-hans": "请携带", "ja": "持ち物"}


@pytest.mark.parametrize("language", LANGUAGES)
def test_reminder_has_local_time_place_map_and_what_to_bring(event, language, send_on_commit):
    RegistrationFactory(
        event=event, email="soon@example.org", language=language, confirmed_at=START - dt.timedelta(days=3)
    )
    with send_on_commit():
        assert services.reminders_enqueue(now=START - dt.timedelta(hours=20)) == 1
    mail = only_mail("soon@example.org")
    assert_encoded_subject(mail, REMINDER_SUBJECT[language], WHEN[language])
    assert WHEN[language] in mail.text
    venue = event.venue
    assert venue.map_url in mail.text and venue.map_url.replace("&", "&amp;") in mail.html
    assert venue.name[language] in mail.text
    assert BRING[language] in mail.text
    assert event.summary[language] in mail.text


def test_reminders_are_recorded_once_and_only_when_due(event, send_on_commit):
    early = RegistrationFactory(event=event, email="early@example.org", confirmed_at=START - dt.timedelta(days=3))
    # Confirmed after the reminder time: the confirmation just told them everything.
    RegistrationFactory(event=event, email="late@example.org", confirmed_at=START - dt.timedelta(hours=2))
    RegistrationFactory(event=event, email="gone@example.org", status=Registration.Status.CANCELLED)
    assert services.reminders_enqueue(now=START - dt.timedelta(hours=30)) == 0  # not due yet
    with send_on_commit():
        assert services.reminders_enqueue(now=START - dt.timedelta(hours=1)) == 1
        assert services.reminders_enqueue(now=START - dt.timedelta(minutes=30)) == 0
    assert [m.message["To"] for m in inbox()] == ["early@example.org"]
    row = Notification.objects.get(kind="reminder")
    assert row.registration_id == early.pk and row.dedupe_key == f"reminder:reg-{early.pk}:session-{row.session_id}"
    assert services.reminders_enqueue(now=START + dt.timedelta(minutes=1)) == 0  # started: too late


def test_reminder_hours_is_per_event(event, send_on_commit):
    Event.objects.filter(pk=event.pk).update(reminder_hours=2)
    RegistrationFactory(event=event, email="x@example.org", confirmed_at=START - dt.timedelta(days=3))
    assert services.reminders_enqueue(now=START - dt.timedelta(hours=3)) == 0
    assert services.reminders_enqueue(now=START - dt.timedelta(hours=2)) == 1
    Event.objects.filter(pk=event.pk).update(reminder_hours=0)
    RegistrationFactory(event=event, email="y@example.org", confirmed_at=START - dt.timedelta(days=3))
    assert services.reminders_enqueue(now=START - dt.timedelta(hours=1)) == 0


# --- changes and cancellations -------------------------------------------------------------------------


CHANGED_SUBJECT = {"en": "New time and place", "zh-hans": "时间和地点变更", "ja": "日時・場所変更"}


@pytest.mark.parametrize("language", LANGUAGES)
def test_moved_session_tells_confirmed_and_waitlisted_old_and_new(event, manager, language, send_on_commit):
    confirmed = register(event, "in@example.org", language, guests=["Guest"])
    register(event, "wait@example.org", language)
    session = event.sessions.get()
    hall = VenueFactory(
        organization=event.organization, name={"en": "Great Hall", "zh-hans": "大礼堂", "ja": "大ホール"}
    )
    later = START + dt.timedelta(days=1, hours=1)
    with send_on_commit():
        organizer_services.session_update(
            user=manager, session=session, starts_at=later, ends_at=later + dt.timedelta(hours=2), venue=hall
        )
    mail = only_mail("in@example.org")
    assert_encoded_subject(mail, CHANGED_SUBJECT[language], TITLE[language])
    assert WHEN[language] in mail.text  # old time
    assert hall.name[language] in mail.text and event.venue.name[language] in mail.text  # old → new place
    assert mail.text.index(event.venue.name[language]) < mail.text.index(hall.name[language])
    ical, vcal = parse_ics(mail.calendar().get_content().encode())
    assert mail.calendar().get_param("method") == "REQUEST"
    assert vcal.vevent.uid.value == session_uid(session)
    assert int(vcal.vevent.sequence.value) == 1  # was 0 in the confirmation
    assert vcal.vevent.dtstart.value == later
    waiting = only_mail("wait@example.org")
    assert waiting.calendar() is None  # never had the invite
    assert Notification.objects.filter(kind="changed").count() == 2
    assert confirmed.status == "confirmed"


def test_a_second_move_before_sending_supersedes_the_first(event, manager, send_on_commit):
    register(event, "in@example.org", "en")
    session = event.sessions.get()
    first = START + dt.timedelta(hours=1)
    second = START + dt.timedelta(hours=2)
    organizer_services.session_update(
        user=manager, session=session, starts_at=first, ends_at=first + dt.timedelta(hours=2)
    )
    with send_on_commit():
        organizer_services.session_update(
            user=manager, session=session, starts_at=second, ends_at=second + dt.timedelta(hours=2)
        )
    rows = {row.status: row for row in Notification.objects.filter(kind="changed")}
    assert set(rows) == {"skipped", "sent"}
    mail = only_mail("in@example.org")
    assert "19:00–21:00" in mail.text and "21:00–23:00" in mail.text  # original → newest
    assert "20:00" not in mail.text
    # Moved away and back again before anyone was told: nothing to tell.
    organizer_services.session_update(
        user=manager, session=session, starts_at=START, ends_at=START + dt.timedelta(hours=2)
    )
    assert Notification.objects.filter(kind="changed", status="pending").count() == 1
    organizer_services.session_update(
        user=manager, session=session, starts_at=second, ends_at=second + dt.timedelta(hours=2)
    )
    assert Notification.objects.filter(kind="changed", status="pending").count() == 0
    assert Notification.objects.filter(kind="changed", status="skipped").count() == 2


PLACE_SUBJECT = {"en": "New place", "zh-hans": "地点变更", "ja": "場所変更のお知らせ"}


@pytest.mark.parametrize("language", LANGUAGES)
def test_an_event_moved_to_another_venue_tells_each_registrant_once(event, manager, language, send_on_commit):
    SessionFactory(event=event, starts_at=START + dt.timedelta(days=7), ends_at=START + dt.timedelta(days=7, hours=2))
    register(event, "in@example.org", language)
    old_hall = event.venue
    hall = VenueFactory(
        organization=event.organization, name={"en": "Great Hall", "zh-hans": "大礼堂", "ja": "大ホール"}
    )
    with send_on_commit():
        organizer_services.event_update(user=manager, event=event, venue=hall)
    mail = only_mail("in@example.org")  # one notice for both sessions
    assert_encoded_subject(mail, PLACE_SUBJECT[language], TITLE[language])
    assert mail.text.index(old_hall.name[language]) < mail.text.index(hall.name[language])  # old → new
    ical, vcal = parse_ics(mail.calendar().get_content().encode())
    assert {int(vevent.sequence.value) for vevent in vcal.vevent_list} == {1}
    assert all(hall.name[language] in vevent.location.value for vevent in vcal.vevent_list)


def test_an_event_moved_away_and_back_before_sending_tells_nobody(event, manager):
    register(event, "in@example.org", "en")
    old_hall = event.venue
    hall = VenueFactory(organization=event.organization)
    organizer_services.event_update(user=manager, event=event, venue=hall)
    assert Notification.objects.filter(kind="changed", status="pending").count() == 1
    organizer_services.event_update(user=manager, event=event, venue=old_hall)
    assert Notification.objects.filter(kind="changed", status="pending").count() == 0
    assert Notification.objects.filter(kind="changed", status="skipped").count() == 1
    # Editing other fields of the event tells nobody.
    organizer_services.event_update(user=manager, event=event, capacity=5)
    assert Notification.objects.filter(kind="changed").count() == 1


SCHEDULE_SUBJECT = {"en": "New schedule", "zh-hans": "日程更新", "ja": "日程変更のお知らせ"}


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_rescheduled_course_sends_one_notice_with_the_new_dates(event, manager, language, send_on_commit):
    register(event, "student@example.org", language)
    old = event.sessions.get()
    with send_on_commit():
        created = organizer_services.sessions_generate(
            user=manager,
            event=event,
            rule="FREQ=WEEKLY;COUNT=3",
            first_start=dt.datetime(2030, 3, 7, 18, 30),  # Thursdays 18:30 in Shanghai
            duration=dt.timedelta(hours=2),
            replace_future=True,
        )
    mail = only_mail("student@example.org")  # one notice, not one per session
    assert_encoded_subject(mail, SCHEDULE_SUBJECT[language], TITLE[language])
    assert mail.text.count("18:30") == 3 and WHEN[language] not in mail.text
    ical, vcal = parse_ics(mail.calendar().get_content().encode())
    status = {event.uid.value: event.status.value for event in vcal.vevent_list}
    assert status[session_uid(old)] == "CANCELLED"  # the calendar drops the old date
    assert all(status[session_uid(session)] == "CONFIRMED" for session in created)


CANCELLED_SUBJECT = {"en": "Cancelled", "zh-hans": "活动取消", "ja": "開催中止"}
REFUND = {"en": "50.00 CNY back in full", "zh-hans": "全额退还您支付的 50.00 CNY", "ja": "50.00 CNY は"}


@pytest.mark.parametrize("language", LANGUAGES)
def test_cancelled_event_withdraws_the_invite_with_a_refund_note(paid_event, manager, language, send_on_commit):
    registration = RegistrationFactory(
        event=paid_event, email="paid@example.org", language=language, paid_at=timezone.now(), amount_due=50
    )
    from registrations.models import Payment

    Payment.objects.create(
        registration=registration, provider="stripe", status="paid", amount=50, currency="CNY", paid_at=timezone.now()
    )
    with send_on_commit():
        organizer_services.event_cancel(user=manager, event=paid_event)
    mail = only_mail("paid@example.org")
    assert_encoded_subject(mail, CANCELLED_SUBJECT[language], TITLE[language])
    assert REFUND[language] in mail.text
    invite = mail.calendar()
    assert invite.get_param("method") == "CANCEL"
    ical, vcal = parse_ics(invite.get_content().encode())
    assert vcal.method.value == "CANCEL" and vcal.vevent.status.value == "CANCELLED"


def test_cancelled_session_of_a_course_cancels_only_that_session(event, manager, send_on_commit):
    second = SessionFactory(
        event=event, starts_at=START + dt.timedelta(days=7), ends_at=START + dt.timedelta(days=7, hours=2)
    )
    register(event, "student@example.org", "ja")
    with send_on_commit():
        organizer_services.session_cancel(user=manager, session=second)
    mail = only_mail("student@example.org")
    assert "中止のお知らせ" in mail.subject and "2030年3月12日(火)" in mail.subject
    ical, vcal = parse_ics(mail.calendar().get_content().encode())
    assert mail.calendar().get_param("method") == "CANCEL"
    assert [event.uid.value for event in vcal.vevent_list] == [session_uid(second)]
    assert int(vcal.vevent.sequence.value) == 2  # the session's bumped sequence, +1 for CANCEL


def test_registrant_cancelling_gets_a_confirmation_of_it(event, send_on_commit):
    registration = register(event, "bye@example.org", "zh-hans")
    with send_on_commit():
        registration_services.registration_cancel(registration_id=registration.pk)
    mail = only_mail("bye@example.org")
    assert "报名已取消" in mail.subject
    assert mail.calendar().get_param("method") == "CANCEL"


# --- feedback, announcements, manage link ----------------------------------------------------------------


FEEDBACK_SUBJECT = {"en": "How was", "zh-hans": "怎么样", "ja": "いかがでしたか"}


@pytest.mark.parametrize("language", LANGUAGES)
def test_feedback_request_goes_to_checked_in_attendees_after_the_event(event, language, send_on_commit):
    from checkin.models import CheckIn

    came = RegistrationFactory(event=event, email="came@example.org", language=language)
    RegistrationFactory(event=event, email="noshow@example.org", language=language)
    session = event.sessions.get()
    CheckIn.objects.create(
        ticket=came.tickets.get(),
        registration=came,
        session=session,
        direction="in",
        scanned_at=START,
        nonce=uuid.uuid4(),
    )
    ended = session.ends_at
    assert services.feedback_requests_enqueue(now=ended + dt.timedelta(minutes=30)) == 0  # too soon
    with send_on_commit():
        assert services.feedback_requests_enqueue(now=ended + dt.timedelta(hours=3)) == 1
        assert services.feedback_requests_enqueue(now=ended + dt.timedelta(hours=4)) == 0
    mail = only_mail("came@example.org")
    assert_encoded_subject(mail, FEEDBACK_SUBJECT[language], TITLE[language])
    assert f"/feedback/{came.pk}/?token={came.manage_token}" in mail.text
    assert f"/feedback/{came.pk}/?token={came.manage_token}&amp;rating=5" in mail.html
    assert not inbox("noshow@example.org")
    assert services.feedback_requests_enqueue(now=ended + dt.timedelta(days=4)) == 0  # too old to ask


def test_a_reverted_check_in_is_not_attendance(event):
    from checkin.models import CheckIn

    registration = RegistrationFactory(event=event)
    session = event.sessions.get()
    CheckIn.objects.create(
        ticket=registration.tickets.get(),
        registration=registration,
        session=session,
        direction="in",
        scanned_at=START,
        nonce=uuid.uuid4(),
        reverted_at=START,
    )
    assert services.feedback_requests_enqueue(now=session.ends_at + dt.timedelta(hours=3)) == 0


@pytest.mark.parametrize("language", LANGUAGES)
def test_announcement_in_the_readers_language_when_written_in_it(event, manager, language, send_on_commit):
    RegistrationFactory(event=event, email="reader@example.org", language=language)
    subject = {"en": "Bring chopsticks", "zh-hans": "请带筷子", "ja": "お箸をご持参ください"}
    body = {"en": "We ran out.\nSorry!", "zh-hans": "筷子用完了。\n抱歉！", "ja": "お箸が足りません。\nすみません！"}
    with send_on_commit():
        notices.announcement_create(user=manager, event_slugs=[event.slug], subject=subject, body=body)
    mail = only_mail("reader@example.org")
    assert mail.subject == subject[language]
    assert body[language] in mail.text
    others = [code for code in LANGUAGES if code != language]
    assert all(body[code] not in mail.text for code in others)
    assert body[language].replace("\n", "<br>") in mail.html


@pytest.mark.parametrize("language", ["en", "ja"])
def test_announcement_not_written_in_the_readers_language_is_bilingual(event, manager, language, send_on_commit):
    """The organization writes in Chinese; the Japanese reader gets Chinese + English."""
    RegistrationFactory(event=event, email="reader@example.org", language=language)
    subject = {"zh-hans": "请带筷子", "en": "Bring chopsticks"} if language == "ja" else {"zh-hans": "请带筷子"}
    body = {"zh-hans": "筷子用完了。", "en": "We ran out."} if language == "ja" else {"zh-hans": "筷子用完了。"}
    with send_on_commit():
        notices.announcement_create(user=manager, event_slugs=[event.slug], subject=subject, body=body)
    mail = only_mail("reader@example.org")
    if language == "ja":
        assert mail.subject == "请带筷子 / Bring chopsticks"
        assert "筷子用完了。" in mail.text and "We ran out." in mail.text
        assert "日本語版がない" in mail.text  # says why it is not in Japanese
    else:
        assert mail.subject == "请带筷子"
        assert "not written in English" in mail.text


def test_announcement_once_per_address_across_events(event, manager, send_on_commit):
    other = EventFactory(organization=event.organization)
    RegistrationFactory(event=event, email="both@example.org")
    RegistrationFactory(event=other, email="both@example.org")
    RegistrationFactory(event=other, email="gone@example.org", status=Registration.Status.CANCELLED)
    with send_on_commit():
        announcement = notices.announcement_create(
            user=manager, event_slugs=[event.slug, other.slug], subject={"en": "Hi"}, body={"en": "Hello"}
        )
    assert announcement.recipient_count == 1
    assert len(inbox()) == 1


MANAGE_SUBJECT = {"en": "Your registration for", "zh-hans": "您的报名", "ja": "お申し込み内容"}


@pytest.mark.parametrize("language", LANGUAGES)
def test_manage_link_on_a_second_registration_attempt(event, language, send_on_commit):
    from common.exceptions import AlreadyRegistered

    first = register(event, "twice@example.org", language)
    with send_on_commit(), pytest.raises(AlreadyRegistered):
        register(event, "twice@example.org", "en")
    mail = only_mail("twice@example.org")
    assert_encoded_subject(mail, MANAGE_SUBJECT[language], TITLE[language])
    assert first.manage_token in mail.text
    # Hammering the button does not flood the inbox: one manage-link email per 10 minutes.
    with send_on_commit(), pytest.raises(AlreadyRegistered):
        register(event, "twice@example.org", "en")
    assert len(inbox("twice@example.org")) == 1


def test_plain_text_has_no_html_and_no_runs_of_blank_lines(event, send_on_commit):
    with send_on_commit():
        register(event, "lin@example.org", "en")
    text = only_mail("lin@example.org").text
    assert "<" not in text and "&amp;" not in text and "\n\n\n" not in text
