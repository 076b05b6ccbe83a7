"""Recurring sessions: an RFC 5545 RRULE to wall-clock dates, and wall-clock times to aware ones.

Pure functions (no database): a course's "every Tuesday at 19:00 in Berlin" stays 19:00 local
across DST changes.
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo

from dateutil import rrule
from django.utils.translation import gettext as _

from common.exceptions import InvalidInput
from events.limits import MAX_GENERATED_SESSIONS


def parse_recurrence(*, rule: str, first_start: dt.datetime) -> list[dt.datetime]:
    """Occurrences (naive wall-clock) of an RFC 5545 RRULE starting at naive ``first_start``.

    The rule must be bounded (COUNT or UNTIL) and give at most MAX_GENERATED_SESSIONS dates.
    """
    text = (rule or "").strip()
    if text.upper().startswith("RRULE:"):
        text = text[6:]
    if not text:
        raise InvalidInput(fields={"rule": [_("A recurrence rule is required, e.g. FREQ=WEEKLY;BYDAY=TU;COUNT=8.")]})
    upper = text.upper()
    if "COUNT=" not in upper and "UNTIL=" not in upper:
        raise InvalidInput(fields={"rule": [_("The rule needs COUNT or UNTIL, so the course ends.")]})
    if "DTSTART" in upper:
        raise InvalidInput(fields={"rule": [_("Give the first start separately, not as DTSTART in the rule.")]})
    # "Until 1 February" means the sessions on 1 February too: a date-only UNTIL covers its whole day.
    text = re.sub(r"(?i)UNTIL=(\d{8})(?=;|$)", r"UNTIL=\1T235959", text)
    try:
        recurrence = rrule.rrulestr(text, dtstart=first_start, forceset=False)
        occurrences = []
        for occurrence in recurrence:
            occurrences.append(occurrence)
            if len(occurrences) > MAX_GENERATED_SESSIONS:
                break
    except (ValueError, TypeError, OverflowError, KeyError, AttributeError) as exc:
        raise InvalidInput(fields={"rule": [_("Not a valid recurrence rule: %(error)s") % {"error": exc}]}) from exc
    if len(occurrences) > MAX_GENERATED_SESSIONS:
        raise InvalidInput(
            fields={"rule": [_("The rule gives more than %(max)d sessions.") % {"max": MAX_GENERATED_SESSIONS}]}
        )
    if not occurrences:
        raise InvalidInput(fields={"rule": [_("The rule gives no dates.")]})
    return occurrences


def localize(naive: dt.datetime, tz_name: str) -> dt.datetime:
    """Attach a zone to a wall-clock time. A time skipped by a DST jump moves forward by the gap."""
    zone = zoneinfo.ZoneInfo(tz_name)
    aware = naive.replace(tzinfo=zone)
    # Round-trip through UTC: a non-existent local time (spring forward) normalises to a real one.
    return aware.astimezone(dt.UTC).astimezone(zone)
