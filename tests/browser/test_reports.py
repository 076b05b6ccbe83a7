"""The organizer's report page in real headless Chromium: charts render, scoping holds, it prints."""

from __future__ import annotations

import pytest

from tests.browser.conftest import logged_in, screenshot
from tests.reports.conftest import course, org, owner, tea, year  # noqa: F401 - the report fixtures

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture
def desktop(browser):
    context = browser.new_context(viewport=DESKTOP, device_scale_factor=1, locale="en-US", timezone_id="Asia/Shanghai")
    context.set_default_timeout(10_000)
    try:
        yield context
    finally:
        context.close()


def charts(page) -> list[dict]:
    return page.eval_on_selector_all(
        "svg.chart",
        """svgs => svgs.map(svg => ({
            title: svg.querySelector('title').textContent,
            desc: svg.querySelector('desc').textContent,
            labelledby: svg.getAttribute('aria-labelledby'),
            role: svg.getAttribute('role'),
            width: svg.getBoundingClientRect().width,
            bars: svg.querySelectorAll('rect').length,
        }))""",
    )


def test_event_report_page_with_charts(desktop, live_site, tea, owner):  # noqa: F811
    logged_in(desktop, owner, live_site)
    page = desktop.new_page()
    page.goto(live_site + "/organizer/reports/events/tea-evening/")
    assert page.get_by_role("heading", level=1).inner_text() == "Tea evening"

    cards = dict(
        zip(page.locator(".card dt").all_inner_texts(), page.locator(".card__value").all_inner_texts(), strict=True)
    )
    assert cards["Registered"] == "13"
    assert cards["Confirmed seats"] == "8"
    assert cards["Checked in"] == "8"
    assert cards["No-show rate"] == "25.0 %"
    assert cards["Door takings"] == "CNY 240.00"
    assert cards["Feedback"] == "4.0 / 5"

    found = charts(page)
    titles = [chart["title"] for chart in found]
    assert titles[0].startswith("Arrivals per 5 minutes")
    assert "Attendees by language" in titles and "Where are you from?" in titles and "Ratings" in titles
    for chart in found:
        assert chart["role"] == "img" and chart["desc"] and chart["width"] > 200 and chart["bars"] > 0
    arrivals = found[0]
    assert "8 arrivals in total; most (2) between 18:55 and 19:00" in arrivals["desc"]
    assert page.get_by_role("img", name=arrivals["title"]).is_visible()  # the accessible name is the <title>
    assert page.get_by_text("Wonderful tea").is_visible()
    path = screenshot(page, "report-event")
    assert path.stat().st_size > 10_000

    # Printing hides the navigation and the downloads but keeps the charts.
    page.emulate_media(media="print")
    assert not page.locator("#downloads").is_visible()
    assert page.locator("svg.chart").first.is_visible()


def test_course_report_page_with_attendance_and_certificates(desktop, live_site, course, owner):  # noqa: F811
    logged_in(desktop, owner, live_site)
    page = desktop.new_page()
    page.goto(live_site + "/organizer/reports/events/chinese-beginners/")
    titles = [chart["title"] for chart in charts(page)]
    assert "Attendance per session (checked in of confirmed seats)" in titles
    assert "Participants by number of sessions attended" in titles
    assert page.get_by_text("3 of 5 participants completed.").is_visible()
    matrix = page.locator("table.matrix")
    assert matrix.locator("tbody tr").count() == 5
    assert matrix.locator("tr.completed").count() == 3
    certificate = matrix.locator("tr", has_text="陈美玲").get_by_role("link", name="PDF")
    response = page.request.get(live_site + certificate.get_attribute("href"))
    assert response.status == 200 and response.headers["content-type"] == "application/pdf"
    screenshot(page, "report-course")


def test_organization_report_page(desktop, live_site, year, owner):  # noqa: F811
    logged_in(desktop, owner, live_site)
    page = desktop.new_page()
    page.goto(live_site + "/organizer/reports/organizations/neighbours/?from=2026-01-01&to=2026-03-31")
    cards = dict(
        zip(page.locator(".card dt").all_inner_texts(), page.locator(".card__value").all_inner_texts(), strict=True)
    )
    assert cards == {
        "Events held": "4",
        "Registrations": "11",
        "Attendance rate": "50.0 %",
        "Unique participants": "5",
        "Returning participants": "2",
        # residents' comments (voices): none in this world, so no answer time yet
        "Median time to first answer": "—",
        "Mean time to first answer": "—",
    }
    assert len(charts(page)) == 3
    screenshot(page, "report-organization")

    page.locator("#id_from").fill("2026-04-01")
    page.get_by_role("button", name="Show").click()
    page.wait_for_load_state()
    assert page.locator("#id_from_error").inner_text() == "The start date is after the end date."


def test_report_page_on_a_phone(page, live_site, tea, owner):  # noqa: F811
    logged_in(page.context, owner, live_site)
    page.goto(live_site + "/organizer/reports/events/tea-evening/")
    assert page.locator("svg.chart").count() >= 4
    screenshot(page, "report-event-phone")
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0  # nothing wider than the phone (wide charts scroll inside their box)
