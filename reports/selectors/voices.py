"""Residents' comments in an organization's report: counts per topic and the time to first answer."""

from __future__ import annotations

import datetime as dt

from organizations.models import Organization
from reports.selectors.common import zone
from reports.selectors.organizations import DateRange
from voices import selectors as voices


def organization_voices(*, organization: Organization, date_range: DateRange) -> dict:
    """Comments received on the range's days (in the organization's time zone, both ends included)."""
    tz = zone(organization.timezone)
    start = dt.datetime.combine(date_range.first, dt.time(0), tzinfo=tz)
    end = dt.datetime.combine(date_range.last + dt.timedelta(days=1), dt.time(0), tzinfo=tz)
    report = voices.voices_report(organization=organization, start=start, end=end)
    return {"organization": organization.slug, "from": date_range.first, "to": date_range.last, **report}
