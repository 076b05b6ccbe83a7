"""Registration use cases. Import from here: ``from registrations import services``."""

from registrations.services.payments import (
    checkout_start,
    door_payment_record,
    payment_refund,
    stripe_event_process,
    webhook_parse,
)
from registrations.services.register import (
    calendar_feed_rotate,
    clean_answers,
    event_recount,
    overdue_hold_ids,
    payments_enabled,
    registration_cancel,
    registration_create,
    registration_expire_hold,
    seats_taken,
    waitlist_promote,
    waitlist_promote_next,
)

__all__ = [
    "calendar_feed_rotate",
    "event_recount",
    "checkout_start",
    "clean_answers",
    "door_payment_record",
    "overdue_hold_ids",
    "payment_refund",
    "payments_enabled",
    "registration_cancel",
    "registration_create",
    "registration_expire_hold",
    "seats_taken",
    "stripe_event_process",
    "waitlist_promote",
    "waitlist_promote_next",
    "webhook_parse",
]
