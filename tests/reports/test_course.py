"""Course attendance, completion and certificates, against ``conftest.course``."""

import io

import pytest
from pypdf import PdfReader

from events.models import Event
from tests.factories import EventFactory, RegistrationFactory

pytestmark = pytest.mark.django_db

BASE = "/api/v1/reports/events/chinese-beginners"


def pdf_text(response) -> str:
    assert response.status_code == 200, response.content[:500]
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    return PdfReader(io.BytesIO(response.content)).pages[0].extract_text()


def test_sessions_held_and_per_session_attendance(course, owner_client):
    report = owner_client.get(BASE + "/").json()
    rows = [
        (s["held"], s["status"], s["confirmed_seats"], s["checked_in"], s["checked_in_confirmed"])
        for s in report["sessions"]
    ]
    assert rows == [
        (True, "scheduled", 5, 5, 4),  # S1: P1 P2 P3#0 P3#1, and cancelled P5
        (True, "scheduled", 5, 4, 4),  # S2
        (True, "scheduled", 5, 3, 3),  # S3: P3#0's scan there was reverted
        (True, "scheduled", 5, 1, 1),  # S4: only P1
        (False, "cancelled", 0, 1, 1),  # S5 cancelled: P1's scan does not count towards completion
        (False, "scheduled", 5, 0, 0),  # S6 next week
    ]
    assert [s["attendance_rate"] for s in report["sessions"]] == [0.8, 0.8, 0.6, 0.2, None, None]
    assert report["checked_in"] == 5 and report["checked_in_confirmed"] == 4
    assert report["no_show_rate"] == 0.2  # P4 never came: 1 of 5 participants


def test_completion_summary(course, owner_client):
    assert owner_client.get(BASE + "/").json()["course"] == {
        "threshold": 0.75,
        "held_sessions": 4,
        "sessions_needed": 3,
        "participants": 5,  # P1, P2, P3 seat 0 and seat 1, P4 (not the cancelled P5)
        "completed": 3,  # P1 (4), P2 (3), P3 seat 1 (3)
        "completion_rate": 0.6,
        "distribution": [
            {"sessions_attended": 0, "participants": 1},
            {"sessions_attended": 1, "participants": 0},
            {"sessions_attended": 2, "participants": 1},
            {"sessions_attended": 3, "participants": 2},
            {"sessions_attended": 4, "participants": 1},
        ],
    }


def test_threshold_is_the_courses_own(course, owner_client):
    Event.objects.filter(pk=course.event.pk).update(completion_threshold=100)
    summary = owner_client.get(BASE + "/").json()["course"]
    assert (summary["threshold"], summary["sessions_needed"], summary["completed"]) == (1.0, 4, 1)
    Event.objects.filter(pk=course.event.pk).update(completion_threshold=50)
    summary = owner_client.get(BASE + "/").json()["course"]
    assert (summary["sessions_needed"], summary["completed"]) == (2, 4)


def test_attendance_matrix(course, owner_client):
    body = owner_client.get(BASE + "/attendance/").json()
    assert (body["count"], body["held_sessions"], body["sessions_needed"]) == (5, 4, 3)
    s1, s2, s3, s4, s5, s6 = course.sessions
    assert [s["id"] for s in body["sessions"]] == [s1.pk, s2.pk, s3.pk, s4.pk, s6.pk]  # cancelled S5 left out
    assert [s["held"] for s in body["sessions"]] == [True, True, True, True, False]
    matrix = {
        (row["name"], row["seat"]): (
            [bool(cell["checked_in_at"]) for cell in row["sessions"]],
            row["attended"],
            row["completed"],
        )
        for row in body["results"]
    }
    assert matrix == {
        ("Anna Schmidt", 0): ([True, True, True, True, False], 4, True),
        ("陈美玲", 0): ([True, True, True, False, False], 3, True),
        ("山田花子", 0): ([True, True, False, False, False], 2, False),
        ("山田太郎", 1): ([True, True, True, False, False], 3, True),
        ("Ben Okafor", 0): ([False, False, False, False, False], 0, False),
    }
    anna = next(row for row in body["results"] if row["name"] == "Anna Schmidt")
    assert anna["sessions"][0]["checked_in_at"] == "2026-03-03T18:55:00+08:00"


def test_attendance_is_paginated(course, owner_client):
    body = owner_client.get(BASE + "/attendance/?page_size=2").json()
    assert body["count"] == 5 and len(body["results"]) == 2 and body["next"]


def test_certificate_in_chinese_and_english(course, owner_client):
    text = pdf_text(owner_client.get(f"{BASE}/certificates/{course.p2.pk}.pdf"))
    for expected in (
        "结业证书",
        "Certificate of Completion",
        "陈美玲",
        "汉语入门",
        "Chinese for beginners",
        "2026年3月3日至2026年3月24日",
        "共 4 次课，出席 3 次",
        "March 3, 2026 – March 24, 2026",
        "attending 3 of 4 sessions",
        "2026-03-03, 2026-03-10, 2026-03-17",
        "邻里",
    ):
        assert expected in text, expected


def test_certificate_for_a_guest_seat_in_japanese(course, owner_client):
    text = pdf_text(owner_client.get(f"{BASE}/certificates/{course.p3.pk}.pdf?seat=1"))
    for expected in ("修了証書", "山田太郎", "中国語入門", "全4回中3回出席", "Certificate of Completion"):
        assert expected in text, expected
    assert "山田花子" not in text


def test_certificate_in_english_only_for_english_speakers(course, owner_client):
    text = pdf_text(owner_client.get(f"{BASE}/certificates/{course.p1.pk}.pdf"))
    assert "Anna Schmidt" in text and "attending 4 of 4 sessions" in text
    assert "结业证书" not in text and "修了証書" not in text


@pytest.mark.parametrize(
    "who",
    [
        "p3",  # seat 0 attended 2 of 4
        "p4",  # attended none
        "p5",  # cancelled registration
    ],
)
def test_no_certificate_without_completion(course, owner_client, who):
    response = owner_client.get(f"{BASE}/certificates/{getattr(course, who).pk}.pdf")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_no_certificate_for_unknown_seats_other_events_or_one_off_events(course, tea, owner_client):
    assert owner_client.get(f"{BASE}/certificates/{course.p3.pk}.pdf?seat=7").status_code == 404
    assert owner_client.get(f"{BASE}/certificates/{course.p3.pk}.pdf?seat=x").status_code == 400
    assert owner_client.get(f"{BASE}/certificates/{tea.r1.pk}.pdf").status_code == 404  # not this course's
    assert owner_client.get(f"/api/v1/reports/events/tea-evening/certificates/{tea.r1.pk}.pdf").status_code == 404


def test_a_course_with_nothing_held_has_no_completions(org, owner_client):
    event = EventFactory(organization=org, slug="future-course", kind="course")  # session next week
    registration = RegistrationFactory(event=event)
    summary = owner_client.get("/api/v1/reports/events/future-course/").json()["course"]
    assert summary["held_sessions"] == 0 and summary["completed"] == 0 and summary["completion_rate"] is None
    response = owner_client.get(f"/api/v1/reports/events/future-course/certificates/{registration.pk}.pdf")
    assert response.status_code == 404
