"""'My registrations': a resident who lost their emails asks for one link to all of them.

The form answers the same whether or not the address has registrations (nobody learns who
registered from it), is rate limited like registering (per client address and per email), and
sends at most one email per address per window (the outbox's dedupe key). The link is random
(256 bits), mailed only to the address, and expires after ``MY_REGISTRATIONS_LINK_HOURS``.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from notifications import outbox
from registrations.models import Registration, RegistrationsLink

DEFAULT_LINK_HOURS = 24


def link_lifetime() -> dt.timedelta:
    return dt.timedelta(hours=getattr(settings, "MY_REGISTRATIONS_LINK_HOURS", DEFAULT_LINK_HOURS))


@transaction.atomic
def my_registrations_link_send(*, email: str, language: str, now: dt.datetime | None = None) -> bool:
    """Mail ``email`` a link to all its registrations if it has any; True if a mail was queued.

    The caller must answer the same either way. No lock: two requests at once both pass the
    outbox's dedupe-key check, and its unique index lets one of the two emails through.
    """
    now = now or timezone.now()
    email = email.strip().lower()
    latest = Registration.objects.filter(email=email, anonymised_at__isnull=True).order_by("-created_at", "-id")
    registration = latest.first()
    if registration is None:
        return False
    if outbox.notify_my_registrations(registration=registration, language=language, now=now) is None:
        return False  # already mailed in this window: the link in that email still works
    RegistrationsLink.objects.create(email=email, expires_at=now + link_lifetime())
    return True
