"""What a newcomer sees first: share tags, the error summary, the list's date groups, the time
zone by name, map links, the poster, the ticket card, icons (issue 16)."""

import datetime as dt
import re
from html.parser import HTMLParser

import pytest
from django.utils import timezone

from events.models import Event
from pages.presentation import date_groups, map_url, names_the_kind, text_language, timezone_label
from pages.views.posters import public_event_url
from registrations.models import Registration
from registrations.shortcodes import format_short_code
from registrations.tickets import qr_png
from tests.factories import CategoryFactory, EventFactory, SessionFactory
from tests.pages.conftest import field_block, form_data, html, manage_url, text
from tests.qr import decode_qr

pytestmark = pytest.mark.django_db


class MetaTags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: dict[str, str] = {}

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "meta" and "content" in attrs:
            self.tags[attrs.get("property") or attrs.get("name") or ""] = attrs["content"]


def meta_tags(page: str) -> dict[str, str]:
    parser = MetaTags()
    parser.feed(page)
    return parser.tags


def test_event_page_has_share_tags_and_a_description_in_its_language(client, event, settings):
    Event.objects.filter(pk=event.pk).update(
        summary={"en": "Taste three teas with neighbours.", "ja": "ご近所の方と3種類のお茶を味わいます。"},
        image="events/tea.jpg",
        image_width=1200,
        image_height=630,
    )

    en = meta_tags(html(client.get(f"/events/{event.slug}/")))
    ja = meta_tags(html(client.get(f"/events/{event.slug}/?lang=ja")))

    assert en["og:title"] == "Tea evening" and ja["og:title"] == "お茶の夕べ"
    assert en["description"] == en["og:description"] == "Taste three teas with neighbours."
    assert ja["og:description"] == ja["twitter:description"] == "ご近所の方と3種類のお茶を味わいます。"
    assert ja["og:locale"] == "ja_JP" and en["og:locale"] == "en_US"
    assert en["og:image"] == "http://testserver/media/events/tea.jpg"  # absolute, on the host that served it
    assert en["og:image:width"] == "1200" and en["twitter:card"] == "summary_large_image"
    assert en["og:url"] == "http://testserver/events/tea-evening/?lang=en"


def test_event_page_has_icons_and_the_favicon_exists(client, event):
    page = html(client.get(f"/events/{event.slug}/"))
    assert 'rel="icon" href="/static/huiguan/icons/favicon.svg"' in page
    assert 'rel="apple-touch-icon"' in page and 'rel="manifest"' in page
    response = client.get("/favicon.ico")
    assert response.status_code == 301 and response["Location"] == "/static/huiguan/icons/favicon.ico"


def test_a_form_error_lands_on_the_error_summary(client, event):
    response = client.post(f"/events/{event.slug}/register/", form_data(email="not-an-email", name=""))

    page = html(response)
    summary = re.search(r'<div class="error-summary" id="error-summary"[^>]*>(.*?)</div>', page, re.S)
    assert summary and "autofocus" in summary.group(0) and 'tabindex="-1"' in summary.group(0)
    assert 'href="#id_email"' in summary.group(1) and 'href="#id_name"' in summary.group(1)
    assert page.index('id="error-summary"') < page.index('name="name"')  # above the fields


def test_a_duplicate_email_marks_the_email_field(client, event, django_capture_on_commit_callbacks):
    client.post(f"/events/{event.slug}/register/", form_data())
    response = client.post(f"/events/{event.slug}/register/", form_data(name="Li Na again"))

    email = field_block(html(response), "email")
    assert "field--error" in email and 'aria-invalid="true"' in email
    assert "already registered" in email
    assert Registration.objects.count() == 1


def test_times_say_the_zone_by_name_in_the_readers_language(client, event):
    assert "Times are in China Time." in text(client.get(f"/events/{event.slug}/"))
    assert "时间为中国时间。" in text(client.get(f"/events/{event.slug}/?lang=zh-hans"))
    assert "時刻は中国時間です。" in text(client.get(f"/events/{event.slug}/?lang=ja"))
    assert timezone_label("Europe/Berlin", "en") == "Central European Time"
    assert timezone_label("Not/AZone", "en") == "Not/AZone"


def test_map_link_is_amap_for_chinese_readers_and_openstreetmap_otherwise(client, event):
    zh = html(client.get(f"/events/{event.slug}/?lang=zh-hans"))
    en = html(client.get(f"/events/{event.slug}/"))
    assert "https://uri.amap.com/marker?position=116.404000%2C39.915000" in zh and "coordinate=wgs84" in zh
    assert "openstreetmap.org" not in zh
    assert "https://www.openstreetmap.org/?mlat=39.915000&amp;mlon=116.404000" in en
    assert map_url(latitude=None, longitude=1, name="x", language="en") == ""


def test_fallback_text_is_marked_with_its_language(client):
    EventFactory(slug="english-only", title={"en": "Board games"}, summary={"en": "Bring a friend."})
    page = html(client.get("/events/english-only/?lang=ja"))
    assert '<h1 lang="en">Board games</h1>' in page
    assert '<p class="lead" lang="en">Bring a friend.</p>' in page
    listing = html(client.get("/?lang=ja"))
    assert 'lang="en">Board games</a>' in listing
    assert text_language({"en": "x", "ja": "y"}, "ja") == ""


def test_a_course_in_the_courses_category_is_tagged_once(client):
    courses = CategoryFactory(slug="course", name={"en": "Courses", "zh-hans": "课程", "ja": "講座"})
    EventFactory(kind=Event.Kind.COURSE, category=courses, title={"en": "Calligraphy"})
    for language, tag in (("en", "Course"), ("zh-hans", "课程"), ("ja", "講座")):
        page = html(client.get(f"/?lang={language}"))
        assert page.count('class="tag') == 1 and f'<span class="tag">{tag}</span>' in page
    assert names_the_kind("Courses", "Course") and not names_the_kind("Culture", "Course")


def test_the_list_groups_dates_this_week_then_by_month(client):
    now = timezone.now()
    soon = EventFactory(title={"en": "Soon"}, with_session=False)
    SessionFactory(event=soon, starts_at=now + dt.timedelta(hours=2))
    later = EventFactory(title={"en": "Later"}, with_session=False)
    SessionFactory(event=later, starts_at=now + dt.timedelta(days=40))

    page = html(client.get("/"))
    headings = re.findall(r'<h2 class="group-heading">(.*?)</h2>', page)
    assert headings[0] == "This week" and len(headings) == 2
    assert page.index("This week") < page.index("Soon") < page.index(headings[1]) < page.index("Later")
    month = (now + dt.timedelta(days=40)).astimezone(timezone.get_default_timezone())
    assert month.strftime("%B") in headings[1]
    zh = re.findall(r'<h2 class="group-heading">(.*?)</h2>', html(client.get("/?lang=zh-hans")))
    assert zh[0] == "本周" and "月" in zh[1]


def test_date_groups_keep_order_and_put_undated_cards_last():
    class Card:
        def __init__(self, starts_at):
            self.starts_at, self.timezone = starts_at, "Asia/Shanghai"

    now = dt.datetime(2026, 12, 2, 8, tzinfo=dt.UTC)  # a Wednesday
    cards = [Card(now + dt.timedelta(days=1)), Card(now + dt.timedelta(days=10)), Card(None)]
    groups = date_groups(cards, now=now)
    assert [label for label, _cards in groups] == ["This week", "December"]
    assert len(groups[1][1]) == 2


def test_the_poster_is_a4_with_a_qr_to_the_public_page(client, event, settings):
    settings.SITE_URL = "https://huiguan.example.org"
    response = client.get(f"/events/{event.slug}/poster/?lang=zh-hans")

    page = html(response)
    assert response.status_code == 200 and "/static/huiguan/poster.css" in page
    assert "<h1" in page and "茶艺之夜" in page and 'lang="en">Tea evening</span>' in page  # other titles
    assert "https://huiguan.example.org/events/tea-evening/" in page
    qr = client.get(f"/events/{event.slug}/qr.svg")
    assert qr.status_code == 200 and qr["Content-Type"] == "image/svg+xml" and b"<svg" in qr.content
    assert client.get("/events/no-such-event/poster/").status_code == 404


def test_the_poster_qr_decodes_to_the_event_page(client, event, settings):

    settings.SITE_URL = "https://huiguan.example.org"
    assert decode_qr(qr_png(code=public_event_url(event.slug))) == ["https://huiguan.example.org/events/tea-evening/"]


def test_the_ticket_card_shows_event_date_venue_seat_and_short_code(client, registered):
    page = html(client.get(manage_url(registered)))

    cards = re.findall(r'<li class="ticket-card">(.*?)</li>\s*(?=<li class="ticket-card">|</ul>)', page, re.S)
    assert len(cards) == 2
    first = text(cards[0])
    assert "Tea evening" in first and "Li Na" in first and "1 of 2" in first
    assert registered.event.venue.name["en"] in first and "China Time" in first
    for ticket, card in zip(registered.tickets.order_by("position"), cards, strict=True):
        assert format_short_code(ticket.short_code) in card
    assert "data-print" in page  # the print button (shown by site.js)
