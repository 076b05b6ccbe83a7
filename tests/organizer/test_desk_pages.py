"""The desk's registrations, messages and team screens through the test client: what they show,
what their buttons do, and that the registration list's query count does not grow with it."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from audit.models import AuditAction, AuditEntry
from notifications.models import Announcement, Notification
from organizations.models import ApiToken, Membership
from registrations.models import Payment, Registration
from tests.factories import (
    CheckInFactory,
    EventFactory,
    MembershipFactory,
    OrganizationFactory,
    QuestionFactory,
    RegistrationFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db
RS = Registration.Status


@pytest.fixture
def desk(manager) -> Client:
    client = Client()
    client.force_login(manager)
    return client


@pytest.fixture
def event(organization):
    event = EventFactory(organization=organization, capacity=10, price=Decimal("30"), allow_pay_at_door=True)
    QuestionFactory(event=event, key="diet", label={"en": "Diet", "zh-hans": "饮食", "ja": "食事"})
    return event


def page_url(event, **query) -> str:
    url = reverse("desk:event-registrations", kwargs={"slug": event.slug})
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def action_url(registration, action: str) -> str:
    kwargs = {"slug": registration.event.slug, "pk": registration.pk, "action": action}
    return reverse("desk:event-registration-action", kwargs=kwargs)


def door(event, **kwargs) -> Registration:
    return RegistrationFactory(
        event=event, payment_method="door", amount_due=Decimal("30"), answers={"diet": "vegetarian"}, **kwargs
    )


# --- the list ------------------------------------------------------------------------------------


def test_the_list_shows_registrations_with_their_answers_in_the_desk_language(desk, event):
    alice = door(event, name="Alice Wang", language="zh-hans", party_size=2)
    response = desk.get(page_url(event), HTTP_ACCEPT_LANGUAGE="zh-hans")
    text = response.content.decode()
    assert response.status_code == 200
    assert "Alice Wang" in text and "vegetarian" in text and "饮食" in text and "Alice Wang +1" in text
    assert "重发门票" in text and "已收款" in text  # resend the ticket, payment received
    assert f"registration-{alice.pk}" in text


def test_search_and_filters(desk, event):
    session = event.sessions.get()
    came = door(event, name="Came Along")
    CheckInFactory(ticket=came.tickets.get(), session=session)
    paid = door(event, name="Paid Person", paid_at="2026-01-01T10:00:00Z")
    waiting = RegistrationFactory(event=event, name="Waiting Person", status=RS.WAITLISTED, confirmed_at=None)
    free = RegistrationFactory(event=event, name="Guest Free", amount_due=0)

    def names(**query):
        rows = desk.get(page_url(event, **query)).context["page"].object_list
        return {r.name for r in rows}

    assert names(q="came") == {"Came Along"}
    assert names(q=came.email) == {"Came Along"}
    assert names(q="example.org") == set()  # an address matches only whole
    assert names(status="waitlisted") == {"Waiting Person"}
    assert names(session=session.pk) == {"Came Along"}
    assert names(paid="paid") == {"Paid Person"}
    assert names(paid="due") == {"Came Along"}
    assert names(paid="free") == {free.name, waiting.name}
    assert names(status="nonsense") == names() == {"Came Along", paid.name, waiting.name, free.name}


@pytest.mark.parametrize("count", [3, 60])
def test_the_list_query_count_is_flat(desk, event, count, django_assert_max_num_queries):
    session = event.sessions.get()
    for index in range(count):
        registration = door(event, party_size=2 if index % 3 == 0 else 1)
        if index % 2:
            CheckInFactory(ticket=registration.tickets.first(), session=session)
    # session, user, "manages any", event, sessions, questions, count, rows, tickets: 9 whatever the size.
    with django_assert_max_num_queries(9) as queries:
        response = desk.get(page_url(event))
    assert len(queries) == 9
    assert response.status_code == 200
    assert len(response.context["page"].object_list) == min(count, 50)


# --- the buttons ---------------------------------------------------------------------------------


def test_cancel_a_paid_registration_refunds_it(desk, event, manager, stripe_stub, django_capture_on_commit_callbacks):
    registration = RegistrationFactory(event=event, payment_method="online", amount_due=Decimal("30"))
    registration.paid_at = registration.confirmed_at
    registration.save()
    Payment.objects.create(
        registration=registration,
        provider="stripe",
        status="paid",
        amount=Decimal("30"),
        currency=event.currency,
        payment_intent_id="pi_desk",
        paid_at=registration.confirmed_at,
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = desk.post(action_url(registration, "cancel"), {"back": page_url(event, status="confirmed")})
    assert response.status_code == 302 and response["Location"] == page_url(event, status="confirmed")
    registration.refresh_from_db()
    assert registration.status == RS.CANCELLED
    assert registration.payments.get().status in ("refunded", "refund_pending")
    assert AuditEntry.objects.filter(action=AuditAction.REGISTRATION_CANCEL, actor=manager).exists()


def test_resend_confirm_door_payment_and_promote(desk, event, django_capture_on_commit_callbacks):
    event.capacity = 2
    event.save()
    owes = door(event)
    waiting = RegistrationFactory(event=event, status=RS.WAITLISTED, confirmed_at=None)
    with django_capture_on_commit_callbacks(execute=True):
        assert desk.post(action_url(owes, "resend")).status_code == 302
        again = desk.post(action_url(owes, "resend"), follow=True)
    assert "a few minutes ago" in again.content.decode()
    assert Notification.objects.filter(registration=owes, kind="confirmation").count() == 1
    assert mail.outbox[-1].to == [owes.email]
    desk.post(action_url(owes, "door-payment"))
    owes.refresh_from_db()
    assert owes.paid_at is not None and owes.payments.get().provider == "door"
    desk.post(action_url(waiting, "promote"))
    waiting.refresh_from_db()
    assert waiting.status == RS.CONFIRMED


def test_a_refused_action_says_why_and_changes_nothing(desk, event):
    event.capacity = 1
    event.save()
    door(event)
    waiting = RegistrationFactory(event=event, status=RS.WAITLISTED, confirmed_at=None)
    response = desk.post(action_url(waiting, "promote"), follow=True)
    assert "Not enough free seats" in response.content.decode()
    waiting.refresh_from_db()
    assert waiting.status == RS.WAITLISTED
    assert desk.post(action_url(waiting, "explode")).status_code == 404
    assert desk.get(action_url(waiting, "promote")).status_code == 405


def test_the_csv_is_todays_organizer_csv_with_the_pages_filters(desk, event, manager):
    door(event, name="Alice")
    RegistrationFactory(event=event, name="Bob", status=RS.WAITLISTED, confirmed_at=None)
    response = desk.get(reverse("desk:event-registrations-csv", kwargs={"slug": event.slug}) + "?status=waitlisted")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert rows[0][:3] == ["id", "status", "name"] and rows[0][-1] == "answer:diet"
    assert [row[2] for row in rows[1:]] == ["Bob"]
    assert AuditEntry.objects.filter(action=AuditAction.EXPORT, actor=manager).exists()


def test_another_organizations_event_is_not_found(desk):
    other = EventFactory(organization=OrganizationFactory())
    registration = RegistrationFactory(event=other)
    assert desk.get(page_url(other)).status_code == 404
    assert desk.post(action_url(registration, "cancel")).status_code == 404
    registration.refresh_from_db()
    assert registration.status == RS.CONFIRMED


# --- messages ------------------------------------------------------------------------------------


def compose(**extra) -> dict:
    return {
        "subject_en": "Bring an umbrella",
        "subject_zh-hans": "请带伞",
        "body_en": "Rain is forecast.",
        "body_zh-hans": "预报有雨。",
        "audience": "confirmed",
        **extra,
    }


def test_preview_shows_each_language_and_who_reads_which_then_send_and_see_delivery(
    desk, event, django_capture_on_commit_callbacks
):
    RegistrationFactory(event=event, language="zh-hans")
    RegistrationFactory(event=event, language="ja")
    RegistrationFactory(event=event, language="en", status=RS.WAITLISTED, confirmed_at=None)
    url = reverse("desk:event-message", kwargs={"slug": event.slug})
    preview = desk.post(url, compose(preview="1"))
    assert preview.status_code == 200
    assert [row["count"] for row in preview.context["preview"]["readers"]] == [1, 1]
    assert {language["code"] for language in preview.context["preview"]["languages"]} == {"en", "zh-hans"}
    assert "请带伞" in preview.content.decode() and not Announcement.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        sent = desk.post(url, compose(send="1"))
    announcement = Announcement.objects.get()
    assert sent.status_code == 302 and sent["Location"] == reverse(
        "desk:event-message-detail", kwargs={"slug": event.slug, "pk": announcement.pk}
    )
    assert announcement.recipient_count == 2
    page = desk.get(sent["Location"], HTTP_ACCEPT_LANGUAGE="ja")
    assert page.context["delivery"]["sent"] == 2 and page.context["delivery"]["failed"] == 0
    assert "配信状況" in page.content.decode()
    assert sorted(m.subject for m in mail.outbox)[-1]


def test_a_session_audience_needs_a_session(desk, event):
    url = reverse("desk:event-message", kwargs={"slug": event.slug})
    response = desk.post(url, compose(audience="session", send="1"))
    assert response.status_code == 400 and "session" in response.context["form"].errors
    assert not Announcement.objects.exists()


# --- team ----------------------------------------------------------------------------------------


def test_team_lists_only_my_organizations(desk, organization, manager):
    volunteer = UserFactory(username="mei")
    MembershipFactory(user=volunteer, organization=organization, role="volunteer")
    stranger = UserFactory(username="stranger")
    MembershipFactory(user=stranger, organization=OrganizationFactory(), role="volunteer")
    text = desk.get(reverse("desk:team")).content.decode()
    assert "mei" in text and "stranger" not in text


def test_invite_then_issue_and_revoke_a_token(desk, organization, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = desk.post(
            reverse("desk:team-invite"),
            {"organization": organization.pk, "email": "new.volunteer@example.org", "language": "ja"},
        )
    assert response.status_code == 302
    volunteer = Membership.objects.get(user__email="new.volunteer@example.org")
    assert volunteer.role == "volunteer" and "/organizer/welcome/" in mail.outbox[-1].body
    issued = desk.post(reverse("desk:team-token-issue"), {"holder": volunteer.user_id, "name": "door phone"})
    token = ApiToken.objects.get()
    assert issued.status_code == 200 and issued.context["new_key"].startswith("hg_")
    assert "no-store" in issued["Cache-Control"]
    assert desk.post(reverse("desk:team-token-revoke", kwargs={"pk": token.pk})).status_code == 302
    assert not ApiToken.objects.exists()


def test_a_volunteer_has_no_team_page(organization):
    volunteer = UserFactory()
    MembershipFactory(user=volunteer, organization=organization, role="volunteer")
    client = Client()
    client.force_login(volunteer)
    assert client.get(reverse("desk:team")).status_code == 403
    assert Client().get(reverse("desk:team")).status_code == 302
