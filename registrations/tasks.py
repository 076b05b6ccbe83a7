"""Small, idempotent tasks; arguments are primary keys only."""

from __future__ import annotations

import logging

import stripe
from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.utils import translation
from django.utils.translation import gettext as _

from registrations import services
from registrations.models import Registration

logger = logging.getLogger(__name__)


@shared_task(
    bind=True, autoretry_for=(stripe.APIConnectionError, stripe.RateLimitError), retry_backoff=True, max_retries=5
)
def refund_payment(self, *, payment_id: int) -> None:
    services.payment_refund(payment_id=payment_id)


@shared_task
def expire_payment_holds() -> int:
    """Beat: expire unpaid holds past their time; each expiry promotes the waiting list."""
    return sum(services.registration_expire_hold(registration_id=pk) for pk in services.overdue_hold_ids())


@shared_task(bind=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_manage_link(self, *, registration_id: int) -> None:
    """Someone tried to register an address again: send that address its existing registration."""
    registration = Registration.objects.select_related("event").filter(pk=registration_id).first()
    if registration is None or registration.status not in Registration.ACTIVE:
        return
    from registrations.selectors import registration_links

    links = registration_links(registration=registration)
    with translation.override(registration.language):
        title = registration.event.t("title", registration.language)
        subject = _("Your registration for %(title)s") % {"title": title}
        body = _(
            "Hello %(name)s,\n\nYou are already registered for %(title)s (status: %(status)s).\n"
            "See or cancel your registration here:\n%(url)s\n\nIf this wasn't you, you can ignore this email."
        ) % {
            "name": registration.name,
            "title": title,
            "status": registration.get_status_display(),
            "url": links["manage_url"],
        }
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [registration.email])
