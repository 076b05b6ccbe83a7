"""The report pages as HTML (without a browser) and the SVG charts they are made of."""

import re

import pytest
from django.test import Client

from reports import charts

pytestmark = pytest.mark.django_db


@pytest.fixture
def browser_client(owner):
    client = Client()
    client.force_login(owner)
    return client


def test_event_page_has_accessible_charts_and_text_alternatives(tea, browser_client):
    html = browser_client.get("/organizer/reports/events/tea-evening/").content.decode()
    svgs = re.findall(r"<svg [^>]*role=\"img\"[^>]*aria-labelledby=\"([^\"]+)\"", html)
    assert len(svgs) == 5  # arrivals, languages, two questions, ratings
    for ids in svgs:
        title_id, desc_id = ids.split()
        assert f'<title id="{title_id}">' in html and f'<desc id="{desc_id}">' in html
    assert "8 arrivals in total; most (2) between 18:55 and 19:00." in html
    assert '<th scope="row">Simplified Chinese</th><td>3</td><td>2</td>' in html  # the table beside the chart
    assert "@media print" not in html  # print rules live in the stylesheet
    assert "/api/v1/reports/events/tea-evening/attendance.csv" in html


def test_event_page_in_chinese(tea, browser_client):
    html = browser_client.get("/organizer/reports/events/tea-evening/?lang=zh-hans").content.decode()
    assert "茶艺之夜" in html and "您来自哪里？" in html and "德国" in html and "英语" in html


def test_course_page_lists_certificates_for_those_who_completed(course, browser_client):
    html = browser_client.get("/organizer/reports/events/chinese-beginners/").content.decode()
    assert html.count(">PDF</a>") == 3
    assert f"/api/v1/reports/events/chinese-beginners/certificates/{course.p3.pk}.pdf?seat=1" in html


def test_organization_page_shows_errors_next_to_the_dates(org, browser_client):
    response = browser_client.get("/organizer/reports/organizations/neighbours/?from=2026-05-01&to=2026-04-01")
    assert response.status_code == 400
    assert 'id="id_from_error"' in response.content.decode()


def test_index_lists_managed_events_and_organizations(tea, year, browser_client):
    html = browser_client.get("/organizer/reports/").content.decode()
    assert "/organizer/reports/events/tea-evening/" in html
    assert "/organizer/reports/organizations/neighbours/" in html
    assert "/organizer/reports/events/other/" not in html  # another organization's
    assert "/organizer/reports/events/draft/" not in html


def test_admin_event_page_links_to_the_report(tea, settings):
    from tests.factories import UserFactory

    admin = UserFactory(is_superuser=True, is_staff=True)
    client = Client()
    client.force_login(admin)
    html = client.get(f"/admin/events/event/{tea.event.pk}/change/").content.decode()
    assert 'href="/organizer/reports/events/tea-evening/"' in html


def test_charts_escape_text_and_scale_whole_numbers():
    svg = charts.column_chart(
        title="<script>", desc="a & b", labels=["<x>"], series=[charts.Series("n", [3], charts.DARK)]
    )
    assert "<script>" not in svg and "&lt;script&gt;" in svg and "a &amp; b" in svg
    assert charts.axis(2) == (1, 2)
    assert charts.axis(0) == (1, 1)
    assert charts.axis(37) == (10, 40)
    assert charts.axis(8) == (2, 8)
