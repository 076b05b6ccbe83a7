"""The admin and the organizer API are two screens on the same use cases (organizer.services).

The same edit made on each must leave the same rows behind: the session's new time, its iCal
sequence and status, and the notices queued for the people registered — nothing more, nothing less.
"""

from __future__ import annotations

import datetime as dt
import html.parser

import pytest
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from notifications.models import Notification
from organizations.models import Membership
from registrations.models import Registration
from tests.factories import EventFactory, MembershipFactory, OrganizationFactory, SessionFactory, UserFactory

pytestmark = pytest.mark.django_db


class _Form(html.parser.HTMLParser):
    """The values a browser would post back from the admin's change form."""

    def __init__(self, form_id: str):
        super().__init__()
        self.form_id, self.inside, self.data, self._select, self._textarea = form_id, False, {}, None, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and attrs.get("id") == self.form_id:
            self.inside = True
        if not self.inside:
            return
        name = attrs.get("name")
        if tag == "input" and name and attrs.get("type") not in ("submit", "button", "file"):
            if attrs.get("type") in ("checkbox", "radio") and "checked" not in attrs:
                return
            self.data.setdefault(name, attrs.get("value", "on" if attrs.get("type") == "checkbox" else ""))
        elif tag == "select" and name:
            self._select = name
            self.data.setdefault(name, "")
        elif tag == "option" and self._select and "selected" in attrs:
            self.data[self._select] = attrs.get("value", "")
        elif tag == "textarea" and name:
            self._textarea = name
            self.data[name] = ""

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea:
            self.data[self._textarea] += data


def admin_form(response, form_id: str) -> dict:
    reader = _Form(form_id)
    reader.feed(response.content.decode())
    assert reader.data, f"no form #{form_id}"
    return reader.data


def two_identical_sessions():
    """One published event with two sessions at the same hour, each with the same registrants."""
    organization = OrganizationFactory()
    manager = UserFactory(is_staff=True)
    MembershipFactory(user=manager, organization=organization, role=Membership.Role.MANAGER)
    start = (timezone.now() + dt.timedelta(days=10)).replace(minute=0, second=0, microsecond=0)
    sessions = []
    for _ in range(2):
        event = EventFactory(organization=organization, timezone="UTC", with_session=False, capacity=10)
        session = SessionFactory(event=event, starts_at=start, ends_at=start + dt.timedelta(hours=2))
        for number in range(3):
            Registration.objects.create(
                event=event,
                name=f"Guest {number}",
                email=f"guest{number}-{event.pk}@example.org",
                language=["en", "zh-hans", "ja"][number],
                status=Registration.Status.CONFIRMED,
                confirmed_at=timezone.now(),
            )
        sessions.append(session)
    return manager, sessions, start


def outcome(session) -> dict:
    session.refresh_from_db()
    notices = Notification.objects.filter(registration__event=session.event, kind=Notification.Kind.CHANGED)
    return {
        "starts_at": session.starts_at,
        "ends_at": session.ends_at,
        "sequence": session.sequence,
        "status": session.status,
        "notices": sorted(
            (notice.language, notice.params["old_starts_at"], notice.params["sequence"], notice.status)
            for notice in notices
        ),
        "notice_session": {notice.session_id == session.pk for notice in notices},
    }


def test_an_admin_session_move_equals_the_api_patch(client, django_capture_on_commit_callbacks):
    manager, (by_api, by_admin), start = two_identical_sessions()
    new_start = start + dt.timedelta(hours=3)
    new_end = new_start + dt.timedelta(hours=2)

    client.force_login(manager)
    response = client.patch(
        reverse("api:organizer-session-detail", args=[by_api.pk]),
        {"starts_at": new_start.isoformat(), "ends_at": new_end.isoformat()},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content

    url = reverse("admin:events_session_change", args=[by_admin.pk])
    data = admin_form(client.get(url), "session_form")
    local_start, local_end = timezone.localtime(new_start), timezone.localtime(new_end)  # the admin's zone
    data.update(
        {
            "starts_at_0": local_start.strftime("%Y-%m-%d"),
            "starts_at_1": local_start.strftime("%H:%M:%S"),
            "ends_at_0": local_end.strftime("%Y-%m-%d"),
            "ends_at_1": local_end.strftime("%H:%M:%S"),
        }
    )
    with django_capture_on_commit_callbacks(execute=False):
        response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors

    api, admin = outcome(by_api), outcome(by_admin)
    assert api == admin
    assert api["sequence"] == 1 and api["status"] == "moved" and api["starts_at"] == new_start
    assert [language for language, *_ in api["notices"]] == ["en", "ja", "zh-hans"]
    assert api["notice_session"] == {True}


def test_an_admin_session_cancel_equals_the_api_cancel(client):
    manager, (by_api, by_admin), _start = two_identical_sessions()
    client.force_login(manager)
    assert client.post(reverse("api:organizer-session-cancel", args=[by_api.pk])).status_code == 200

    url = reverse("admin:events_session_change", args=[by_admin.pk])
    data = admin_form(client.get(url), "session_form")
    data["status"] = "cancelled"
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors

    def cancelled(session):
        session.refresh_from_db()
        notices = Notification.objects.filter(registration__event=session.event, kind=Notification.Kind.CANCELLED)
        return (
            session.status,
            session.sequence,
            sorted((n.language, n.params, n.session_id == session.pk) for n in notices),
        )

    assert cancelled(by_api) == cancelled(by_admin)
    assert cancelled(by_api)[:2] == ("cancelled", 1)


def test_a_notice_and_its_calendar_invite_share_one_language(mailoutbox, django_capture_on_commit_callbacks):
    """The language is resolved once, on the outbox row; the .ics inside the email follows it
    even when the registration's own language changed since."""
    from notifications import outbox
    from notifications.sending import notification_send

    _manager, (session, _other), _start = two_identical_sessions()
    event = session.event
    event.title = {"en": "Tea tasting", "ja": "お茶の試飲会"}
    event.save()
    registration = event.registrations.get(language="ja")
    with django_capture_on_commit_callbacks(execute=False):
        row = outbox.notify_registration(registration=registration, kind=Notification.Kind.CONFIRMATION)
    Registration.objects.filter(pk=registration.pk).update(language="en")  # changed after the row was written

    assert notification_send(notification_id=row.pk).status == "sent"
    [message] = mailoutbox
    assert message.extra_headers["Content-Language"] == "ja"
    [invite] = [
        part for part in message.attachments if getattr(part, "get_content_type", lambda: "")() == "text/calendar"
    ]
    calendar = Calendar.from_ical(invite.get_payload(decode=True))
    [vevent] = calendar.walk("VEVENT")
    assert str(vevent["SUMMARY"]).startswith("お茶の試飲会")
