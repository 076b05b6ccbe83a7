"""Money on the desk: refund a registration in full or in part, its receipts, the fapiao requests
of an event, and the refunds Stripe keeps refusing (an alert). Rules live in
``registrations.services`` (refunds, receipts); reads in ``registrations.selectors``."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from common.exceptions import DomainError
from organizer.ops_forms import RefundForm
from organizer.selectors import roster
from organizer.views.base import desk_page, desk_render, managed_event
from registrations import selectors, services
from registrations.models import FapiaoRequest
from registrations.receipt_pdf import receipt_response
from registrations.services import receipts as receipt_services


@require_http_methods(["GET", "POST"])
@desk_page
def registration_refund(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """GET: what was paid, refunded and is still refundable, with the form. POST: refund that much
    (the registration stays as it is; cancel it from the list to free the seat)."""
    event = managed_event(request, slug)
    registration = roster.desk_registration(event=event, pk=pk)
    refundable = selectors.registration_refundable(registration=registration)
    form = RefundForm(request.POST or None, refundable=refundable, initial={"amount": refundable})
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.registration_refund(
                    registration_id=registration.pk,
                    amount=form.cleaned_data["amount"],
                    actor=request.user,
                    note=form.cleaned_data["note"],
                )
            except DomainError as exc:
                form.add_error("amount", exc.message)
            else:
                messages.success(request, _("The refund is on its way to the attendee."))
                return redirect("desk:event-registration-refund", slug=event.slug, pk=registration.pk)
        status = 400
    context = {
        "event": event,
        "registration": registration,
        "payments": list(registration.payments.order_by("id")),
        "refunds": list(selectors.registration_refunds(registration=registration)),
        "receipts": list(selectors.registration_receipts(registration=registration)),
        "refundable": refundable,
        "form": form,
    }
    return desk_render(request, "organizer/refund.html", context, status=status, event=event)


@require_GET
@desk_page
def registration_receipt(request: HttpRequest, slug: str, pk: int, number: int) -> HttpResponse:
    event = managed_event(request, slug)
    registration = roster.desk_registration(event=event, pk=pk)
    receipt = selectors.registration_receipts(registration=registration).filter(number=number).first()
    if receipt is None:
        raise Http404
    return receipt_response(receipt)


@require_GET
@desk_page
def event_fapiao(request: HttpRequest, slug: str) -> HttpResponse:
    """The event's fapiao requests (company, taxpayer ID, amount, receipt), to issue outside."""
    event = managed_event(request, slug)
    requests = list(selectors.fapiao_requests(organizations=[event.organization_id]).filter(registration__event=event))
    return desk_render(request, "organizer/fapiao.html", {"event": event, "requests": requests}, event=event)


@require_POST
@desk_page
def fapiao_issued(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    event = managed_event(request, slug)
    fapiao = get_object_or_404(FapiaoRequest.objects.select_related("registration"), pk=pk, registration__event=event)
    receipt_services.fapiao_mark_issued(request_id=fapiao.pk, actor=request.user)
    messages.success(request, _("Marked as issued."))
    return redirect("desk:event-fapiao", slug=event.slug)
