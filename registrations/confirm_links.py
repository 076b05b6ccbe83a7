"""The "confirm your email" link: signed, never stored, mailed only (registrations/services/email_holds.py).

Signed (``django.core.signing``) over the registration id and its address, so it needs no stored
token and stops working once the address is erased or anonymised. It is put in the
``email_confirm`` message only (``notifications/messages.py``), never in an API answer or a page:
the manage link is handed out at once, so only this one proves the mailbox.
"""

from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.urls import reverse

from registrations.models import Registration

_SALT = "huiguan.registrations.email-confirm"


def confirm_token(*, registration: Registration) -> str:
    return signing.dumps([registration.pk, registration.email], salt=_SALT)


def registration_id_from_token(token: str) -> int | None:
    """The registration a link names, or None for a forged, damaged or outdated one (address erased)."""
    try:
        registration_id, email = signing.loads(token, salt=_SALT)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    if not isinstance(registration_id, int):
        return None
    if not Registration.objects.filter(pk=registration_id, email=email, anonymised_at__isnull=True).exists():
        return None
    return registration_id


def confirm_url(*, registration: Registration) -> str:
    return settings.SITE_URL + reverse(
        "pages:confirm-email", kwargs={"token": confirm_token(registration=registration)}
    )
