"""Registration use cases. Import from here: ``from registrations import services``.

``register`` (book, cancel, expire), ``desk`` (an organizer's promotion by hand, ticket resend),
``seats`` (the seat ledger and waiting list, under the event
lock), ``payments`` (Stripe Checkout, webhooks, door payments), ``refunds`` (durable refund rows,
the policy on cancel, the desk's refunds), ``receipts`` (numbered receipts, fapiao requests)."""

from registrations.services.desk import ticket_resend, waitlist_promote_by_hand
from registrations.services.payments import (
    checkout_start,
    door_payment_record,
    stripe_event_process,
    webhook_parse,
)
from registrations.services.receipts import fapiao_request_save, receipt_issue
from registrations.services.refunds import refund_run, registration_refund
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
    "receipt_issue",
    "refund_run",
    "registration_refund",
    "fapiao_request_save",
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
