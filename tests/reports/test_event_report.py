"""Every figure of the event report against the counts worked out in ``conftest.tea``."""

import pytest

pytestmark = pytest.mark.django_db

URL = "/api/v1/reports/events/tea-evening/"


@pytest.fixture
def report(tea, owner_client):
    response = owner_client.get(URL)
    assert response.status_code == 200
    return response.json()


def test_registrations_by_status_in_registrations_and_seats(report):
    assert report["registrations"] == {
        "total": {"registrations": 9, "seats": 13},
        "confirmed": {"registrations": 5, "seats": 8},
        "pending_payment": {"registrations": 1, "seats": 1},
        "pending_email": {"registrations": 0, "seats": 0},
        "waitlisted": {"registrations": 1, "seats": 1},
        "cancelled": {"registrations": 1, "seats": 2},
        "expired": {"registrations": 1, "seats": 1},
    }


def test_checked_in_counts_distinct_tickets_with_an_effective_in(report):
    # R1#0 R2#0 R2#1 R3#0 R3#1 R9#0 (6 confirmed) + R6#0 R6#1 of the cancelled registration.
    # Not: R3's duplicate scan, R4's reverted scan, R9's second entry (same ticket).
    assert report["checked_in"] == 8
    assert report["checked_in_confirmed"] == 6
    assert report["attendance_rate"] == 0.75  # 6 / 8 confirmed seats
    assert report["no_show_rate"] == 0.25  # (8 - 6) / 8


def test_per_session_figures(report, tea):
    (session,) = report["sessions"]
    assert session["id"] == tea.session.pk
    assert session["held"] is True
    assert session["starts_at"] == "2026-03-14T19:00:00+08:00"
    assert {k: session[k] for k in ("confirmed_seats", "checked_in", "checked_in_confirmed")} == {
        "confirmed_seats": 8,
        "checked_in": 8,
        "checked_in_confirmed": 6,
    }
    assert session["attendance_rate"] == 0.75
    assert session["no_show_rate"] == 0.25


def test_arrivals_in_five_minute_buckets_in_local_time(report):
    arrivals = report["sessions"][0]["arrivals"]
    assert (arrivals["bucket_minutes"], arrivals["from_minutes"], arrivals["to_minutes"]) == (5, -60, 90)
    assert len(arrivals["buckets"]) == 30
    assert arrivals["buckets"][0]["label"] == "18:00"
    assert arrivals["buckets"][-1]["label"] == "20:25"
    non_empty = {b["label"]: b["arrivals"] for b in arrivals["buckets"] if b["arrivals"]}
    # Bucket starts are inclusive: 18:00:00 is in 18:00, 18:30:00 in 18:30, 19:00:00 in 19:00.
    assert non_empty == {"18:00": 1, "18:30": 1, "18:50": 1, "18:55": 2, "19:00": 1}
    assert arrivals["earlier"] == 1  # 17:59:59
    assert arrivals["later"] == 1  # 20:30:00 is the first minute outside the window
    assert arrivals["total"] == 8  # first entries only: R9's re-entry at 19:40 is not an arrival
    assert sum(b["arrivals"] for b in arrivals["buckets"]) + arrivals["earlier"] + arrivals["later"] == 8


def test_attendees_by_language(report):
    # Checked in = confirmed seats that came: en R1 and R9 (R4's scan was reverted), zh-hans R2 ×2, ja R3 ×2.
    assert report["languages"] == [
        {"code": "en", "label": "English", "registrations": 3, "seats": 3, "checked_in": 2},
        {"code": "zh-hans", "label": "Simplified Chinese", "registrations": 1, "seats": 3, "checked_in": 2},
        {"code": "ja", "label": "Japanese", "registrations": 1, "seats": 2, "checked_in": 2},
    ]


def test_choice_and_checkbox_answers_of_confirmed_registrations(report):
    nationality, photos = report["questions"]  # the text question "diet" is not counted
    assert nationality["key"] == "nationality"
    assert nationality["label"] == "Where are you from?"
    assert nationality["answers"] == [
        {"value": "jp", "label": "Japan", "registrations": 1, "seats": 2},
        {"value": "de", "label": "Germany", "registrations": 2, "seats": 2},
        {"value": "cn", "label": "China", "registrations": 1, "seats": 3},
    ]
    assert nationality["unanswered"] == {"registrations": 1, "seats": 1}  # Gita's "xx"
    assert photos["kind"] == "checkbox"
    assert photos["answers"] == [
        {"value": True, "label": "Yes", "registrations": 2, "seats": 3},
        {"value": False, "label": "No", "registrations": 3, "seats": 5},  # False, or never answered
    ]
    assert photos["unanswered"] == {"registrations": 0, "seats": 0}


def test_labels_follow_the_request_language(tea, owner_client):
    report = owner_client.get(URL + "?lang=zh-hans").json()
    assert report["language"] == "zh-hans"
    assert report["event"]["title"] == "茶艺之夜"
    assert [row["label"] for row in report["languages"]] == ["英语", "简体中文", "日语"]
    nationality = report["questions"][0]
    assert nationality["label"] == "您来自哪里？"
    assert [a["label"] for a in nationality["answers"]] == ["日本", "德国", "中国"]


def test_door_takings_are_paid_door_payments_only(report):
    # 160 (R3) + 80 (R9); not R8's pending door payment, not R1's Stripe payment.
    assert report["door_takings"] == [{"currency": "CNY", "amount": "240.00", "payments": 2}]


def test_feedback_average_distribution_and_comments(report):
    feedback = report["feedback"]
    assert feedback["count"] == 4
    assert feedback["average"] == 4.0  # (5 + 4 + 3 + 4) / 4
    assert feedback["ratings"] == [
        {"rating": 1, "count": 0},
        {"rating": 2, "count": 0},
        {"rating": 3, "count": 1},
        {"rating": 4, "count": 2},
        {"rating": 5, "count": 1},
    ]
    assert feedback["comments_total"] == 3  # R3 left no comment
    assert [c["comment"] for c in feedback["comments"]] == ["=1+2", "很好", "Wonderful tea"]  # newest first
    assert report["course"] is None


def test_an_event_without_rows_reports_zeros_and_no_rates(org, owner_client):
    from tests.factories import EventFactory

    EventFactory(organization=org, slug="empty")  # its session is a week from now
    report = owner_client.get("/api/v1/reports/events/empty/").json()
    assert report["registrations"]["total"] == {"registrations": 0, "seats": 0}
    assert report["checked_in"] == 0
    assert report["no_show_rate"] is None  # nothing held yet
    assert report["sessions"][0]["held"] is False
    assert report["sessions"][0]["no_show_rate"] is None
    assert report["languages"] == [] and report["questions"] == [] and report["door_takings"] == []
    assert report["feedback"]["average"] is None
