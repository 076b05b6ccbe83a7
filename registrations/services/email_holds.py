""" "Confirm your email to keep the seat": holds that only the mailbox's owner can turn into seats.

Without it anyone can fill a free event from one client: an address per registration, no proof
that the mailbox exists (the API hands out the manage link at once, so that link proves nothing).
An event with ``email_confirm_minutes`` > 0 gives a new registration its seat as a hold
(``pending_email``, ``hold_expires_at``), exactly as an unpaid online registration is held: the
seat counts, the waiting list waits behind it, and an overdue hold is released under the event
lock on the next seat decision and by the beat task (``registrations.services.register``). The
link that turns it into a confirmed seat (or, on a paid event, into a payment hold) travels only
by email; it is signed (``django.core.signing``) over the registration id and address, so it needs
no stored token and stops working if the address is erased.

``Event.open_holds_per_domain`` caps the seats on hold (email or payment) per email domain: an
attacker with a catch-all domain can receive every confirmation link, but not hold more than that
many seats at a time. It is counted under the event lock, so concurrent registrations cannot
overshoot it. Big webmail domains share it too, so it is off unless an organizer sets it.
"""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext as _

from common.exceptions import Conflict
from events.models import Event
from registrations.models import Registration


class TooManyHoldsForDomain(Conflict):
    code = "domain_hold_limit"


def email_confirmation_required(*, event: Event, registration: Registration) -> bool:
    """Whether this registration must prove its address before its seat is confirmed."""
    return bool(event.email_confirm_minutes) and registration.email_confirmed_at is None


def email_hold_until(*, event: Event, now: dt.datetime) -> dt.datetime:
    return now + dt.timedelta(minutes=event.email_confirm_minutes)


def email_domain(email: str) -> str:
    return email.rsplit("@", 1)[-1].lower()


def check_open_holds_per_domain(*, event: Event, registration: Registration) -> None:
    """Refuse a new hold when the address's domain already has ``open_holds_per_domain`` seats on hold.

    Caller holds the event lock (so two registrations cannot both take the last allowed hold) and
    is about to give ``registration`` a seat. Only a seat that would be held counts (confirmation
    by email, online payment); a seat confirmed at once, or a place on the waiting list, is no hold.
    """
    limit = event.open_holds_per_domain
    unpaid_online = registration.payment_method == Registration.PaymentMethod.ONLINE and registration.paid_at is None
    if not limit or not (email_confirmation_required(event=event, registration=registration) or unpaid_online):
        return
    domain = email_domain(registration.email)
    held = Registration.objects.filter(
        event_id=event.pk, status__in=Registration.ON_HOLD, email__endswith=f"@{domain}"
    ).count()
    if held >= limit:
        raise TooManyHoldsForDomain(
            _(
                "Too many registrations with addresses at %(domain)s are waiting for confirmation. "
                "Please confirm those first or try again later."
            )
            % {"domain": domain}
        )
