"""Anonymising keeps the counts: the event and organization reports give the same figures before and after.

Uses ``conftest.tea`` (held 2026-03-14, every kind of row); the organizer's admin action is
tested here too, on the organizer's own events only.
"""

import re

import pytest
from django.test import Client
from django.urls import reverse

from organizations.models import Membership
from privacy import services as privacy_services
from privacy.services import anonymise_old_registrations
from registrations.models import Registration
from tests.factories import EventFactory, MembershipFactory, RegistrationFactory, UserFactory
from tests.reports.conftest import local

pytestmark = pytest.mark.django_db

URL = "/api/v1/reports/events/tea-evening/"
ORG_URL = "/api/v1/reports/organizations/neighbours/?from=2026-03-01&to=2026-03-31"

COUNTED = ("registrations", "checked_in", "checked_in_confirmed", "attendance_rate", "no_show_rate", "languages")


def figures(report: dict) -> dict:
    kept = {key: report[key] for key in COUNTED}
    kept["sessions"] = report["sessions"]
    kept["door_takings"] = report["door_takings"]
    feedback = report["feedback"]
    kept["feedback"] = {key: feedback[key] for key in ("count", "average", "ratings")}
    return kept


def test_event_report_counts_are_the_same_after_anonymisation(tea, owner_client, settings):
    before = owner_client.get(URL).json()
    organization_before = owner_client.get(ORG_URL).json()
    assert before["registrations"]["total"]["registrations"] == 9 and before["checked_in"] == 8

    settings.ANONYMISE_AFTER_DAYS = 30  # the tea evening ended in March 2026
    assert anonymise_old_registrations.delay().get() == 9

    after = owner_client.get(URL).json()
    assert figures(after) == figures(before)
    assert after["registrations"]["confirmed"] == {"registrations": 5, "seats": 8}
    assert after["checked_in"] == 8 and after["checked_in_confirmed"] == 6
    # What identified people is gone: names, emails, free-text comments.
    assert not Registration.objects.filter(anonymised_at__isnull=True).exists()
    assert after["feedback"]["comments"] == [] and after["feedback"]["comments_total"] == 0
    assert set(Registration.objects.values_list("name", flat=True)) == {""}
    assert all(email.endswith("@anonymised.invalid") for email in Registration.objects.values_list("email", flat=True))
    # Participants are counted by address; each row got its own, so the count holds.
    organization_after = owner_client.get(ORG_URL).json()
    assert organization_after["totals"] == organization_before["totals"]


def test_report_csv_has_no_names_after_anonymisation(tea, owner_client):
    privacy_services.event_registrations_anonymise(event=tea.event)

    feedback = owner_client.get("/api/v1/reports/events/tea-evening/feedback.csv")
    csv = b"".join(feedback.streaming_content).decode("utf-8-sig")
    assert "Wonderful tea" not in csv and "Anna" not in csv
    registrations = owner_client.get("/api/v1/organizer/events/tea-evening/registrations.csv")
    body = b"".join(registrations.streaming_content).decode("utf-8-sig")
    assert "Anna" not in body and "anna@example.org" not in body and "@anonymised.invalid" in body


# --- the organizer's admin action -------------------------------------------------------------


def admin_browser(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def page_text(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


def test_admin_action_anonymises_own_ended_events_and_refuses_the_rest(tea, org):
    manager = UserFactory(is_staff=True)
    MembershipFactory(user=manager, organization=org, role=Membership.Role.MANAGER)
    upcoming = EventFactory(organization=org, title={"en": "Next tea"})
    waiting = RegistrationFactory(event=upcoming)
    foreign_past = EventFactory(with_session=False)
    from tests.reports.conftest import session_of

    session_of(foreign_past, local(2026, 1, 1, 19, 0))
    stranger = RegistrationFactory(event=foreign_past)

    response = admin_browser(manager).post(
        reverse("admin:events_event_changelist"),
        {"action": "anonymise_registrations", "_selected_action": [tea.event.pk, upcoming.pk, foreign_past.pk]},
        follow=True,
    )

    assert response.status_code == 200
    text = page_text(response)
    assert "9 registrations anonymised." in text
    assert "Only the registrations of an event that has ended can be anonymised." in text
    assert not Registration.objects.filter(event=tea.event, anonymised_at__isnull=True).exists()
    assert Registration.objects.get(pk=waiting.pk).anonymised_at is None  # still to come
    assert Registration.objects.get(pk=stranger.pk).anonymised_at is None  # not their organization's
