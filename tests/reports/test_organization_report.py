"""The organization report over a date range, against ``conftest.year``."""

import pytest

pytestmark = pytest.mark.django_db

URL = "/api/v1/reports/organizations/neighbours/"
RANGE = "?from=2026-01-01&to=2026-03-31"


def test_totals(year, owner_client):
    body = owner_client.get(URL + RANGE).json()
    assert (body["from"], body["to"], body["timezone"]) == ("2026-01-01", "2026-03-31", "Asia/Shanghai")
    assert body["organization"] == {"slug": "neighbours", "name": "Neighbours"}
    assert body["totals"] == {
        "events_held": 4,
        "registrations": 11,
        "confirmed_seats": 10,
        "expected_attendances": 16,
        "attendances": 8,
        "attendance_rate": 0.5,
        "unique_participants": 5,
        "returning_participants": 2,
    }


def test_by_month(year, owner_client):
    months = owner_client.get(URL + RANGE).json()["months"]
    assert [m["month"] for m in months] == ["2026-01", "2026-02", "2026-03"]
    assert [m["label"] for m in months] == ["January 2026", "February 2026", "March 2026"]
    figures = [
        (
            m["events_held"],
            m["registrations"],
            m["confirmed_seats"],
            m["attendances"],
            m["expected_attendances"],
            m["unique_participants"],
            m["returning_participants"],
        )
        for m in months
    ]
    assert figures == [(1, 3, 3, 2, 3, 2, 0), (2, 6, 5, 5, 11, 4, 1), (1, 2, 2, 1, 2, 2, 0)]
    assert [m["attendance_rate"] for m in months] == [0.6667, 0.4545, 0.5]


def test_per_event_rows(year, owner_client):
    events = owner_client.get(URL + RANGE).json()["events"]
    assert [
        (e["slug"], e["month"], e["held_sessions"], e["attendances"], e["expected_attendances"]) for e in events
    ] == [
        ("jan", "2026-01", 1, 2, 3),
        ("feb", "2026-02", 1, 1, 2),
        ("course", "2026-02", 3, 4, 9),  # the April session is outside the range
        ("late", "2026-03", 1, 1, 2),  # 23:30 on the last day, Shanghai time
    ]
    assert events[3]["first_held_at"] == "2026-03-31T23:30:00+08:00"


def test_a_narrower_range_and_month_labels_in_chinese(year, owner_client):
    body = owner_client.get(URL + "?from=2026-02-01&to=2026-02-28&lang=zh-hans").json()
    assert [e["slug"] for e in body["events"]] == ["feb", "course"]
    assert body["months"][0]["label"] == "2026年2月"
    # The course's March session is outside this range: 2 of its sessions count.
    assert body["totals"]["expected_attendances"] == 2 + 3 * 2
    assert body["totals"]["attendances"] == 1 + 3  # a at feb; b twice and f once at the course
    assert (body["totals"]["unique_participants"], body["totals"]["returning_participants"]) == (4, 1)


def test_an_empty_range(year, owner_client):
    body = owner_client.get(URL + "?from=2020-01-01&to=2020-02-15").json()
    assert body["totals"]["events_held"] == 0 and body["totals"]["attendance_rate"] is None
    assert [m["month"] for m in body["months"]] == ["2020-01", "2020-02"]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("?from=2026-13-01", "from"),
        ("?from=yesterday", "from"),
        ("?to=2026-02-30", "to"),
        ("?from=2026-03-01&to=2026-02-01", "from"),  # reversed
        ("?from=2000-01-01&to=2026-01-01", "to"),  # more than ten years
    ],
)
def test_bad_dates_are_400(org, owner_client, query, field):
    response = owner_client.get(URL + query)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid" and field in error["fields"]


def test_default_range_is_the_last_twelve_months(org, owner_client):
    body = owner_client.get(URL).json()
    assert len(body["months"]) == 12
