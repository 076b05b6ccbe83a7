import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from events.models import Event
from tests.factories import CategoryFactory, EventFactory, RegistrationFactory, SessionFactory
from tests.pages.conftest import field_errors, html, text

pytestmark = pytest.mark.django_db

UTC = dt.UTC


def at(*args):
    return dt.datetime(*args, tzinfo=UTC)


def test_lists_upcoming_published_events_only(client):
    EventFactory(title={"en": "Upcoming tea"})
    EventFactory(title={"en": "Draft tea"}, status=Event.Status.DRAFT)
    EventFactory(title={"en": "Cancelled tea"}, status=Event.Status.CANCELLED)
    past = EventFactory(title={"en": "Past tea"}, with_session=False)
    SessionFactory(event=past, starts_at=timezone.now() - dt.timedelta(days=3))

    response = client.get("/")

    assert response.status_code == 200
    page = html(response)
    assert "Upcoming tea" in page
    assert "Draft tea" not in page and "Cancelled tea" not in page and "Past tea" not in page
    assert '<html lang="en"' in page


def test_card_shows_title_in_reader_language_with_fallback(client):
    EventFactory(title={"en": "Tea", "zh-hans": "茶会"})
    EventFactory(title={"ja": "書道"}, default_language="ja")

    page = html(client.get("/?lang=zh-hans"))

    assert "茶会" in page and "Tea" not in page
    assert "書道" in page  # no Chinese title: the event's default language


def test_card_time_in_event_timezone_and_reader_locale(client):
    event = EventFactory(timezone="Asia/Tokyo", with_session=False)
    SessionFactory(event=event, starts_at=at(2031, 3, 4, 11, 0), ends_at=at(2031, 3, 4, 12, 30))  # 20:00 in Tokyo

    english = client.get("/")
    chinese = text(client.get("/?lang=zh-hans"))
    japanese = text(client.get("/?lang=ja"))

    assert "March 4, 2031 (Tue) 8 p.m.–9:30 p.m." in text(english)
    assert 'datetime="2031-03-04T20:00:00+09:00"' in html(english)
    assert "2031年3月4日 (星期二) 20:00–21:30" in chinese
    assert "2031年3月4日 (火) 20:00–21:30" in japanese


def test_card_shows_venue_price_seats_and_waiting_list(client):
    EventFactory(title={"en": "Free one"}, capacity=5)
    EventFactory(title={"en": "Paid one"}, price=Decimal("80.00"), currency="CNY")
    full = EventFactory(title={"en": "Full one"}, capacity=1)
    RegistrationFactory(event=full)

    page = html(client.get("/"))

    assert "Free" in page and "5 seats left" in page
    assert "80 CNY" in page
    assert "Waiting list" in page
    assert "Room " in page  # the venue's name


@pytest.fixture
def catalogue(db):
    language = CategoryFactory(slug="language", name={"en": "Language", "zh-hans": "语言"})
    culture = CategoryFactory(slug="culture", name={"en": "Culture"})
    soon = timezone.now() + dt.timedelta(days=2)
    later = timezone.now() + dt.timedelta(days=20)
    course = EventFactory(
        title={"en": "Japanese course"},
        kind=Event.Kind.COURSE,
        category=language,
        spoken_languages=["ja", "en"],
        with_session=False,
    )
    SessionFactory(event=course, starts_at=soon)
    tea = EventFactory(
        title={"en": "Tea tasting"},
        category=culture,
        price=Decimal("50"),
        spoken_languages=["zh-hans"],
        with_session=False,
    )
    SessionFactory(event=tea, starts_at=later)
    return {"course": course, "tea": tea, "soon": soon, "later": later}


@pytest.mark.parametrize(
    ("query", "shown", "hidden"),
    [
        ("kind=course", "Japanese course", "Tea tasting"),
        ("category=culture", "Tea tasting", "Japanese course"),
        ("language=ja", "Japanese course", "Tea tasting"),
        ("free=true", "Japanese course", "Tea tasting"),
        ("free=false", "Tea tasting", "Japanese course"),
        ("q=TASTING", "Tea tasting", "Japanese course"),
    ],
)
def test_filters(client, catalogue, query, shown, hidden):
    response = client.get(f"/?{query}")

    page = html(response)
    assert response.status_code == 200
    assert shown in page and hidden not in page
    assert "1 event found" in page


def test_date_filters_are_whole_days_inclusive(client, catalogue):
    tz = timezone.get_current_timezone()
    later_day = catalogue["later"].astimezone(tz).date().isoformat()
    soon_day = catalogue["soon"].astimezone(tz).date().isoformat()

    only_later = html(client.get(f"/?date_from={later_day}&date_to={later_day}"))
    only_soon = html(client.get(f"/?date_to={soon_day}"))

    assert "Tea tasting" in only_later and "Japanese course" not in only_later
    assert "Japanese course" in only_soon and "Tea tasting" not in only_soon
    assert f'value="{later_day}"' in only_later  # the form keeps what was asked


def test_filter_form_is_in_the_reader_language(client, catalogue):
    page = html(client.get("/?lang=zh-hans"))

    assert '<input type="hidden" name="lang" value="zh-hans">' in page  # filtering keeps the language
    assert f'href="/events/{catalogue["tea"].slug}/?lang=zh-hans"' in page

    assert '<option value="language">语言</option>' in page  # category names translated
    assert '<option value="ja">日本語</option>' in page  # languages by their own names


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("kind=party", "kind"),
        ("free=maybe", "free"),
        ("category=no-such-category", "category"),
        ("language=xx", "language"),
        ("date_from=2031-13-01", "date_from"),
        ("date_from=2031-03-05&date_to=2031-03-01", "date_to"),
    ],
)
def test_bad_filter_input_is_shown_next_to_the_field(client, catalogue, query, field):
    response = client.get(f"/?{query}")

    assert response.status_code == 200
    page = html(response)
    assert field_errors(page, field), page
    assert 'aria-invalid="true"' in page
    assert "Some filters are not valid" in page
    assert "Fix the filters above" in page


def test_unknown_filter_parameter_errors_are_listed_at_the_top(client, catalogue):
    page = html(client.get("/?venue=abc"))

    assert "Some filters are not valid" in page
    assert "Select a valid choice" in page


def test_paginates_twenty_per_page_keeping_filters(client):
    for n in range(23):
        EventFactory(title={"en": f"Meetup {n:02d}"}, kind=Event.Kind.EVENT)

    first = html(client.get("/?kind=event"))
    second = html(client.get("/?kind=event&page=2"))

    assert first.count('class="card"') == 20 and second.count('class="card"') == 3
    assert "Page 1 of 2" in first
    assert 'href="?kind=event&amp;page=2"' in first


@pytest.mark.parametrize("events", [3, 20])
def test_query_count_does_not_grow_with_events(client, django_assert_num_queries, events):
    category = CategoryFactory()
    for _ in range(events):
        EventFactory(category=category, price=Decimal("10"))

    # count, one page of events (organization, category, venue joined), the category choices
    with django_assert_num_queries(3):
        response = client.get("/")
    assert html(response).count('class="card"') == events
