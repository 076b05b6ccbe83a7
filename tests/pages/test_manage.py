import datetime as dt
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from django.utils import timezone

from events.models import Session
from registrations.models import CalendarFeed, Registration
from registrations.tickets import parse_ticket_code
from tests.factories import EventFactory, RegistrationFactory, SessionFactory
from tests.pages.conftest import form_data, html, manage_url, text
from tests.qr import decode_qr

pytestmark = pytest.mark.django_db

S = Registration.Status


def path_of(url: str) -> str:
    parts = urlsplit(url.replace("&amp;", "&"))
    return parts.path + (f"?{parts.query}" if parts.query else "")


def hrefs(page: str, pattern: str) -> list[str]:
    return [href.replace("&amp;", "&") for href in re.findall(rf'(?:href|src)="({pattern}[^"]*)"', page)]


def test_manage_page_shows_the_qr_tickets(client, registered, settings):
    response = client.get(manage_url(registered))

    assert response.status_code == 200
    page = html(response)
    assert "Confirmed" in text(page) and "You have 2 seats." in text(page)
    # Host-relative: the page works on whatever host and port served it, whatever SITE_URL says.
    svgs = hrefs(page, f"/api/v1/registrations/{registered.pk}/ticket.svg")
    pngs = hrefs(page, f"/api/v1/registrations/{registered.pk}/ticket.png")
    assert len(svgs) == 2 and len(pngs) == 2
    assert 'alt="QR code ticket for Li Na"' in page and 'alt="QR code ticket for Wang Wei"' in page
    assert "Download ticket (PNG)" in page

    # The image links carry the token and work; the PNG decodes to this registration's ticket.
    assert client.get(path_of(svgs[0])).content.startswith(b"<?xml") or b"<svg" in client.get(path_of(svgs[0])).content
    png = client.get(path_of(pngs[1]))
    assert png.status_code == 200 and png["Content-Type"] == "image/png"
    [decoded] = decode_qr(png.content)
    assert parse_ticket_code(decoded) == registered.tickets.get(position=1).pk


def test_manage_page_has_the_three_calendar_buttons(client, registered, settings):
    page = html(client.get(manage_url(registered)))

    [ics] = hrefs(page, f"/api/v1/registrations/{registered.pk}/calendar.ics")
    assert f"token={registered.manage_token}" in ics
    assert "webcal://" not in page and "/calendar/feeds/" not in page  # mailed to the address only
    [google] = hrefs(page, "https://calendar.google.com/calendar/render")

    assert b"BEGIN:VCALENDAR" in client.get(path_of(ics)).content
    params = parse_qs(urlsplit(google).query)
    session = registered.event.sessions.get()
    stamp = "%Y%m%dT%H%M%SZ"
    assert params["action"] == ["TEMPLATE"]
    assert params["text"] == ["Tea evening"]
    assert params["dates"] == [
        f"{session.starts_at.astimezone(dt.UTC):{stamp}}/{session.ends_at.astimezone(dt.UTC):{stamp}}"
    ]
    assert params["ctz"] == ["Asia/Shanghai"]
    assert params["location"] == [f"{registered.event.venue.name['en']}, 1 Community Road"]
    assert f"{settings.SITE_URL}/events/tea-evening/" in params["details"][0]


def test_google_link_is_for_the_first_upcoming_session(client):
    event = EventFactory(with_session=False, timezone="Europe/Berlin")
    now = timezone.now().replace(microsecond=0)
    SessionFactory(event=event, starts_at=now - dt.timedelta(days=7))
    SessionFactory(event=event, starts_at=now + dt.timedelta(days=1), status=Session.Status.CANCELLED)
    upcoming = SessionFactory(event=event, starts_at=now + dt.timedelta(days=8))
    registration = RegistrationFactory(event=event)

    [google] = hrefs(html(client.get(manage_url(registration))), "https://calendar.google.com/")

    dates = parse_qs(urlsplit(google).query)["dates"][0]
    assert dates.startswith(upcoming.starts_at.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ"))
    assert parse_qs(urlsplit(google).query)["ctz"] == ["Europe/Berlin"]


def test_personal_feed_link_is_mailed_from_the_manage_page_never_shown(
    client, registered, django_capture_on_commit_callbacks, mailoutbox
):
    page = html(client.get(manage_url(registered)))
    assert CalendarFeed.objects.count() == 0  # viewing the page makes no feed
    action = manage_url(registered) + "calendar-feed/"
    assert f'action="{action}"' in page

    assert client.get(action).status_code == 405
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(action, follow=True)
    assert "We have emailed the link to your address." in text(response)
    assert "/calendar/feeds/" not in response.content.decode()
    [message] = mailoutbox
    feed = CalendarFeed.objects.get()
    assert message.to == ["lina@example.org"] and f"/api/v1/calendar/feeds/{feed.token}.ics" in message.body
    assert b"BEGIN:VEVENT" in client.get(f"/api/v1/calendar/feeds/{feed.token}.ics").content


def test_manage_pages_are_private(client, registered):
    for path in (manage_url(registered), manage_url(registered) + "cancel/"):
        response = client.get(path)
        assert response["Cache-Control"] == "private, no-store"
        # Never the token in a Referer; not "no-referrer", which makes browsers send "Origin: null"
        # with the page's POST forms (cancel, language) and fail Django's CSRF check.
        assert response["Referrer-Policy"] == "strict-origin"
        assert '<meta name="robots" content="noindex, nofollow">' in html(response)


def test_unknown_token_is_404_and_private(client, registered):
    for path in ("/manage/not-a-token/", "/manage/not-a-token/cancel/", f"/manage/{'x' * 200}/"):
        response = client.get(path)
        assert response.status_code == 404
        assert response["Cache-Control"] == "private, no-store"
        assert "This registration link is not valid" in html(response)
    assert client.post("/manage/not-a-token/cancel/").status_code == 404
    assert Registration.objects.get().status == S.CONFIRMED


def test_cancel_asks_first_then_cancels_and_promotes_the_waiting_list(client, event):
    event.capacity = 1
    event.save()
    holder = RegistrationFactory(event=event, email="holder@example.org")
    waiting = client.post(f"/events/{event.slug}/register/", form_data())
    waiter = Registration.objects.get(email="lina@example.org")
    assert waiter.status == S.WAITLISTED

    page = html(client.get(manage_url(holder)))
    assert f'href="/manage/{holder.manage_token}/cancel/"' in page
    confirm = client.get(manage_url(holder) + "cancel/")
    assert confirm.status_code == 200
    assert "Yes, cancel my registration" in html(confirm) and 'method="post"' in html(confirm)
    holder.refresh_from_db()
    assert holder.status == S.CONFIRMED  # asking is not cancelling

    response = client.post(manage_url(holder) + "cancel/")

    assert response.status_code == 302 and response["Location"] == manage_url(holder)
    holder.refresh_from_db()
    waiter.refresh_from_db()
    assert holder.status == S.CANCELLED and waiter.status == S.CONFIRMED
    after = text(client.get(manage_url(holder)))
    assert "Your registration has been cancelled." in after
    assert "This registration is cancelled." in after
    assert "Cancel my registration" not in after and "QR code" not in after
    assert "Confirmed" in text(client.get(waiting["Location"]))


def test_no_cancel_once_the_event_is_over(client, registered):
    registered.event.sessions.update(
        starts_at=timezone.now() - dt.timedelta(hours=3), ends_at=timezone.now() - dt.timedelta(hours=1)
    )
    page = html(client.get(manage_url(registered)))
    assert "Cancel my registration" not in page

    response = client.post(manage_url(registered) + "cancel/", HTTP_ACCEPT_LANGUAGE="ja")

    assert response.status_code == 302
    registered.refresh_from_db()
    assert registered.status == S.CONFIRMED
    assert "申し込みはもう取り消せません" in text(client.get(response["Location"], HTTP_ACCEPT_LANGUAGE="ja"))


def test_cancelling_twice_is_harmless(client, registered):
    client.post(manage_url(registered) + "cancel/")

    response = client.post(manage_url(registered) + "cancel/")

    assert response.status_code == 302
    registered.refresh_from_db()
    assert registered.status == S.CANCELLED


def test_no_page_shows_anyone_else(client, event):
    others = [
        RegistrationFactory(event=event, name=f"Other Person {n}", email=f"other{n}@example.org") for n in range(3)
    ]
    response = client.post(f"/events/{event.slug}/register/", form_data())
    mine = Registration.objects.get(email="lina@example.org")

    pages = [
        html(client.get("/")),
        html(client.get(f"/events/{event.slug}/")),
        html(client.get(response["Location"])),
        html(client.get(manage_url(mine) + "cancel/")),
        html(client.post(f"/events/{event.slug}/register/", form_data())),  # the "already registered" answer
    ]

    for page in pages:
        for other in others:
            assert other.email not in page and other.name not in page and other.manage_token not in page
    assert "lina@example.org" in pages[2]  # one's own details, on one's own page


def test_manage_page_shows_answers_in_the_reader_language(zh_client, registered):
    page = html(zh_client.get(manage_url(registered)))

    assert "<dt>您来自哪里？</dt><dd>日本</dd>" in page
    assert "茶艺之夜" in page


def test_manage_page_query_count_does_not_grow_with_guests(client, django_assert_num_queries, event):
    small = RegistrationFactory(event=event)
    big = RegistrationFactory(event=event, party_size=3)

    # registration+event; tickets; sessions; questions; whether the event is over (cancel offered)
    with django_assert_num_queries(5):
        client.get(manage_url(small))
    with django_assert_num_queries(5):
        assert html(client.get(manage_url(big))).count('class="ticket-card"') == 3


def test_online_link_only_for_confirmed_registrations(client):
    event = EventFactory(online_url="https://meet.example.org/tea", capacity=1)
    confirmed = RegistrationFactory(event=event)
    waiting = RegistrationFactory(event=event, status=S.WAITLISTED, confirmed_at=None, waitlisted_at=timezone.now())

    assert 'href="https://meet.example.org/tea"' in html(client.get(manage_url(confirmed)))
    assert "meet.example.org" not in html(client.get(manage_url(waiting)))
    assert "meet.example.org" not in html(client.get(f"/events/{event.slug}/"))
