"""Building one email from one outbox row: templates per language, QR tickets, calendar invites.

Messages are built when they are sent, not when they are queued: queueing happens inside the
event-locked transaction of a registration or a schedule change, and QR images, invites and
templates would lengthen that lock; a message that waited (broker down) also shows the facts of
the moment it leaves. What must not change in between (the old time of a moved session, an
announcement's text) is frozen in ``Notification.params`` when the row is written.

Templates live in ``notifications/templates/notifications/<language>/<kind>.{subject.txt,txt,html}``
and are rendered under ``translation.override(language)`` and the event's time zone. The English
ones use ``{% translate %}`` so a later .po catalogue can translate them; until then zh-hans and
ja have their own directories, and a language without one falls back to English.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass
from email.mime.image import MIMEImage
from email.utils import parseaddr
from urllib.parse import urlencode, urlsplit
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.core.mail.message import SafeMIMEMultipart, SafeMIMEText
from django.db.models import Prefetch, prefetch_related_objects
from django.template import Context
from django.template.loader import select_template
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.dateformat import format as date_format
from django.utils.html import escape, linebreaks
from django.utils.translation import gettext_lazy as _
from icalendar import Calendar

from common.i18n import normalize_language, pick
from events.models import Event, Session
from notifications.models import Notification
from organizations.models import Venue
from registrations import calendars, confirm_links, selectors, tickets
from registrations.models import Payment, Registration

Kind = Notification.Kind
RS = Registration.Status

# Sessions listed in one email; a long course says "and N more" and points to the calendar.
MAX_LISTED_SESSIONS = 12
ZERO_DECIMAL_CURRENCIES = frozenset({"JPY", "KRW", "VND"})

DATE_FORMATS = {"en": "l j F Y", "zh-hans": "Y年n月j日 l", "ja": "Y年n月j日(D)"}
RANGE_SEPARATOR = {"en": "–", "zh-hans": "–", "ja": "〜"}


class Skip(Exception):
    """The message is no longer relevant (e.g. a confirmation for a registration since cancelled)."""


class RichEmail(EmailMultiAlternatives):
    """An email whose HTML shows images by ``cid:`` reference.

    The structure mail clients expect: ``multipart/mixed`` [``multipart/related``
    [``multipart/alternative`` [text, html], inline images…], attachments…]. Django 5.2 has no
    public switch for the related part, so this wraps what ``_create_alternatives`` returns.
    """

    def __init__(self, *args, inline_images: list[MIMEImage] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.inline_images = list(inline_images or [])

    def _create_alternatives(self, msg):
        msg = super()._create_alternatives(msg)
        if not self.inline_images:
            return msg
        related = SafeMIMEMultipart(_subtype="related", encoding=self.encoding or settings.DEFAULT_CHARSET)
        related.set_param("type", "multipart/alternative")
        related.attach(msg)
        for image in self.inline_images:
            related.attach(image)
        return related


@dataclass
class Built:
    message: RichEmail
    subject: str


# --- loading ---------------------------------------------------------------------------------

# What each kind reads beyond the registration, its event, organization and venue (loaded with
# the notification in one query): the sessions list / invite, and the tickets for QR codes.
NEEDS_SESSIONS = frozenset(
    {
        Kind.CONFIRMATION,
        Kind.PAYMENT_DUE,
        Kind.EMAIL_CONFIRM,
        Kind.WAITLISTED,
        Kind.PROMOTED,
        Kind.CHANGED,
        Kind.CANCELLED,
    }
)
NEEDS_TICKETS = frozenset({Kind.CONFIRMATION, Kind.PROMOTED})
NOTIFICATION_RELATED = (
    "registration__event__organization",
    "registration__event__venue",
    "session__venue",
    "announcement",
    "comment__organization",
)


def _load(notification: Notification) -> Registration:
    """The registration with what this kind's templates and calendars read: at most two more queries."""
    registration = notification.registration
    lookups = []
    if notification.kind in NEEDS_SESSIONS:
        sessions = Session.objects.select_related("venue").order_by("starts_at", "id")
        lookups.append(Prefetch("event__sessions", queryset=sessions))
    if notification.kind in NEEDS_TICKETS:
        lookups.append("tickets")
    prefetch_related_objects([registration], *lookups)
    if notification.session is not None:
        notification.session.event = registration.event  # its venue falls back to the event's
    return registration


# --- formatting --------------------------------------------------------------------------------


def language_of(code: str | None) -> str:
    return normalize_language(code) or settings.LANGUAGE_CODE


def format_moment(value: dt.datetime, *, zone: str, language: str) -> str:
    """ "Tuesday 2 December 2025, 19:00" in ``zone``, written the way the reader's language writes dates."""
    local = value.astimezone(ZoneInfo(zone))
    date_fmt = DATE_FORMATS.get(language, DATE_FORMATS["en"])
    comma = ", " if language == "en" else " "
    with translation.override(language):
        return f"{date_format(local, date_fmt)}{comma}{date_format(local, 'H:i')}"


def format_span(starts_at: dt.datetime, ends_at: dt.datetime, *, zone: str, language: str) -> str:
    """ "Tuesday 2 December 2025, 19:00–21:00 (Asia/Shanghai)" in the event's zone and the reader's language."""
    tz = ZoneInfo(zone)
    start, end = starts_at.astimezone(tz), ends_at.astimezone(tz)
    separator = RANGE_SEPARATOR.get(language, "–")
    text = format_moment(start, zone=zone, language=language) + separator
    if start.date() == end.date():
        text += date_format(end, "H:i")
    else:
        text += format_moment(end, zone=zone, language=language)
    return f"{text} ({zone})" if language == "en" else f"{text}（{zone}）"


def format_money(amount, currency: str) -> str:
    currency = (currency or "").upper()
    value = f"{int(amount)}" if currency in ZERO_DECIMAL_CURRENCIES else f"{amount:.2f}"
    return f"{value} {currency}"


def _pick(value, language: str, event: Event) -> str:
    return pick(value, language, [event.default_language, event.organization.default_language])


def place_of(venue, event: Event, language: str) -> dict:
    """Name, address and map link of a venue in ``language``; an online event gives its link."""
    if venue is None:
        return {"name": "", "address": "", "map_url": "", "online_url": event.online_url, "text": event.online_url}
    name = _pick(venue.name, language, event)
    address = _pick(venue.address, language, event)
    return {
        "name": name,
        "address": address,
        "map_url": venue.map_url,
        "online_url": event.online_url,
        "text": ", ".join(part for part in (name, address) if part),
    }


def _place(session: Session | None, event: Event, language: str) -> dict:
    return place_of(session.effective_venue if session is not None else event.venue, event, language)


def _session_item(session: Session, event: Event, language: str) -> dict:
    return {
        "id": session.pk,
        "title": _pick(session.title, language, event),
        "when": format_span(session.starts_at, session.ends_at, zone=event.timezone, language=language),
        "place": _place(session, event, language),
        "cancelled": session.is_cancelled,
    }


# --- links ------------------------------------------------------------------------------------


def feedback_url(registration: Registration, rating: int | None = None) -> str:
    path = reverse("notifications:feedback-form", kwargs={"pk": registration.pk})
    query = {"token": registration.manage_token}
    if rating:
        query["rating"] = rating
    return f"{settings.SITE_URL}{path}?{urlencode(query)}"


def certificate_url(registration: Registration, seat: int) -> str:
    """The certificate behind the attendee's manage link (served by the reports desk)."""
    path = reverse("certificates:attendee", kwargs={"token": registration.manage_token, "seat": seat})
    return f"{settings.SITE_URL}{path}"


def _mail_domain() -> str:
    address = parseaddr(settings.DEFAULT_FROM_EMAIL)[1]
    return address.rsplit("@", 1)[-1] if "@" in address else (urlsplit(settings.SITE_URL).hostname or "localhost")


def message_id(notification: Notification) -> str:
    """Stable per row: if an admin re-sends a message, clients see the same Message-ID and fold the two."""
    digest = hashlib.sha256(f"{settings.SECRET_KEY}:{notification.dedupe_key}".encode()).hexdigest()[:16]
    return f"<notification-{notification.pk}.{digest}@{_mail_domain()}>"


# --- context ----------------------------------------------------------------------------------


def _check_relevant(notification: Notification, registration: Registration, now: dt.datetime) -> None:
    status, event, session = registration.status, registration.event, notification.session
    kind = notification.kind
    if registration.anonymised_at is not None:
        # Its address is a placeholder now; a retried or later row must not go anywhere.
        raise Skip("the registration's personal data was erased")
    reasons = {
        Kind.CONFIRMATION: status != RS.CONFIRMED and "the registration is no longer confirmed",
        Kind.PAYMENT_DUE: status != RS.PENDING_PAYMENT and "the registration no longer awaits payment",
        Kind.WAITLISTED: status != RS.WAITLISTED and "the registration left the waiting list",
        Kind.PROMOTED: status not in Registration.SEAT_HOLDING and "the registration no longer holds a seat",
        Kind.HOLD_EXPIRED: status != RS.EXPIRED and "the registration is no longer expired",
        Kind.EMAIL_CONFIRM: status != RS.PENDING_EMAIL and "the registration no longer awaits the email confirmation",
        Kind.MANAGE_LINK: status not in Registration.ACTIVE and "the registration is no longer active",
        Kind.CALENDAR_FEED: status != RS.CONFIRMED and "the registration is no longer confirmed",
        Kind.ANNOUNCEMENT: status not in Registration.ACTIVE and "the registration is no longer active",
        Kind.CHANGED: status not in Registration.ACTIVE and "the registration is no longer active",
        Kind.CERTIFICATE: status != RS.CONFIRMED and "the registration is no longer confirmed",
    }
    reason = reasons.get(kind)
    if kind == Kind.REMINDER:
        if status != RS.CONFIRMED:
            reason = "the registration is no longer confirmed"
        elif event.status == Event.Status.CANCELLED or session is None or session.is_cancelled:
            reason = "the session was cancelled"
        elif session.starts_at <= now:
            reason = "the session has already started"
    if kind == Kind.CHANGED and not reason:
        if event.status == Event.Status.CANCELLED:
            reason = "the event was cancelled since"
        elif notification.params.get("scope") not in ("schedule", "venue") and (
            session is None or session.is_cancelled
        ):
            reason = "the session was cancelled since"
    if kind == Kind.FEEDBACK_REQUEST and hasattr(registration, "feedback"):
        reason = "feedback was already given"
    if reason:
        raise Skip(reason)


def _common_context(notification: Notification, registration: Registration, language: str) -> dict:
    event = registration.event
    organization = event.organization
    sessions = list(event.sessions.all()) if notification.kind in NEEDS_SESSIONS else []
    live = [session for session in sessions if not session.is_cancelled]
    links = selectors.registration_links(registration=registration)
    paid = registration.amount_due > 0  # what this party owes (ticket types and codes), not the event's price
    return {
        "kind": notification.kind,
        "language": language,
        "name": registration.name,
        "registration": registration,
        "status": registration.status,
        "event_title": _pick(event.title, language, event),
        "event_summary": _pick(event.summary, language, event),
        "event_url": calendars.event_url(event),
        "is_course": event.kind == Event.Kind.COURSE,
        "org_name": _pick(organization.name, language, event) or organization.slug,
        "org_email": organization.contact_email,
        "place": _place(None, event, language),
        "sessions": [_session_item(session, event, language) for session in live[:MAX_LISTED_SESSIONS]],
        "more_sessions": max(len(live) - MAX_LISTED_SESSIONS, 0),
        "party_size": registration.party_size,
        "paid": paid,
        "amount_due": format_money(registration.amount_due, registration.currency) if paid else "",
        "owes_at_door": registration.owes_at_door,
        "manage_url": links["manage_url"],
        "ticket_url": links["ticket_url"],
        "calendar_url": links["calendar_url"],
        "payment_url": (
            selectors.payment_url(registration=registration)
            if registration.status == RS.PENDING_PAYMENT and registration.payment_method == "online"
            else ""
        ),
        "hold_expires": (
            format_moment(registration.hold_expires_at, zone=event.timezone, language=language)
            if registration.hold_expires_at
            else ""
        ),
        "waitlist_position": selectors.waitlist_position(registration=registration),
        "params": notification.params,
    }


def _kind_context(notification: Notification, registration: Registration, language: str, context: dict) -> None:
    event = registration.event
    params = notification.params or {}
    session = notification.session
    if session is not None:
        context["session"] = _session_item(session, event, language)
    kind = notification.kind
    if kind == Kind.REMINDER:
        context["hours"] = event.reminder_hours
    elif kind == Kind.MY_REGISTRATIONS:
        url = selectors.my_registrations_url(email=registration.email)
        if url is None:
            raise Skip("the address has no unexpired link to its registrations")
        context["my_url"] = url
    elif kind == Kind.CALENDAR_FEED:
        urls = selectors.calendar_feed_urls(email=registration.email)
        if urls is None:
            raise Skip("the address has no calendar feed")
        context.update(urls)
    elif kind == Kind.CHANGED and params.get("scope") == "schedule":
        context["scope"] = "schedule"
        context["added"] = params.get("added", 0)
        context["cancelled_count"] = params.get("cancelled", 0)
    elif kind == Kind.CHANGED and params.get("scope") == "venue":
        # The whole event moved: the single-move wording with only the place row, old → now.
        old_venue = Venue.objects.filter(pk=params.get("old_venue_id") or 0).first()
        context["old"] = {"place": place_of(old_venue, event, language)}
        context["new"] = {"place": context["place"]}
        context["time_changed"] = False
        context["place_changed"] = True
    elif kind == Kind.CHANGED:
        old_venue = Venue.objects.filter(pk=params.get("old_venue_id") or 0).first()
        old_start = dt.datetime.fromisoformat(params["old_starts_at"])
        old_end = dt.datetime.fromisoformat(params["old_ends_at"])
        context["old"] = {
            "when": format_span(old_start, old_end, zone=event.timezone, language=language),
            "place": place_of(old_venue, event, language),
        }
        context["new"] = context["session"]
        context["time_changed"] = (old_start, old_end) != (session.starts_at, session.ends_at)
        context["place_changed"] = params.get("old_venue_id") != session.effective_venue_id
    elif kind == Kind.CANCELLED:
        context["scope"] = params.get("scope", "registration")
        payments = list(registration.payments.all())
        context["refund"] = any(
            payment.status in (Payment.Status.REFUND_PENDING, Payment.Status.REFUNDED) for payment in payments
        )
        context["paid_amount"] = format_money(
            sum(payment.amount for payment in payments if payment.status != Payment.Status.FAILED and payment.paid_at),
            registration.currency,
        )
        context["has_paid"] = any(payment.paid_at for payment in payments) or registration.paid_at is not None
    elif kind == Kind.EMAIL_CONFIRM:
        context["confirm_url"] = confirm_links.confirm_url(registration=registration)
        context["promoted"] = bool(params.get("promoted"))
    elif kind == Kind.HOLD_EXPIRED:
        context["hold"] = params.get("hold", "payment")
    elif kind == Kind.FEEDBACK_REQUEST:
        context["feedback_url"] = feedback_url(registration)
        context["rating_urls"] = [(rating, feedback_url(registration, rating)) for rating in range(1, 6)]
    elif kind == Kind.CERTIFICATE:
        names = {ticket.position: ticket.name or registration.name for ticket in registration.tickets.all()}
        context["certificates"] = [
            {"name": names.get(seat, registration.name), "url": certificate_url(registration, seat)}
            for seat in params.get("seats", [0])
        ]
    elif kind == Kind.ANNOUNCEMENT:
        parts = announcement_parts(notification.announcement, language, event.organization.default_language)
        context["parts"] = parts
        context["translated"] = [part["language"] for part in parts] == [language]
        context["announcement_subject"] = " / ".join(part["subject"] for part in parts)


def announcement_parts(announcement, language: str, organization_language: str) -> list[dict]:
    """The announcement in the reader's language if it was written in it, else the organizer's
    language and English (one of them if that is all there is), else whatever was written."""
    subject, body = announcement.subject or {}, announcement.body or {}
    written = [code for code, text in subject.items() if text and body.get(code)]
    if language in written:
        chosen = [language]
    else:
        chosen = list(dict.fromkeys(code for code in (organization_language, "en") if code in written))
        chosen = chosen or written[:1]
    return [{"language": code, "subject": subject[code], "body": body[code]} for code in chosen]


# --- attachments ------------------------------------------------------------------------------


def _ticket_images(registration: Registration) -> tuple[list[MIMEImage], list[MIMEImage]]:
    """One QR per seat: an inline copy (shown in the HTML by cid) and an attached file."""
    inline, attached = [], []
    for ticket in registration.tickets.all():
        png = tickets.qr_png(code=tickets.ticket_code(ticket_id=ticket.pk))
        filename = f"ticket-{registration.pk}-{ticket.position + 1}.png"
        image = MIMEImage(png, "png")
        image.add_header("Content-ID", f"<{ticket_cid(ticket.pk)}>")
        image.add_header("Content-Disposition", "inline", filename=filename)
        inline.append(image)
        copy = MIMEImage(png, "png")
        copy.add_header("Content-Disposition", "attachment", filename=filename)
        attached.append(copy)
    return inline, attached


def ticket_cid(ticket_id: int) -> str:
    return f"ticket-{ticket_id}@huiguan"


def _calendar_part(ics: bytes, method: str) -> SafeMIMEText:
    part = SafeMIMEText(ics.decode("utf-8"), "calendar", "utf-8")
    part.set_param("method", method)
    part.add_header("Content-Disposition", "attachment", filename="invite.ics")
    return part


def _only_session(ics: bytes, session: Session) -> bytes:
    """Keep one session's VEVENT (and the time zones) of an invite: cancelling one lesson of a course."""
    calendar = Calendar.from_ical(ics)
    uid = calendars.session_uid(session)
    calendar.subcomponents[:] = [
        component
        for component in calendar.subcomponents
        if component.name != "VEVENT" or str(component.get("uid")) == uid
    ]
    return calendar.to_ical()


def _attachments(notification: Notification, registration: Registration, context: dict, language: str):
    """(inline images, attachments) for the kinds that carry a ticket or an invite."""
    kind = notification.kind
    confirmed = registration.status == RS.CONFIRMED
    if kind in (Kind.CONFIRMATION, Kind.PROMOTED) and confirmed:
        inline, attached = _ticket_images(registration)
        context["ticket_cids"] = [(ticket.name, ticket_cid(ticket.pk)) for ticket in registration.tickets.all()]
        invite = calendars.registration_invite(registration=registration, method="REQUEST", language=language)
        return inline, [*attached, _calendar_part(invite, "REQUEST")]
    if kind == Kind.CHANGED and confirmed:
        invite = calendars.registration_invite(registration=registration, method="REQUEST", language=language)
        return [], [_calendar_part(invite, "REQUEST")]
    if kind == Kind.CANCELLED and registration.confirmed_at is not None:
        # Only people who had the invite in their calendar get a cancellation for it.
        scope = context.get("scope")
        if scope == "session" and notification.session is not None:
            invite = calendars.registration_invite(registration=registration, method="CANCEL", language=language)
            return [], [_calendar_part(_only_session(invite, notification.session), "CANCEL")]
        invite = calendars.registration_invite(registration=registration, method="CANCEL", language=language)
        return [], [_calendar_part(invite, "CANCEL")]
    return [], []


# --- templates --------------------------------------------------------------------------------


def _render(kind: str, part: str, language: str, context: dict) -> str:
    template = select_template([f"notifications/{language}/{kind}.{part}", f"notifications/en/{kind}.{part}"])
    if part == "subject.txt":
        # A subject is a header, plain text: "Q&A" must not arrive as "Q&amp;A". Switched off here
        # for every subject template rather than by a tag in each (one forgotten would escape).
        return template.template.render(Context(context, autoescape=False))
    return template.render(context)


def _one_line(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _tidy(text: str) -> str:
    """Plain text from templates: no trailing blanks, at most one empty line in a row."""
    lines = [line.rstrip() for line in text.strip().splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)) + "\n"


def build(notification: Notification, *, now: dt.datetime | None = None) -> Built:
    """The email for one outbox row, or ``Skip`` if it should no longer go out.

    ``notification`` comes with ``NOTIFICATION_RELATED`` loaded (``select_related``).
    """
    now = now or timezone.now()
    if notification.kind == Kind.SUBSCRIPTION_CONFIRM:
        return _subscription_confirm(notification)
    registration = _load(notification)
    _check_relevant(notification, registration, now)
    # Resolved once, when the outbox row was written (outbox.reader_language), and used for every
    # part: subject, body, dates, the calendar invite.
    language = notification.language
    event = registration.event
    with translation.override(language), timezone.override(ZoneInfo(event.timezone)):
        context = _common_context(notification, registration, language)
        _kind_context(notification, registration, language, context)
        inline, attachments = _attachments(notification, registration, context, language)
        subject = _one_line(_render(notification.kind, "subject.txt", language, context))[:300]
        text = _tidy(_render(notification.kind, "txt", language, context))
        html = _render(notification.kind, "html", language, context)
    message = transactional_email(
        notification,
        subject=subject,
        text=text,
        html=html,
        reply_to=event.organization.contact_email,
        inline_images=inline,
    )
    for attachment in attachments:
        message.attach(attachment)
    return Built(message=message, subject=subject)


def transactional_email(
    notification: Notification,
    *,
    subject: str,
    text: str,
    html: str,
    reply_to: str = "",
    inline_images: list[MIMEImage] | None = None,
) -> RichEmail:
    """One outbox row's email, whatever it is about: its recipient, the headers every
    transactional message carries (its stable Message-ID, auto-generated, its kind and language)
    and the HTML part. Attachments are the caller's."""
    message = RichEmail(
        subject=subject,
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[notification.recipient],
        reply_to=[reply_to] if reply_to else None,
        headers={
            "Message-ID": message_id(notification),
            "Auto-Submitted": "auto-generated",
            "X-Huiguan-Notification": notification.kind,
            "Content-Language": notification.language,
        },
        inline_images=inline_images,
    )
    message.attach_alternative(html, "text/html")
    return message


# --- subscriptions (no registration) ------------------------------------------------------------

SUBSCRIPTION_CONFIRM_SUBJECT = _("Confirm your subscription to Huiguan")
SUBSCRIPTION_CONFIRM_TEXT = _(
    "Someone, probably you, asked to receive notices and the Weekly Bulletin from Huiguan at this address.\n\n"
    "To confirm, open this link:\n%(confirm_url)s\n\n"
    "If it was not you, ignore this email: nothing will be sent to you.\n\n"
    "Your choices, at any time: %(preferences_url)s"
)
SUBSCRIPTION_CONFIRM_BUTTON = _("Confirm my subscription")


def _subscription_confirm(notification: Notification) -> Built:
    """The double opt-in email: the only message an unconfirmed address ever receives."""
    subscription = notification.subscription
    if subscription is None:
        raise Skip("subscription erased")
    if subscription.confirmed_at is not None or subscription.unsubscribed_at is not None:
        raise Skip("already confirmed or unsubscribed")
    language = notification.language
    base = settings.SITE_URL
    confirm_url = base + reverse("pages:subscription-confirm", kwargs={"token": subscription.token})
    preferences_url = base + reverse("pages:subscription-preferences", kwargs={"token": subscription.token})
    with translation.override(language):
        subject = str(SUBSCRIPTION_CONFIRM_SUBJECT)
        text = str(SUBSCRIPTION_CONFIRM_TEXT) % {"confirm_url": confirm_url, "preferences_url": preferences_url}
        button = str(SUBSCRIPTION_CONFIRM_BUTTON)
    html = (
        f'<!doctype html><html lang="{escape(language)}"><body>{linebreaks(escape(text))}'
        f'<p><a href="{escape(confirm_url)}">{escape(button)}</a></p></body></html>'
    )
    message = transactional_email(notification, subject=subject, text=_tidy(text), html=html)
    return Built(message=message, subject=subject)
