"""Report reads. Each figure is aggregated in the database; see each module's definitions."""

from reports.selectors.common import report_event, report_organization
from reports.selectors.courses import attendance_table, course_summary, participant_completion
from reports.selectors.events import event_report
from reports.selectors.organizations import organization_report, parse_date_range
from reports.selectors.voices import organization_voices

__all__ = [
    "attendance_table",
    "course_summary",
    "event_report",
    "organization_report",
    "organization_voices",
    "parse_date_range",
    "participant_completion",
    "report_event",
    "report_organization",
]
