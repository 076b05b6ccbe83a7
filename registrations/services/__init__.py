"""Registration use cases. Import from here: ``from registrations import services``.

``register`` (book, cancel, expire), ``desk`` (an organizer's promotion by hand, ticket resend),
``seats`` (the seat ledger and waiting list, under the event
lock), ``payments`` (Stripe Checkout, webhooks, refunds, door payments)."""

from registrations.services.desk import ticket_resend, waitlist_promote_by_hand
from registrations.services.payments import (
    checkout_start,
    door_payment_record,
    payment_refund,
    stripe_event_process,
    webhook_parse,
)
from registrations.services.register import (
    calendar_feed_rotate,
    calendar_feed_send,
    clean_answers,
    clean_consents,
    overdue_hold_ids,
    payments_enabled,
    registration_cancel,
    registration_confirm_email,
    registration_create,
    registration_expire_hold,
)
from registrations.services.seats import (
    event_recount,
    seats_taken,
    waitlist_promote,
    waitlist_promote_next,
)

__all__ = [
    "calendar_feed_rotate",
    "calendar_feed_send",
    "event_recount",
    "checkout_start",
    "clean_answers",
    "clean_consents",
    "door_payment_record",
    "overdue_hold_ids",
    "payment_refund",
    "payments_enabled",
    "registration_cancel",
    "registration_confirm_email",
    "registration_create",
    "registration_expire_hold",
    "seats_taken",
    "stripe_event_process",
    "ticket_resend",
    "waitlist_promote",
    "waitlist_promote_by_hand",
    "waitlist_promote_next",
    "webhook_parse",
]
