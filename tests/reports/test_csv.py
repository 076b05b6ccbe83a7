"""CSV exports: streamed, UTF-8 with BOM, the same numbers as the JSON, no spreadsheet formulas."""

import csv
import io

import pytest
from django.http import StreamingHttpResponse

pytestmark = pytest.mark.django_db

EVENT = "/api/v1/reports/events/tea-evening/"


def read_csv(response) -> list[list[str]]:
    assert response.status_code == 200
    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith("attachment; filename=")
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body[1:])))


def test_sessions_csv(tea, owner_client):
    header, row = read_csv(owner_client.get(EVENT + "sessions.csv"))
    assert dict(zip(header, row, strict=True)) == {
        "session_id": str(tea.session.pk),
        "starts_at": "2026-03-14T19:00+08:00",
        "ends_at": "2026-03-14T21:00+08:00",
        "status": "scheduled",
        "held": "1",
        "confirmed_seats": "8",
        "checked_in": "8",
        "checked_in_confirmed": "6",
        "attendance_rate": "0.7500",
        "no_show_rate": "0.2500",
        "arrivals": "8",
    }


def test_arrivals_csv_has_every_bucket_and_the_catch_alls(tea, owner_client):
    header, *rows = read_csv(owner_client.get(EVENT + "arrivals.csv"))
    assert header == ["session_id", "session_starts_at", "bucket_starts_at", "offset_minutes", "arrivals"]
    assert len(rows) == 32
    assert rows[0][2:] == ["earlier", "", "1"]
    assert rows[1][2:] == ["2026-03-14T18:00+08:00", "-60", "1"]
    assert rows[-1][2:] == ["later", "", "1"]
    assert sum(int(row[4]) for row in rows) == 8


def test_languages_and_answers_csv(tea, owner_client):
    _, *languages = read_csv(owner_client.get(EVENT + "languages.csv?lang=ja"))
    assert languages == [
        ["en", "英語", "3", "3", "2"],
        ["zh-hans", "中国語（簡体字）", "1", "3", "2"],
        ["ja", "日本語", "1", "2", "2"],
    ]
    _, *answers = read_csv(owner_client.get(EVENT + "answers.csv"))
    assert [row[2:] for row in answers] == [
        ["jp", "Japan", "1", "2"],
        ["de", "Germany", "2", "2"],
        ["cn", "China", "1", "3"],
        ["", "No answer", "1", "1"],
        ["true", "Yes", "2", "3"],
        ["false", "No", "3", "5"],
        ["", "No answer", "0", "0"],
    ]


def test_feedback_csv_neutralises_formulas(tea, owner_client):
    header, *rows = read_csv(owner_client.get(EVENT + "feedback.csv"))
    assert header == ["feedback_id", "registration_id", "rating", "language", "comment", "created_at"]
    assert [(row[1], row[2], row[4]) for row in rows] == [
        (str(tea.r1.pk), "5", "Wonderful tea"),
        (str(tea.r2.pk), "4", "很好"),
        (str(tea.r3.pk), "3", ""),
        (str(tea.r9.pk), "4", "'=1+2"),
    ]


def test_attendance_csv_one_row_per_seat(tea, owner_client):
    header, *rows = read_csv(owner_client.get(EVENT + "attendance.csv"))
    assert header == [
        "registration_id",
        "seat",
        "name",
        "registrant",
        "email",
        "language",
        "session 2026-03-14T19:00+08:00",
        "sessions_attended",
        "sessions_held",
    ]
    by_seat = {(row[0], row[1]): (row[2], row[6], row[7]) for row in rows}
    assert len(rows) == 8  # the confirmed seats
    assert by_seat[(str(tea.r2.pk), "1")] == ("Mei 陈美玲 +1", "2026-03-14T18:55+08:00", "1")
    assert by_seat[(str(tea.r2.pk), "2")] == ("Mei 陈美玲 +2", "", "0")
    assert by_seat[(str(tea.r4.pk), "0")] == ("Ben Okafor", "", "0")  # reverted
    assert by_seat[(str(tea.r9.pk), "0")] == ("Gita Rao", "2026-03-14T18:50+08:00", "1")  # first entry


def test_course_attendance_csv_has_completion(course, owner_client):
    header, *rows = read_csv(owner_client.get("/api/v1/reports/events/chinese-beginners/attendance.csv"))
    assert header[-4:] == ["sessions_attended", "sessions_held", "completion", "completed"]
    assert len(header) == 6 + 5 + 4  # five sessions that are not cancelled
    completion = {(row[2]): row[-4:] for row in rows}
    assert completion == {
        "Anna Schmidt": ["4", "4", "1.0000", "1"],
        "陈美玲": ["3", "4", "0.7500", "1"],
        "山田花子": ["2", "4", "0.5000", "0"],
        "山田太郎": ["3", "4", "0.7500", "1"],
        "Ben Okafor": ["0", "4", "0.0000", "0"],
    }


def test_organization_csv(year, owner_client):
    header, *months = read_csv(
        owner_client.get("/api/v1/reports/organizations/neighbours/months.csv?from=2026-01-01&to=2026-03-31")
    )
    assert header[0] == "month" and header[-2:] == ["unique_participants", "returning_participants"]
    assert months[1] == ["2026-02", "2", "6", "5", "11", "5", "0.4545", "4", "1"]
    _, *events = read_csv(
        owner_client.get("/api/v1/reports/organizations/neighbours/events.csv?from=2026-01-01&to=2026-03-31")
    )
    assert [row[0] for row in events] == ["jan", "feb", "course", "late"]
    assert owner_client.get("/api/v1/reports/organizations/neighbours/months.csv?from=x").status_code == 400
