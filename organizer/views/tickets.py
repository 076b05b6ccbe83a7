"""An event's Tickets tab: its ticket types (price, quota, sales window, door note) and the codes
that take money off or unlock hidden types, with how often each code is used. Saving goes through
``events.ticketing`` (event row lock, rules, audit entry), the same functions any other screen uses."""

from __future__ import annotations

import zoneinfo

from django.contrib import messages
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from common.exceptions import DomainError, InvalidInput
from events import ticketing
from events.models import Event, PromoCode, TicketType
from events.selectors import ticket_type_seats_left, ticket_types_with_taken
from organizer.ticket_forms import DeskPromoCodeForm, DeskTicketTypeForm
from organizer.views.base import desk_page, desk_render, managed_event
from registrations.selectors import promo_code_usage


def event_codes(event: Event):
    """This event's codes and its organization's codes for all events, with their uses."""
    codes = PromoCode.objects.filter(organization_id=event.organization_id).filter(
        Q(event__isnull=True) | Q(event_id=event.pk)
    )
    return promo_code_usage(codes=codes).order_by("code")


def ticket_rows(event: Event) -> list[dict]:
    now = timezone.now()
    return [
        {
            "type": t,
            "taken": t.taken,
            "seats_left": ticket_type_seats_left(event=event, ticket_type=t),
            "on_sale": t.on_sale(now),
        }
        for t in ticket_types_with_taken(event=event)
    ]


def render_tickets(request, event, *, type_form=None, code_form=None, status=200):
    return desk_render(
        request,
        "organizer/tickets.html",
        {
            "rows": ticket_rows(event),
            "codes": event_codes(event),
            "type_form": type_form or DeskTicketTypeForm(event=event, prefix="type"),
            "code_form": code_form or DeskPromoCodeForm(event=event, prefix="code"),
            "can_change": event.status != Event.Status.CANCELLED,
        },
        status=status,
        event=event,
    )


def _save_type(request, event, form, ticket_type=None) -> bool:
    if not form.is_valid():
        return False
    try:
        ticketing.ticket_type_save(user=request.user, event=event, ticket_type=ticket_type, **form.service_fields())
    except InvalidInput as exc:
        form.add_service_errors(exc.fields)
        if not exc.fields:
            form.add_error(None, exc.message)
        return False
    except DomainError as exc:
        form.add_error(None, exc.message)
        return False
    return True


def _save_code(request, event, form, promo_code=None) -> bool:
    if not form.is_valid():
        return False
    try:
        ticketing.promo_code_save(
            user=request.user,
            organization=event.organization,
            promo_code=promo_code,
            unlocks=list(form.cleaned_data["unlocks"]),
            **form.service_fields(),
        )
    except InvalidInput as exc:
        form.add_service_errors(exc.fields)
        if not exc.fields:
            form.add_error(None, exc.message)
        return False
    except DomainError as exc:
        form.add_error(None, exc.message)
        return False
    return True


@require_http_methods(["GET", "POST"])
@desk_page
def tickets_page(request: HttpRequest, slug: str) -> HttpResponse:
    """The types and codes, with an "add a ticket type" form (``type-`` fields) and an "add a
    code" form (``code-`` fields), both posted here."""
    event = managed_event(request, slug)
    with timezone.override(zoneinfo.ZoneInfo(event.timezone)):
        if request.method == "POST" and "add_type" in request.POST:
            form = DeskTicketTypeForm(request.POST, event=event, prefix="type")
            if _save_type(request, event, form):
                messages.success(request, _("Ticket type added."))
                return redirect("desk:event-tickets", slug=event.slug)
            return render_tickets(request, event, type_form=form, status=400)
        if request.method == "POST" and "add_code" in request.POST:
            form = DeskPromoCodeForm(request.POST, event=event, prefix="code")
            if _save_code(request, event, form):
                messages.success(request, _("Code added."))
                return redirect("desk:event-tickets", slug=event.slug)
            return render_tickets(request, event, code_form=form, status=400)
        return render_tickets(request, event)


def managed_ticket_type(event: Event, pk: int) -> TicketType:
    ticket_type = TicketType.objects.filter(event=event, pk=pk).first()
    if ticket_type is None:
        raise Http404
    ticket_type.event = event
    return ticket_type


@require_http_methods(["GET", "POST"])
@desk_page
def ticket_type_edit(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    event = managed_event(request, slug)
    ticket_type = managed_ticket_type(event, pk)
    with timezone.override(zoneinfo.ZoneInfo(event.timezone)):
        form = DeskTicketTypeForm(
            request.POST or None, event=event, initial=DeskTicketTypeForm.initial_for(ticket_type), prefix="type"
        )
        saved = request.method == "POST" and _save_type(request, event, form, ticket_type)
        return _edit_answer(
            request,
            event,
            saved,
            _("Ticket type saved."),
            "organizer/ticket_type_form.html",
            {"form": form, "ticket_type": ticket_type},
        )


def _edit_answer(request: HttpRequest, event, saved: bool, done: str, template: str, context: dict) -> HttpResponse:
    """After an edit page's GET or POST: back to the Tickets tab once saved, else the form (400 with
    its errors on a POST)."""
    if saved:
        messages.success(request, done)
        return redirect("desk:event-tickets", slug=event.slug)
    return desk_render(request, template, context, status=400 if request.method == "POST" else 200, event=event)


@require_POST
@desk_page
def ticket_type_delete(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    event = managed_event(request, slug)
    ticket_type = managed_ticket_type(event, pk)
    try:
        ticketing.ticket_type_delete(user=request.user, ticket_type=ticket_type)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Ticket type deleted."))
    return redirect("desk:event-tickets", slug=event.slug)


@require_http_methods(["GET", "POST"])
@desk_page
def promo_code_edit(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    event = managed_event(request, slug)
    promo_code = event_codes(event).filter(pk=pk).first()
    if promo_code is None:
        raise Http404
    with timezone.override(zoneinfo.ZoneInfo(event.timezone)):
        form = DeskPromoCodeForm(
            request.POST or None, event=event, initial=DeskPromoCodeForm.initial_for(promo_code), prefix="code"
        )
        saved = request.method == "POST" and _save_code(request, event, form, promo_code)
        return _edit_answer(
            request,
            event,
            saved,
            _("Code saved."),
            "organizer/promo_code_form.html",
            {"form": form, "promo_code": promo_code},
        )
