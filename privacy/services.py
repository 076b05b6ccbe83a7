"""Personal data: what we hold about one registration (download), erasing it on request, and
anonymising registrations once their event is long over.

Scope: one registration. The manage token proves only that its holder has *that registration's*
link, which the registration API hands to whoever registered, before anyone has proved they
read the address's mail. So a download or an erasure through one link covers that registration
and what hangs off it (tickets, answers, consent, check-ins, payments, emails, feedback), never
other registrations that happen to use the same address: otherwise anyone could register with a
stranger's address and download, or erase, the stranger's registrations. Each registration has
its own link, and every email we send carries it. The one reach beyond the registration:
residents' comments and demands (``voices``) left with the same address, included in the export
and erased with the registration only once the holder has confirmed the address by its mailed
link (``address_proven``).

Anonymising keeps the rows and everything the reports count (status, party size, language,
check-ins, payments and amounts, ratings) and removes what identifies the person: name, email
(replaced by ``erased-<id>@anonymised.invalid``, unique per row so the one-active-per-address
index and distinct-participant counts still work), answers, consents, guests' names, the
account link, free-text feedback, the outbox rows' address and stored subject, the names in the
check-in answers kept for replays, the Stripe webhook payloads of its payments (they carry the
payer's name and email), stored registration responses of Idempotency-Key replays, the admin
history's description of the row, and the private calendar feed of the address once no other
registration uses it. Answers are cleared whatever their kind, so answer counts in the event
report lose those rows (a choice can be sensitive: diet, health, nationality).
"""

from __future__ import annotations

import datetime as dt
import logging

from celery import shared_task
from django.conf import settings
from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Max, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from checkin.models import CheckIn
from common.exceptions import Conflict, NotFound
from common.i18n import pick
from common.models import IdempotencyKey
from events.models import Event
from notifications.models import Feedback, Notification
from registrations import consent, tickets
from registrations.models import (
    CalendarFeed,
    FapiaoRequest,
    Payment,
    Receipt,
    Registration,
    RegistrationLine,
    StripeEvent,
    Ticket,
)
from registrations.selectors import event_is_over, registration_receipts
from registrations.services.register import registration_cancel
from voices import selectors as voice_reads
from voices import services as voice_services

logger = logging.getLogger(__name__)

ERASED_DOMAIN = "anonymised.invalid"  # RFC 2606: can never be a real mailbox
EXPORT_FORMAT = "huiguan-personal-data/1"
ANONYMISE_BATCH = 500
Reason = Registration.AnonymisedReason


def erased_email(registration_id: int) -> str:
    return f"erased-{registration_id}@{ERASED_DOMAIN}"


def export_filename(registration_id: int) -> str:
    """The name the download of ``registration_export`` is saved under."""
    return f"huiguan-registration-{registration_id}.json"


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _receipt_url(registration: Registration, number: int) -> str:
    path = reverse("pages:manage-receipt", kwargs={"token": registration.manage_token, "number": number})
    return f"{settings.SITE_URL}{path}"


def erase_cancels(*, registration: Registration, now: dt.datetime | None = None) -> bool:
    """Whether erasing this registration cancels it first (active, and its event still to come)."""
    if registration.anonymised_at is not None or registration.status not in Registration.ACTIVE:
        return False
    return not event_is_over(event_id=registration.event_id, now=now or timezone.now())


# --- download -------------------------------------------------------------------------------------


def registration_export(*, registration_id: int, now: dt.datetime | None = None) -> dict:
    """Everything we hold about one registration, as plain JSON-able data (see the module docstring).

    Volunteers' identities, payment provider ids, checkout URLs and other people's data are left out.
    """
    now = now or timezone.now()
    registration = (
        Registration.objects.select_related("event", "event__organization", "user")
        .prefetch_related("tickets", "event__questions", "event__sessions")
        .filter(pk=registration_id)
        .first()
    )
    if registration is None:
        raise NotFound(_("No such registration."))
    event = registration.event
    language = registration.language
    fallbacks = [event.default_language]
    questions = {question.key: question for question in event.questions.all()}
    confirmed = registration.status == Registration.Status.CONFIRMED
    feedback = Feedback.objects.filter(registration=registration).first()
    return {
        "format": EXPORT_FORMAT,
        "generated_at": _iso(now),
        "note": _(
            "This file holds what we store about this registration. Each of your registrations has its own "
            "private link, from which you can download or erase it."
        ),
        "registration": {
            "id": registration.pk,
            "status": registration.status,
            "name": registration.name,
            "email": registration.email,
            "language": registration.language,
            "party_size": registration.party_size,
            "signed_in_account": registration.user.get_username() if registration.user else None,
            "payment_method": registration.payment_method,
            "amount_due": str(registration.amount_due),
            "currency": registration.currency,
            "created_at": _iso(registration.created_at),
            "confirmed_at": _iso(registration.confirmed_at),
            "waitlisted_at": _iso(registration.waitlisted_at),
            "promoted_at": _iso(registration.promoted_at),
            "paid_at": _iso(registration.paid_at),
            "cancelled_at": _iso(registration.cancelled_at),
            "expired_at": _iso(registration.expired_at),
            "anonymised_at": _iso(registration.anonymised_at),
        },
        "event": {
            "slug": event.slug,
            "title": pick(event.title, language, fallbacks),
            "organizer": pick(event.organization.name, language, fallbacks) or event.organization.slug,
            "organizer_email": event.organization.contact_email,
            "sessions": [
                {"id": s.pk, "starts_at": _iso(s.starts_at), "ends_at": _iso(s.ends_at), "status": s.status}
                for s in sorted(event.sessions.all(), key=lambda s: (s.starts_at, s.pk))
            ],
        },
        "answers": [
            {
                "question": questions[key].t("label", language) if key in questions else key,
                "key": key,
                "answer": value,
            }
            for key, value in (registration.answers or {}).items()
        ],
        "consents": registration.consents,
        "tickets": [
            {
                "position": ticket.position,
                "name": ticket.name,
                # The code holds no personal data (registrations.tickets); only a confirmed seat has one.
                "code": tickets.ticket_code(ticket_id=ticket.pk) if confirmed else None,
            }
            for ticket in registration.tickets.all()
        ],
        # What each seat costs (ticket type, price, the code's discount).
        "lines": [
            {
                "position": line.position,
                "name": line.name,
                "ticket_type": line.ticket_type.t("name", registration.language) if line.ticket_type_id else None,
                "unit_price": str(line.unit_price),
                "discount": str(line.discount),
                "amount": str(line.amount),
            }
            for line in registration.lines.select_related("ticket_type").order_by("position")
        ],
        "code": registration.promo_code.code if registration.promo_code_id else None,
        "checkins": [
            {
                "ticket_position": row.ticket.position,
                "session_id": row.session_id,
                "direction": row.direction,
                "entry": row.entry,
                "status": row.status,
                "scanned_at": _iso(row.scanned_at),
                "source": row.source,
                "reverted_at": _iso(row.reverted_at),
            }
            for row in CheckIn.objects.filter(registration=registration).select_related("ticket").order_by("id")
        ],
        "payments": [
            {
                "provider": payment.provider,
                "status": payment.status,
                "amount": str(payment.amount),
                "currency": payment.currency,
                "created_at": _iso(payment.created_at),
                "paid_at": _iso(payment.paid_at),
                "refunded_at": _iso(payment.refunded_at),
                "refunds": [
                    {
                        "amount": str(refund.amount),
                        "reason": refund.reason,
                        "status": refund.status,
                        "requested_at": _iso(refund.requested_at),
                        "refunded_at": _iso(refund.refunded_at),
                    }
                    for refund in payment.refunds.order_by("id")
                ],
            }
            for payment in Payment.objects.filter(registration=registration).order_by("id")
        ],
        "receipts": [
            {
                "number": receipt.display_number,
                "issued_at": _iso(receipt.issued_at),
                "payer": receipt.payer_name,
                "lines": receipt.lines,
                "total": str(receipt.total),
                "currency": receipt.currency,
                "method": receipt.method,
                "pdf_url": settings.SITE_URL
                + reverse(
                    "pages:manage-receipt", kwargs={"token": registration.manage_token, "number": receipt.number}
                ),
            }
            for receipt in registration_receipts(registration=registration)
        ],
        "fapiao_request": (
            {
                "company_name": fapiao.company_name,
                "taxpayer_id": fapiao.taxpayer_id,
                "created_at": _iso(fapiao.created_at),
                "issued_at": _iso(fapiao.issued_at),
            }
            if (fapiao := FapiaoRequest.objects.filter(registration=registration).first()) is not None
            else None
        ),
        "emails": [
            {
                "kind": note.kind,
                "to": note.recipient,
                "language": note.language,
                "subject": note.subject,
                "status": note.status,
                "created_at": _iso(note.created_at),
                "sent_at": _iso(note.sent_at),
            }
            for note in Notification.objects.filter(registration=registration).order_by("id")
        ],
        "feedback": (
            {
                "rating": feedback.rating,
                "comment": feedback.comment,
                "language": feedback.language,
                "created_at": _iso(feedback.created_at),
                "updated_at": _iso(feedback.updated_at),
            }
            if feedback is not None
            else None
        ),
        "calendar_feed": CalendarFeed.objects.filter(email=registration.email).exists(),
        "comments": comments_export(registration=registration),
    }


def address_proven(registration: Registration) -> bool:
    """Whether this registration's holder has shown they read its address's mail (they followed the
    confirmation link sent there). Only then do its export and erasure reach what the address did
    outside the registration, such as residents' comments: otherwise anyone could register with a
    stranger's address and read, or erase, the stranger's comments."""
    return registration.email_confirmed_at is not None and registration.anonymised_at is None


def comments_export(*, registration: Registration) -> list[dict] | str:
    """The comments and demands left with this registration's address (``voices``), or a note
    on how to reach them when the address is not proven (each comment has its own private link)."""
    if not address_proven(registration):
        return _(
            "Comments and demands you sent with this address are not included because this address has not "
            "been confirmed: each has its own private link."
        )
    return [
        {
            "id": comment.pk,
            "organization": comment.organization.slug,
            "topic": comment.topic,
            "kind": comment.kind,
            "text": comment.text,
            "language": comment.language,
            "email": comment.email,
            "publish_consent": comment.publish_consent,
            "published": comment.published,
            "status": comment.status,
            "reply": comment.reply,
            "reply_language": comment.reply_language,
            "created_at": _iso(comment.created_at),
            "replied_at": _iso(comment.replied_at),
        }
        for comment in voice_reads.comments_for_email(email=registration.email)
    ]


# --- anonymise / erase ------------------------------------------------------------------------------

_CHECKIN_PERSONAL = ("attendee", "answers", "party")


def _scrub_checkin_response(response: dict) -> dict:
    """The stored scanner answer (replayed for a retried nonce) without names or answers."""
    scrubbed = {key: value for key, value in (response or {}).items() if key not in _CHECKIN_PERSONAL}
    if "message" in scrubbed:
        scrubbed["message"] = ""
    return scrubbed


@transaction.atomic
def registration_anonymise(*, registration_id: int, reason: str, now: dt.datetime | None = None) -> Registration:
    """Remove the personal data of one registration, keep what the reports count. Idempotent.

    Does not change the status: the caller cancels first where that is wanted. Locks only the
    registration row (no seat changes), so it never waits behind, or blocks, the event lock.
    """
    now = now or timezone.now()
    registration = Registration.objects.select_for_update().filter(pk=registration_id).first()
    if registration is None:
        raise NotFound(_("No such registration."))
    if registration.anonymised_at is not None:
        return registration
    old_email = registration.email
    placeholder = erased_email(registration.pk)
    registration.name = ""
    registration.email = placeholder
    registration.answers = {}
    registration.consents = {}
    registration.user = None
    registration.anonymised_at = now
    registration.anonymised_reason = reason
    fields = ["name", "email", "answers", "consents", "user", "anonymised_at", "anonymised_reason", "updated_at"]
    registration.save(update_fields=fields)
    Ticket.objects.filter(registration=registration).update(name="")
    RegistrationLine.objects.filter(registration=registration).update(name="")  # guests' names, per seat

    notes = Notification.objects.filter(registration=registration)
    notes.update(recipient=placeholder, subject="", last_error="")
    # Nothing more goes out: the address is gone (a cancellation notice queued a moment ago included).
    notes.filter(status=Notification.Status.PENDING).update(
        status=Notification.Status.SKIPPED, last_error="personal data erased"
    )
    Feedback.objects.filter(registration=registration).update(comment="")
    for row in CheckIn.objects.filter(registration=registration).only("pk", "response"):
        CheckIn.objects.filter(pk=row.pk).update(response=_scrub_checkin_response(row.response))

    payments = Payment.objects.filter(registration=registration)
    sessions = [value for value in payments.values_list("checkout_session_id", flat=True) if value]
    intents = [value for value in payments.values_list("payment_intent_id", flat=True) if value]
    if sessions or intents:
        StripeEvent.objects.filter(
            Q(payload__data__object__id__in=sessions) | Q(payload__data__object__payment_intent__in=intents)
        ).update(payload={"erased": True})
    payments.update(checkout_url="")
    # A receipt stays (its number and amount are the organization's books), without the payer.
    Receipt.objects.filter(registration=registration).update(payer_name="", payer_email="")
    FapiaoRequest.objects.filter(registration=registration, issued_at__isnull=True).delete()
    IdempotencyKey.objects.filter(scope__startswith="register:", response_body__id=registration.pk).update(
        response_body={"id": registration.pk, "erased": True}
    )
    LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(Registration), object_id=str(registration.pk)
    ).update(object_repr=f"Registration {registration.pk} (anonymised)")
    if not Registration.objects.filter(email=old_email).exists():
        CalendarFeed.objects.filter(email=old_email).delete()
    return registration


@transaction.atomic
def registration_erase(*, registration_id: int, now: dt.datetime | None = None) -> Registration:
    """The attendee asked us to erase their data: cancel it if it still counts, then anonymise. Idempotent.

    An active registration of an event still to come is cancelled through ``registration_cancel``
    (seat freed, waiting list promoted, online payment refunded by its rules). One of an event
    already over keeps its status: it is history, and the reports' counts must not change.
    """
    now = now or timezone.now()
    registration = Registration.objects.filter(pk=registration_id).only("pk", "status", "event_id", "anonymised_at")
    registration = registration.first()
    if registration is None:
        raise NotFound(_("No such registration."))
    if registration.anonymised_at is not None:
        return Registration.objects.get(pk=registration_id)
    if erase_cancels(registration=registration, now=now):
        registration_cancel(registration_id=registration_id, now=now)
    full = Registration.objects.only("pk", "email", "email_confirmed_at", "anonymised_at").get(pk=registration_id)
    if address_proven(full):
        # The address is theirs (see address_proven): their comments and demands go with it.
        voice_services.comments_erase_for_email(email=full.email)
    return registration_anonymise(registration_id=registration_id, reason=Reason.REQUEST, now=now)


# --- retention --------------------------------------------------------------------------------------


def _ended_before(cutoff: dt.datetime):
    """Events whose last session (cancelled ones included: a cancelled event ends too) ended before ``cutoff``."""
    return Event.objects.annotate(last_ends_at=Max("sessions__ends_at")).filter(last_ends_at__lt=cutoff)


def registrations_due_for_anonymisation(
    *, now: dt.datetime, days: int, after_id: int = 0, limit: int = ANONYMISE_BATCH
) -> list[int]:
    """Ids of registrations not yet anonymised whose event ended more than ``days`` days ago, in id order."""
    events = _ended_before(now - dt.timedelta(days=days)).values("pk")
    return list(
        Registration.objects.filter(event__in=events, anonymised_at__isnull=True, pk__gt=after_id)
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )


def registrations_anonymise_due(
    *, now: dt.datetime | None = None, days: int | None = None, batch: int = ANONYMISE_BATCH
) -> int:
    """Beat (daily): anonymise every registration past the retention period, a batch at a time.

    Each registration is its own short transaction, so a run holds no long locks and an
    interrupted run simply continues the next day. Returns how many were anonymised.
    """
    now = now or timezone.now()
    days = consent.anonymise_after_days() if days is None else days
    done, last_id = 0, 0
    while True:
        ids = registrations_due_for_anonymisation(now=now, days=days, after_id=last_id, limit=batch)
        if not ids:
            break
        for pk in ids:
            registration_anonymise(registration_id=pk, reason=Reason.RETENTION, now=now)
        done += len(ids)
        last_id = ids[-1]
    if done:
        logger.info("Anonymised %d registration(s) of events that ended over %d days ago", done, days)
    return done


def event_registrations_anonymise(*, event: Event, now: dt.datetime | None = None) -> int:
    """An organizer anonymises the registrations of one of their events that has ended. Returns how many."""
    now = now or timezone.now()
    if not event_is_over(event_id=event.pk, now=now):
        raise Conflict(_("Only the registrations of an event that has ended can be anonymised."), code="event_not_over")
    ids = Registration.objects.filter(event_id=event.pk, anonymised_at__isnull=True).values_list("pk", flat=True)
    count = 0
    for pk in list(ids.order_by("pk")):
        registration_anonymise(registration_id=pk, reason=Reason.RETENTION, now=now)
        count += 1
    return count


@shared_task(ignore_result=True, name="registrations.tasks.anonymise_old_registrations")
def anonymise_old_registrations() -> int:
    """Beat (daily): anonymise registrations of events that ended over ANONYMISE_AFTER_DAYS days ago."""
    return registrations_anonymise_due()
