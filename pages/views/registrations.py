"""Public pages for one's own registration: the register POST, the private manage page, cancelling.

The manage pages are reached only through the private link ``/manage/<token>/``: the token is
the only key, an unknown token is a 404, and nothing on them belongs to anyone but the token's
holder. Because the token is in the URL, their responses are never cached or sent on as a referrer.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from checkin import completion as completion_of
from common.exceptions import AlreadyRegistered, DomainError, InvalidInput, NotFound
from common.i18n import active_language, pick
from common.pages import lang_query, not_found, page_context, private_page
from common.throttling import (
    RegistrationPerEmailThrottle,
    RegistrationPerIPThrottle,
    throttle_waits,
    too_many_requests,
)
from events.models import Event, Question, Session
from notifications import subscriptions
from pages import presentation
from pages.forms import FapiaoForm, RegistrationForm
from pages.views.events import VenueView, event_page, get_event, refund_policy_view, session_views
from registrations import calendars, selectors, services
from registrations.decorators import by_manage_token
from registrations.models import Registration
from registrations.receipt_pdf import receipt_response
from registrations.shortcodes import format_short_code

# --- register ------------------------------------------------------------------------------------


@private_page
@require_http_methods(["GET", "POST"])
def register(request: HttpRequest, slug: str) -> HttpResponse:
    """POST the event page's form: book through the service, then redirect to the private manage page."""
    event = get_event(slug)
    if event is None:
        return not_found(request, _("This event does not exist or is no longer published."))
    if request.method == "GET":
        return redirect(reverse("pages:event-detail", kwargs={"slug": slug}) + lang_query(request) + "#register")
    # The API's limits, counted in the same cache entries: the form is no way around them.
    wait = throttle_waits(request, [RegistrationPerIPThrottle(), RegistrationPerEmailThrottle()])
    if wait is not None:
        return too_many_requests(request, wait)
    language = active_language()
    if "apply_code" in request.POST:  # show the types the code opens and the total; book nothing yet
        preview = RegistrationForm(
            event=event,
            language=language,
            payments_enabled=services.payments_enabled(),
            user=request.user,
            code_text=request.POST.get("code", ""),
            initial={
                key: request.POST.get(key) for key in request.POST if key not in ("csrfmiddlewaretoken", "privacy")
            },
        )
        return event_page(request, event=event, form=preview)
    form = RegistrationForm(
        request.POST,
        event=event,
        language=language,
        payments_enabled=services.payments_enabled(),
        user=request.user,
        code_text=request.POST.get("code", ""),
    )
    if form.is_valid():
        try:
            registration = services.registration_create(
                event_slug=event.slug, language=language, user=request.user, **form.service_kwargs()
            )
        except InvalidInput as exc:
            form.add_domain_errors(exc)
        except NotFound:
            return not_found(request, _("This event does not exist or is no longer published."))
        except AlreadyRegistered as exc:  # the address is the field to look at
            form.add_error("email", exc.message)
        except DomainError as exc:  # RegistrationClosed, PaymentUnavailable
            form.add_error(None, exc.message)
        else:
            if form.cleaned_data.get("subscribe"):
                subscriptions.subscribe(email=registration.email, language=language, consent_language=language)
            messages.success(request, _("Thank you for registering. Keep the link to this page: it is yours alone."))
            return redirect(manage_page_url(request, registration))
    return event_page(request, event=event, form=form)


# --- manage ----------------------------------------------------------------------------------------


def manage_page_url(request: HttpRequest, registration: Registration) -> str:
    return reverse("pages:manage", kwargs={"token": registration.manage_token}) + lang_query(request)


def google_calendar_url(*, event: Event, session: Session, language: str) -> str:
    """A "add to Google Calendar" template link for one session (times in UTC, shown in the event's zone)."""
    fallbacks = [event.default_language, event.organization.default_language]
    title = pick(event.title, language, fallbacks) or event.slug
    session_title = pick(session.title, language, fallbacks)
    if session_title:
        title = f"{title} — {session_title}"
    stamp = "%Y%m%dT%H%M%SZ"
    start = session.starts_at.astimezone(dt.UTC).strftime(stamp)
    end = session.ends_at.astimezone(dt.UTC).strftime(stamp)
    details = "\n\n".join(
        part for part in (pick(event.summary, language, fallbacks), calendars.event_url(event)) if part
    )
    venue = session.effective_venue
    if venue is not None:
        location = ", ".join(
            part for part in (pick(venue.name, language, fallbacks), pick(venue.address, language, fallbacks)) if part
        )
    else:
        location = event.online_url
    params = {
        "action": "TEMPLATE",
        "text": title,
        "dates": f"{start}/{end}",
        "details": details,
        "location": location,
        "ctz": event.timezone,
    }
    return "https://calendar.google.com/calendar/render?" + urlencode(params)


@dataclass
class TicketView:
    name: str
    position: int
    svg_url: str
    png_url: str
    short_code: str = ""


def _answers(registration: Registration, language: str) -> list[tuple[str, str]]:
    fallbacks = [registration.event.default_language]
    rows = []
    for question in registration.event.questions.all():
        if question.key not in registration.answers:
            continue
        value = registration.answers[question.key]
        if question.kind == Question.Kind.CHECKBOX:
            text = _("Yes") if value else _("No")
        elif question.kind == Question.Kind.CHOICE:
            choice = next((c for c in question.choices or [] if c.get("value") == value), None)
            text = pick(choice.get("label"), language, fallbacks) if choice else str(value)
        else:
            text = str(value)
        rows.append((question.t("label", language) or question.key, text))
    return rows


def _manage_context(request: HttpRequest, registration: Registration) -> dict:
    language = active_language()
    event = registration.event
    fallbacks = [event.default_language, event.organization.default_language]
    anonymised = registration.anonymised_at is not None
    # An anonymised registration shows its status only: no tickets, links or feed for an erased address.
    confirmed = registration.status == Registration.Status.CONFIRMED and not anonymised
    context = {
        "registration": registration,
        "event": event,
        "title": pick(event.title, language, fallbacks) or event.slug,
        "event_url": reverse("pages:event-detail", kwargs={"slug": event.slug}),
        "event_cancelled": event.status == Event.Status.CANCELLED,
        "online_url": event.online_url if confirmed else "",
        "venue": VenueView.of(event.venue, language, fallbacks),
        "sessions": session_views(event, language),
        "answers": _answers(registration, language),
        "can_cancel": registration.status in Registration.ACTIVE
        and not anonymised
        and not selectors.event_is_over(event_id=event.pk, now=timezone.now()),
        "anonymised": anonymised,
        "data_url": reverse("pages:manage-data", kwargs={"token": registration.manage_token}),
        "erase_url": reverse("pages:manage-erase", kwargs={"token": registration.manage_token}),
        "waitlist_position": selectors.waitlist_position(registration=registration),
        "tickets": [],
    }
    if registration.status == Registration.Status.PENDING_PAYMENT:
        context["payment_url"] = selectors.payment_url(registration=registration, absolute=False)
    context.update(_money_context(registration, anonymised=anonymised))
    if confirmed:
        links = selectors.registration_links(registration=registration, absolute=False)
        context["tickets"] = [
            TicketView(
                name=ticket.name,
                position=ticket.position,
                svg_url=selectors.ticket_image_url(
                    registration=registration, position=ticket.position, fmt="svg", absolute=False
                ),
                png_url=selectors.ticket_image_url(
                    registration=registration, position=ticket.position, fmt="png", absolute=False
                ),
                short_code=format_short_code(ticket.short_code),
            )
            for ticket in registration.tickets.all()
        ]
        context["calendar_url"] = links["calendar_url"]
        context["feed_request_url"] = reverse("pages:manage-calendar-feed", kwargs={"token": registration.manage_token})
        now = timezone.now()
        upcoming = [s for s in event.sessions.all() if not s.is_cancelled and s.ends_at >= now]
        context["ticket_session"] = next(iter(upcoming), None) or next(
            (s for s in event.sessions.all() if not s.is_cancelled), None
        )
        context["timezone_label"] = presentation.timezone_label(event.timezone, language)
        if upcoming and event.status != Event.Status.CANCELLED:
            context["google_url"] = google_calendar_url(event=event, session=upcoming[0], language=language)
        # A course's participants who reached its threshold download their certificate here.
        context["certificates"] = [
            {
                "name": completion.ticket.name or registration.name,
                "attended": len(completion.attended),
                "held": len(completion.held),
                "url": reverse(
                    "certificates:attendee",
                    kwargs={"token": registration.manage_token, "seat": completion.ticket.position},
                ),
            }
            for completion in completion_of.completed_seats(registration=registration)
        ]
    return page_context(request, **context)


@private_page
@by_manage_token
def manage(request: HttpRequest, registration: Registration) -> HttpResponse:
    return render(request, "pages/manage.html", _manage_context(request, registration))


@private_page
@require_http_methods(["GET", "POST"])
@by_manage_token
def manage_cancel(request: HttpRequest, registration: Registration) -> HttpResponse:
    """GET asks to confirm; POST cancels (freeing the seat for the waiting list) and returns to the manage page."""
    manage_url = manage_page_url(request, registration)
    if registration.status not in Registration.ACTIVE:
        return redirect(manage_url)
    if request.method == "POST":
        try:
            services.registration_cancel(registration_id=registration.pk)
        except DomainError as exc:  # the event is over
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Your registration has been cancelled."))
        return redirect(manage_url)
    sessions = session_views(registration.event, active_language())
    return _confirm_page(
        request,
        registration,
        "pages/manage_cancel.html",
        sessions=sessions,
        refund_policy=refund_policy_view(registration.event, sessions),
        refund_now=selectors.refund_on_cancel(registration=registration, now=timezone.now()),
    )


def _confirm_page(request: HttpRequest, registration: Registration, template: str, **extra) -> HttpResponse:
    """The page that asks before a manage-link action (cancel, erase) is done."""
    event = registration.event
    title = pick(event.title, active_language(), [event.default_language]) or event.slug
    context = page_context(request, registration=registration, title=title, event=event, **extra)
    return render(request, template, context)


def _money_context(registration: Registration, *, anonymised: bool) -> dict:
    """Receipts (with their download links), refunds, the fapiao request and its form."""
    if anonymised or registration.amount_due <= 0:
        return {}
    token = registration.manage_token
    receipts = list(selectors.registration_receipts(registration=registration))
    for receipt in receipts:
        receipt.url = reverse("pages:manage-receipt", kwargs={"token": token, "number": receipt.number})
    fapiao = getattr(registration, "fapiao_request", None) if registration.pk else None
    return {
        # What the party pays for, seat by seat (ticket types, a code's discount): the bill.
        "charge_lines": selectors.charge_lines(registration, language=active_language()),
        "receipts": receipts,
        "refunds": list(selectors.registration_refunds(registration=registration)),
        "fapiao": fapiao,
        "fapiao_url": reverse("pages:manage-fapiao", kwargs={"token": token}),
        "fapiao_form": FapiaoForm(initial={"company_name": fapiao.company_name, "taxpayer_id": fapiao.taxpayer_id})
        if fapiao
        else FapiaoForm(),
        "can_request_fapiao": registration.status in Registration.ACTIVE and not (fapiao and fapiao.issued_at),
    }


@private_page
@require_http_methods(["GET"])
@by_manage_token
def manage_receipt(request: HttpRequest, registration: Registration, number: int) -> HttpResponse:
    """The receipt as PDF, in the payer's language and the organization's."""
    receipt = selectors.registration_receipts(registration=registration).filter(number=number).first()
    if receipt is None or registration.anonymised_at is not None:
        return not_found(request, _("There is no such receipt."))
    return receipt_response(receipt)


@private_page
@require_http_methods(["POST"])
@by_manage_token
def manage_fapiao(request: HttpRequest, registration: Registration) -> HttpResponse:
    """Ask for a fapiao (company name, taxpayer ID); the organizer issues it."""
    manage_url = manage_page_url(request, registration)
    form = FapiaoForm(request.POST)
    if registration.status not in Registration.ACTIVE or registration.anonymised_at is not None:
        return redirect(manage_url)
    if form.is_valid():
        try:
            services.fapiao_request_save(registration_id=registration.pk, **form.cleaned_data)
        except DomainError as exc:
            if not exc.fields:  # already issued, or nothing to invoice: said on the manage page
                messages.error(request, exc.message)
                return redirect(manage_url)
            for field, errors in exc.fields.items():
                for error in errors:
                    form.add_error(field if field in form.fields else None, error)
        else:
            messages.success(request, _("Your fapiao request has been sent to the organizer."))
            return redirect(manage_url)
    form.mark_errors()
    context = _manage_context(request, registration)
    context["fapiao_form"] = form
    return render(request, "pages/manage.html", context, status=400)


@private_page
@require_http_methods(["POST"])
@by_manage_token
def manage_calendar_feed(request: HttpRequest, registration: Registration) -> HttpResponse:
    """Email the private feed of all the address's events (never shown: see ``calendar_feed_send``)."""
    manage_url = manage_page_url(request, registration)
    if registration.status != Registration.Status.CONFIRMED or registration.anonymised_at is not None:
        return redirect(manage_url)
    services.calendar_feed_send(registration_id=registration.pk, rotate=request.POST.get("rotate") == "1")
    messages.success(request, _("We have emailed the link to your address."))
    return redirect(manage_url)
