"""The page behind the "confirm your email" link (registrations/services/email_holds.py)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from common.pages import not_found, private_page
from pages.views.registrations import manage_page_url
from registrations import services
from registrations.confirm_links import registration_id_from_token
from registrations.models import Registration


@private_page
@require_http_methods(["GET"])
def confirm_email(request: HttpRequest, token: str) -> HttpResponse:
    """Opening the emailed link is the confirmation (a GET: the link must work from any mail client),
    then the private manage page says what it did. Opening it again changes nothing."""
    registration_id = registration_id_from_token(token) if len(token) <= 200 else None
    if registration_id is None:
        return not_found(request, _("This confirmation link is not valid. Please use the link from your email."))
    registration = services.registration_confirm_email(registration_id=registration_id)
    status = registration.status
    if status == Registration.Status.EXPIRED and registration.email_confirmed_at is None:
        messages.error(
            request,
            _("The link was not opened in time, so the seat held for you has been released. You can register again."),
        )
    elif status == Registration.Status.CONFIRMED:
        messages.success(request, _("Thank you: your email address is confirmed, and so is your seat."))
    elif status == Registration.Status.PENDING_PAYMENT:
        messages.success(request, _("Thank you: your email address is confirmed. Please pay to keep your seat."))
    elif status == Registration.Status.WAITLISTED:
        messages.success(request, _("Thank you: your email address is confirmed."))
    return redirect(manage_page_url(request, registration))
